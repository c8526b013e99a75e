"""Stage mlp_batchnorm (6.1 Q3): the base MLP with and without batch norm, over seeds.

An arm changes only what it names: ``batchnorm`` (BatchNorm1d before each ReLU) and
``standardise`` (inputs centred and scaled by the training split's statistics). The
control with standardised inputs and no batch norm says how much of batch norm's gain
is the scaling of the raw coordinates, which batch norm's first layer also does.
Arms share their seeds, so a seed's Linear layers start from the same weights in every arm.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import TRAIN_KEYS, cities_stage, run_cities
from stage_shared import PLOTS, naming, worker_count

from mlpcnn.cities.encodings import standardiser
from mlpcnn.cities.figures import plot_seed_runs
from mlpcnn.cities.optimisation import FINAL_FIGURE, arms_summary, finals
from mlpcnn.cities.selection import mean_curves
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_arms
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "mlp_batchnorm"
OUT = PLOTS / KEY
KEYS = ("depth", "width", *TRAIN_KEYS, "seeds", "arms", "base_arm", "accuracy_threshold")
ARM_KEYS = ("batchnorm", "standardise")


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params = stage.params
    with naming(KEY):
        arms = check_arms(params["arms"], ARM_KEYS, base=params["base_arm"])
    standardise = standardiser(stage.data.train[0])
    train = stage.training(batchnorm=True)

    runs = {}  # independent runs, side by side in worker processes
    for name, arm in arms.items():
        config = stage.mlp(f"{KEY}.arms.{name}", batchnorm=bool(arm.get("batchnorm", False)))
        splits = stage.data.mapped(standardise) if arm.get("standardise") else None
        runs[name] = (config, train, splits)
    results = dict(zip(runs, (r for _, r in stage.train_all(list(runs.values()))), strict=True))
    histories = {name: result.table() for name, result in results.items()}
    seconds = {name: result.train_seconds.sum() for name, result in results.items()}

    curves = {name: mean_curves(h) for name, h in histories.items()}
    write_csv(OUT / "history.csv", pd.concat([h.assign(arm=n) for n, h in histories.items()]))
    write_csv(OUT / "curves.csv", series_table(curves, "epoch", ["val_acc_mean", "val_loss_mean"]))
    plot_seed_runs(
        curves,
        {"validation accuracy": "val_acc", "validation loss": "val_loss"},
        OUT / "batchnorm.png",
        title=f"6.1 Q3: batch norm before each ReLU (depth {params['depth']}, width "
        f"{params['width']}, lr {train.lr:g}, batch {train.batch_size}; mean and 95% interval "
        f"over {len(stage.seeds)} seeds)",
        logy=["validation loss"],
    )

    threshold = params["accuracy_threshold"]
    summary = arms_summary(histories, arms, params["base_arm"], threshold, train.epochs)
    reach = {a: r["epochs_to_threshold"] for a, r in summary["arms"].items()}
    # the report's rules, on the history as written (the report reads the same file)
    verdicts = rules.batchnorm(pd.read_csv(OUT / "history.csv"), reach, stage.prior_loss(), RULE)
    stage.write(
        {"final_val_acc": {n: summary["arms"][n]["final_val_acc"]["mean"] for n in arms}},
        {
            "accuracy_threshold": threshold,
            "epochs": train.epochs,
            "seeds": stage.seeds,
            "base_arm": params["base_arm"],
            **summary,
            "verdicts": verdicts,
            "final_figure": FINAL_FIGURE,
        },
        seconds,
        {f"final_val_acc.{n}": finals(histories[n], "val_acc") for n in arms},
        workers=worker_count(stage.device),
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage residual_study (6.2 Q6): fixes of the deep network, against a shallow control.

Every arm trains the same seeds (replicas of one batched run), the same epochs and
optimiser as gradient_study; an arm changes only what it names: residual blocks (the
course's, or well-conditioned: standardised inputs and branches that start at the
identity), batch norm, He initialisation; the controls are shallow networks of the same
width. Per arm: the course's measure, the scale-free ||grad W|| / ||W|| per layer and
epoch, dead layers after training, and validation accuracy with a 95% interval.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, CitiesStage, cities_stage, run_cities
from stage_shared import PLOTS, naming, read_summary, worker_count

from mlpcnn.cities.encodings import standardiser
from mlpcnn.cities.figures import plot_fix_study
from mlpcnn.cities.fixes import (
    ARM_KEYS,
    MODEL_OVERRIDES,
    arms_table,
    fixes_summary,
    last_epoch_ratios,
    summarise_arm,
)
from mlpcnn.cities.gradients import (
    DeepRun,
    check_layers,
    gradient_frame,
    layer_series,
    run_deep_all,
)
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_arms
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "residual_study"
PLAIN = "gradient_study"
OUT = PLOTS / KEY
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "seeds", "arms", "controls", "max_span_decades",
        "layers_shown", "log_floor")  # fmt: skip


def arm_runs(stage: CitiesStage, deep: dict, controls: dict) -> dict[str, DeepRun]:
    """Every arm and control as a run of the stage's seeds (its params checked first)."""
    standardise = standardiser(stage.data.train[0])
    runs = {}
    for name, arm in {**deep, **controls}.items():
        group = "arms" if name in deep else "controls"
        overrides = {k: arm[k] for k in MODEL_OVERRIDES if k in arm}
        config = stage.mlp(f"{KEY}.{group}.{name}", **overrides)
        splits = stage.data.mapped(standardise) if arm.get("standardise") else stage.data.splits
        runs[name] = DeepRun(config, stage.training(config.batchnorm), splits, stage.seeds,
                             str(stage.device))  # fmt: skip
    return runs


def verdicts(stage: CitiesStage, control: str) -> dict:
    """The report's rules on the histories as written (the report reads the same files):
    this study's, and the plain network's of Q5 for the residual connection's effect."""
    plain = pd.read_csv(PLOTS / PLAIN / "history.csv")
    history = pd.read_csv(OUT / "history.csv")
    return rules.residual_study(history, plain, control, stage.prior_loss(), RULE)


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params, seeds, max_span = stage.params, stage.seeds, stage.params["max_span_decades"]
    with naming(KEY):
        shown = check_layers(params["layers_shown"], params["depth"])
        deep = check_arms(params["arms"], ARM_KEYS)
        controls = check_arms(params["controls"], ARM_KEYS, name="controls")
    runs = arm_runs(stage, deep, controls)  # independent: side by side in worker processes
    workers = worker_count(stage.device)
    done = dict(zip(runs, run_deep_all(list(runs.values()), workers), strict=True))

    arms, histories, magnitudes, ratios, seconds = {}, [], {}, {}, {}
    for name, arm in {**deep, **controls}.items():
        run = done[name]
        magnitudes[name], ratios[name] = run.magnitudes, run.ratios  # (epochs, layers, R)
        arms[name] = summarise_arm(arm, runs[name].config.depth, run.result, ratios[name],
                                   run.dead_final, max_span)  # fmt: skip
        histories.append(run.result.table().assign(arm=name))
        seconds[name] = run.result.train_seconds
    write_csv(OUT / "history.csv", pd.concat(histories, ignore_index=True))
    summary = fixes_summary(arms, list(deep), list(controls))
    best = summary["best_fix"]
    summary["verdicts"] = verdicts(stage, summary["control"])
    fix = magnitudes[best][:, :, 0]  # (epochs, layers): the first seed's

    write_csv(OUT / "arms.csv", arms_table(arms))
    write_csv(OUT / "gradients.csv", gradient_frame(fix))
    write_csv(OUT / "layers.csv", layer_series(fix, shown, params["log_floor"]))
    last = last_epoch_ratios({n: ratios[n] for n in deep})
    write_csv(OUT / "ratios.csv", series_table(last, "layer", ["log10_ratio"]))
    plain = pd.read_csv(PLOTS / PLAIN / "gradients.csv").drop(columns="epoch").to_numpy()
    plot_fix_study(
        {f"plain, seed {read_summary(PLAIN)['representative_seed']}": plain,
         f"{best}, seed {seeds[0]}": fix},
        {n: ratios[n][-1] for n in deep}, arms_table(arms), OUT,
        shown=shown, floor=params["log_floor"], control=summary["control"],
        title=f"6.2 Q6: fixes at depth {params['depth']}, width {params['width']}, "
        f"{len(seeds)} seeds",
    )  # fmt: skip

    stage.write(
        {"best_fix_val_acc_mean": arms[best]["table"]["val_acc_mean"],
         "control_val_acc_mean": arms[summary["control"]]["table"]["val_acc_mean"]},
        {
            "depth": params["depth"],
            "width": params["width"],
            "epochs": params["epochs"],
            "seeds": seeds,
            "max_span_decades": max_span,
            **summary,
        },
        seconds,
        {"best_fix_val_acc_mean": arms[best]["val_acc"],
         "control_val_acc_mean": arms[summary["control"]]["val_acc"]},
        workers=workers,
    )  # fmt: skip


if __name__ == "__main__":
    run_cities(main)

"""Stage mlp_batch_size (6.1 Q4): the base MLP at several batch sizes, over seeds.

The handout trains the base model of 6.1 (no batch norm); a batch-norm arm runs beside
it as a second series (the params decide which arms run). Every (arm, batch size) run
trains its seeds as replicas of one batched run: at batch size 1, five seeds are one
step on five samples. Batch norm normalises with the batch's statistics, except at
batch size 1 where it uses its running statistics as in eval mode (a single sample has
no batch variance); the metrics say which.

Stability: the per-batch training loss is averaged over windows of the same number of
training samples for every batch size, and its noise is the standard deviation of those
window means over the last part of training.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_stage, run_cities
from stage_shared import PLOTS, naming, worker_count

from mlpcnn.cities.figures import plot_batch_size_study
from mlpcnn.cities.optimisation import (
    FINAL_FIGURE,
    batch_size_headline,
    batch_size_run,
    noise_statistic,
    stability_table,
    stacked_histories,
)
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.stats import check_windows
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_arrays, write_csv
from mlpcnn.common.params import check_arms, check_fraction, check_runs
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "mlp_batch_size"
OUT = PLOTS / KEY
BATCH_LOSS = OUT / "batch_loss.npz"  # every batch's loss, every run and seed
RUN_KEYS = ("batch_size", "epochs")
KEYS = (
    *(k for k in MODEL_KEYS if k != "batchnorm"),
    *(k for k in TRAIN_KEYS if k not in RUN_KEYS),
    "seeds", "arms", "runs", "samples_per_point", "noise_tail",
)  # fmt: skip


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params = stage.params
    samples, tail = params["samples_per_point"], params["noise_tail"]
    with naming(KEY):
        arms = check_arms(params["arms"], ("batchnorm",))
        runs = check_runs(params["runs"], RUN_KEYS, distinct="batch_size")
        check_fraction(tail, "noise_tail")
    configs = {name: stage.mlp(f"{KEY}.arms.{name}", batchnorm=bool(arm.get("batchnorm")))
               for name, arm in arms.items()}  # fmt: skip
    # Every run's params are checked before any training starts.
    any_bn = any(c.batchnorm for c in configs.values())
    trains = [stage.training(any_bn, f"{KEY}.runs[{i}]", **spec, record_batch_loss=True)
              for i, spec in enumerate(runs)]  # fmt: skip
    with naming(KEY):
        check_windows(samples, [train.batch_size for train in trains])

    runs = {f"{arm}: batch {train.batch_size}": (arm, config, train)  # side by side in workers
            for arm, config in configs.items() for train in trains}  # fmt: skip
    results = stage.train_all([(config, train, None) for _, config, train in runs.values()])
    histories, curves, windows, losses, summaries, seconds = {}, {}, {}, {}, {}, {}
    for (name, (arm, config, train)), (_, result) in zip(runs.items(), results, strict=True):
        histories[name] = result.table()
        curves[name] = mean_curves(histories[name])
        losses[name], seconds[name] = result.batch_loss, result.train_seconds  # (steps, R)
        summaries[name], windows[name] = batch_size_run(arm, config.batchnorm, train, result,
                                                        samples, tail)  # fmt: skip

    write_arrays(BATCH_LOSS, **{name.replace(": ", "_").replace(" ", "_"): values
                                for name, values in losses.items()})  # fmt: skip
    write_csv(OUT / "history.csv", stacked_histories(histories, summaries))
    write_csv(OUT / "val_acc.csv", series_table(curves, "epoch", ["val_acc_mean"]))
    write_csv(OUT / "batch_loss.csv", series_table(windows, "samples", ["loss_mean"]))
    stability = stability_table(summaries)
    write_csv(OUT / "stability.csv", stability)
    plot_batch_size_study(
        curves, losses, windows, summaries, stability, OUT, seeds=stage.seeds,
        shape=f"depth {params['depth']}, width {params['width']}, lr {trains[0].lr:g}",
        samples=samples, tail=tail,
    )  # fmt: skip

    # The headline: the handout's model (the first arm); every arm is in the details.
    headline, per_seed = batch_size_headline(summaries, histories, next(iter(arms)))
    verdicts = rules.batch_size(pd.read_csv(OUT / "history.csv"), stage.prior_loss(), RULE)
    stage.write(
        {"final_test_acc": headline},
        {
            "runs": summaries,
            "verdicts": verdicts,
            "seeds": stage.seeds,
            "arms": arms,
            "noise_statistic": noise_statistic(tail, samples),
            "final_figure": FINAL_FIGURE,
            # With a compiled step, a run's first epoch includes its one-time compilation.
            "compiled_step": bool(trains[0].compile),
        },
        seconds,
        {f"final_test_acc.{k}": v for k, v in per_seed.items()},
        workers=worker_count(stage.device),
    )


if __name__ == "__main__":
    run_cities(main)

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

from dataclasses import replace

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, CitiesStage, cities_stage, run_cities
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
from mlpcnn.common.params import InvalidParam, check_arms, check_fraction, check_keys, check_runs
from mlpcnn.common.stats import seed_interval
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "mlp_batch_size"
OUT = PLOTS / KEY
BATCH_LOSS = OUT / "batch_loss.npz"  # every batch's loss, every run and seed
RUN_KEYS = ("batch_size", "epochs")
KEYS = (
    *(k for k in MODEL_KEYS if k != "batchnorm"),
    *(k for k in TRAIN_KEYS if k not in RUN_KEYS),
    "seeds", "arms", "runs", "samples_per_point", "noise_tail", "batchnorm_probe",
)  # fmt: skip
PROBE_KEYS = ("batch_size", "lr", "groups_at")


def probe_runs(stage: CitiesStage, arms: dict, configs: dict, trains: list) -> dict:
    """Why batch norm trails at a small batch (``batchnorm_probe``): batch norm at that
    batch size with a lower rate, and at a larger batch normalised over groups of the small
    batch's size; each over the same seeds and epochs as the run it probes.
    Name -> (probe, arm, arm without batch norm, config, train)."""
    spec = stage.params.get("batchnorm_probe")
    if spec is None:
        return {}
    key = f"{KEY}.batchnorm_probe"
    with naming(KEY):
        check_keys(spec, PROBE_KEYS, "batchnorm_probe")
        sizes = {train.batch_size: train for train in trains}
        for name in ("batch_size", "groups_at"):
            if spec.get(name) not in sizes:
                raise InvalidParam(f"batchnorm_probe.{name}: expected one of the runs' batch "
                                   f"sizes {sorted(sizes)}, got {spec.get(name)!r}")  # fmt: skip
        small, large = spec["batch_size"], spec["groups_at"]
        if large <= small or large % small:
            raise InvalidParam(f"batchnorm_probe.groups_at: expected a larger multiple of "
                               f"batch_size {small}, got {large}")  # fmt: skip
        bn = [a for a, c in configs.items() if c.batchnorm]
        if not bn or len(bn) == len(configs):
            raise InvalidParam("batchnorm_probe: needs an arm with batch norm and one without")
    small, large = sizes[small], sizes[large]
    with naming(key):
        slower = replace(small, lr=spec.get("lr"))  # checks lr
        if slower.lr >= small.lr:
            raise InvalidParam(
                f"lr: expected a rate below the runs' {small.lr:g}, got {slower.lr:g}"
            )
        grouped = replace(large, ghost_batch=small.batch_size)
    arm, base = bn[0], next(a for a in arms if a not in bn)
    return {
        f"{arm}: batch {small.batch_size}, lr {slower.lr:g}":
            ("lower_rate", arm, base, configs[arm], slower),
        f"{arm}: batch {large.batch_size}, groups of {small.batch_size}":
            ("groups", arm, base, configs[arm], grouped),
    }  # fmt: skip


def write_probes(probes: dict, results: list) -> dict:
    """The probes' histories to probes.csv (each row labelled with its probe, arm and
    batch size); returns each probe's final accuracies over seeds."""
    write_csv(OUT / "probes.csv", pd.concat(
        [result.table().assign(probe=probe, arm=arm, base_arm=base, batch_size=train.batch_size,
                               lr=train.lr)
         for (probe, arm, base, _, train), (_, result)
         in zip(probes.values(), results, strict=True)]
        or [pd.DataFrame(columns=["epoch", "seed", "val_acc", "probe", "arm", "base_arm",
                                  "batch_size", "lr"])]
    ))  # fmt: skip
    return {name: {f"final_{k}": seed_interval(result.final(k)) for k in ("val_acc", "test_acc")}
            for name, (_, result) in zip(probes, results, strict=True)}  # fmt: skip


def read_runs(runs: dict, results: list, samples: int, tail: float) -> tuple[dict, ...]:
    """Per run: its history, mean curves, loss windows, batch losses (steps, R), summary
    and training seconds."""
    histories, curves, windows, losses, summaries, seconds = {}, {}, {}, {}, {}, {}
    for (name, (arm, config, train)), (_, result) in zip(runs.items(), results, strict=True):
        histories[name] = result.table()
        curves[name] = mean_curves(histories[name])
        losses[name], seconds[name] = result.batch_loss, result.train_seconds
        summaries[name], windows[name] = batch_size_run(arm, config.batchnorm, train, result,
                                                        samples, tail)  # fmt: skip
    return histories, curves, windows, losses, summaries, seconds


def checked_runs(stage: CitiesStage) -> tuple[dict, dict, list]:
    """The arms, each arm's MLP and each run's training, all checked against the data."""
    params = stage.params
    with naming(KEY):
        arms = check_arms(params["arms"], ("batchnorm",))
        runs = check_runs(params["runs"], RUN_KEYS, distinct="batch_size")
        check_fraction(params["noise_tail"], "noise_tail")
    configs = {name: stage.mlp(f"{KEY}.arms.{name}", batchnorm=bool(arm.get("batchnorm")))
               for name, arm in arms.items()}  # fmt: skip
    any_bn = any(c.batchnorm for c in configs.values())
    trains = [stage.training(any_bn, f"{KEY}.runs[{i}]", **spec, record_batch_loss=True)
              for i, spec in enumerate(runs)]  # fmt: skip
    with naming(KEY):
        check_windows(params["samples_per_point"], [train.batch_size for train in trains])
    return arms, configs, trains


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params, samples, tail = (
        stage.params,
        stage.params["samples_per_point"],
        stage.params["noise_tail"],
    )
    arms, configs, trains = checked_runs(stage)  # every run's params, before any training

    runs = {f"{arm}: batch {train.batch_size}": (arm, config, train)  # side by side in workers
            for arm, config in configs.items() for train in trains}  # fmt: skip
    probes = probe_runs(stage, arms, configs, trains)
    results = stage.train_all(
        [(config, train, None) for _, config, train in runs.values()]
        + [(config, train, None) for *_, config, train in probes.values()]
    )
    results, probed = results[: len(runs)], results[len(runs) :]
    histories, curves, windows, losses, summaries, seconds = read_runs(runs, results, samples, tail)

    write_arrays(BATCH_LOSS, **{name.replace(": ", "_").replace(" ", "_"): values
                                for name, values in losses.items()})  # fmt: skip
    write_csv(OUT / "history.csv", stacked_histories(histories, summaries))
    probe_summaries = write_probes(probes, probed)  # and probes.csv
    write_csv(OUT / "val_acc.csv", series_table(curves, "epoch", ["val_acc_mean"]))
    write_csv(OUT / "batch_loss.csv", series_table(windows, "samples", ["loss_mean"]))
    write_csv(OUT / "stability.csv", stability := stability_table(summaries))
    plot_batch_size_study(
        curves, losses, windows, summaries, stability, OUT, seeds=stage.seeds,
        shape=f"depth {params['depth']}, width {params['width']}, lr {trains[0].lr:g}",
        samples=samples, tail=tail,
    )  # fmt: skip

    # The headline: the handout's model (the first arm); every arm is in the details.
    headline, per_seed = batch_size_headline(summaries, histories, next(iter(arms)))
    verdicts = rules.batch_size(pd.read_csv(OUT / "history.csv"), stage.prior_loss(), RULE,
                                summaries, pd.read_csv(OUT / "probes.csv"))  # fmt: skip
    stage.write(
        {"final_test_acc": headline},
        {
            "runs": summaries,
            "probes": probe_summaries,
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

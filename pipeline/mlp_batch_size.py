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

import numpy as np
import pandas as pd
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import (
    PLOTS,
    PREPARED,
    device_from,
    environment,
    load_params,
    naming,
    write_results,
)

from mlpcnn.cities.figures import plot_batch_losses, plot_seed_runs, plot_stability
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.stats import compare, equal_sample_windows, seed_interval, tail_noise
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import atomic_output, write_csv
from mlpcnn.common.params import InvalidParam, check_distinct, check_keys

KEY = "mlp_batch_size"
OUT = PLOTS / KEY
FULL_BATCH_LOSS = PREPARED / f"{KEY}_batch_loss.npz"
RUN_KEYS = ("batch_size", "epochs")
ARM_KEYS = ("batchnorm",)
KEYS = (
    *(k for k in MODEL_KEYS if k != "batchnorm"),
    *(k for k in TRAIN_KEYS if k not in RUN_KEYS),
    "seeds", "arms", "runs", "samples_per_point", "noise_tail",
)  # fmt: skip
TIMING = ("seconds_per_epoch", "first_epoch_seconds")
STABILITY = {"window_noise": "loss_noise", "batch_noise": "batch_loss_noise"}  # csv <- summary


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds, arms, runs = seeds_of(KEY, params), params["arms"], params["runs"]
    samples, tail = params["samples_per_point"], params["noise_tail"]
    with naming(KEY):
        if not isinstance(arms, dict) or not arms:
            raise InvalidParam(f"arms: expected a mapping of arm name to settings, got {arms!r}")
        for name, arm in arms.items():
            check_keys(arm, ARM_KEYS, f"arms.{name}")
        if not isinstance(runs, list) or not runs:
            raise InvalidParam(f"runs: expected a list of {{batch_size, epochs}}, got {runs!r}")
        for i, spec in enumerate(runs):
            check_keys(spec, RUN_KEYS, f"runs[{i}]")
        check_distinct([spec.get("batch_size") for spec in runs], "runs[].batch_size")
        if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
            raise InvalidParam(f"samples_per_point: expected a positive integer, got {samples!r}")
        if not isinstance(tail, int | float) or isinstance(tail, bool) or not 0 < tail <= 1:
            raise InvalidParam(f"noise_tail: expected a fraction in (0, 1], got {tail!r}")
    configs = {
        name: mlp_config(f"{KEY}.arms.{name}", params, data.n_classes,
                         batchnorm=bool(arm.get("batchnorm", False)))
        for name, arm in arms.items()
    }  # fmt: skip
    n_train = len(data.train[1])
    # Every run's params are checked before any training starts.
    trains = [
        train_config(f"{KEY}.runs[{i}]", {**params, **spec, "record_batch_loss": True}, n_train,
                     any(c.batchnorm for c in configs.values()))
        for i, spec in enumerate(runs)
    ]  # fmt: skip

    with naming(KEY):
        for train in trains:  # windows of whole batches?
            equal_sample_windows(np.zeros((0, 1)), train.batch_size, samples)

    curves, histories, windows, full_losses, summaries, noise = {}, [], {}, {}, {}, {}
    for arm, config in configs.items():
        for train in trains:
            name = f"{arm}: batch {train.batch_size}"
            model = stacked_mlps(config, seeds).to(device)
            result = train_replicas(model, data.train, data.splits, train, seeds=seeds)
            history = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
            histories.append(history.assign(arm=arm, batch_size=train.batch_size))
            curves[name] = mean_curves(history)
            full_losses[name] = result.batch_loss  # (steps, R)
            seen, means = equal_sample_windows(result.batch_loss, train.batch_size, samples)
            windows[name] = pd.DataFrame({"samples": seen, "loss_mean": means.mean(axis=1)})
            noise[name] = tail_noise(means, tail)  # (R,) per window of `samples` samples
            final = {f"final_{k}": seed_interval(result.history[k][-1])
                     for k in ("train_acc", "val_acc", "test_acc")}  # fmt: skip
            summaries[name] = {
                "arm": arm,
                "batch_size": train.batch_size,
                "epochs": train.epochs,
                "iterations_per_epoch": result.steps_per_epoch,
                "batchnorm_mode": None if not config.batchnorm else (
                    "batch statistics" if train.batch_size > 1 else "running statistics (eval mode)"
                ),
                **final,
                "loss_noise": seed_interval(noise[name]),
                "batch_loss_noise": seed_interval(tail_noise(result.batch_loss, tail)),
                "windows": len(seen),
                "seconds_per_epoch": float(result.train_seconds.mean()),
                "first_epoch_seconds": float(result.train_seconds[0]),
            }  # fmt: skip

    with atomic_output(FULL_BATCH_LOSS) as tmp:
        np.savez(tmp, **{name.replace(": ", "_").replace(" ", "_"): losses
                         for name, losses in full_losses.items()})  # fmt: skip
    write_csv(OUT / "history.csv", pd.concat(histories))
    write_csv(OUT / "val_acc.csv", series_table(curves, "epoch", ["val_acc_mean"]))
    write_csv(OUT / "batch_loss.csv", series_table(windows, "samples", ["loss_mean"]))
    stability = pd.DataFrame([
        {"series": s["arm"], "batch_size": s["batch_size"]}
        | {f"{column}_{k}": s[key][k] for column, key in STABILITY.items()
           for k in ("mean", "low", "high")}
        for s in summaries.values()
    ])  # fmt: skip
    write_csv(OUT / "stability.csv", stability)

    shape = f"depth {params['depth']}, width {params['width']}, lr {trains[0].lr:g}"
    for arm in arms:
        plot_seed_runs(
            {n.split(": ", 1)[1]: c for n, c in curves.items() if n.startswith(f"{arm}: ")},
            {"validation accuracy": "val_acc"},
            OUT / f"val_acc_{arm}.png",
            title=f"6.1 Q4: batch size, {arm} arm ({shape}; mean and 95% interval over "
            f"{len(seeds)} seeds)",
        )
    plot_batch_losses(
        {name: (full_losses[name][:, 0], summaries[name]["batch_size"]) for name in full_losses},
        windows,
        OUT / "batch_loss.png",
        title=f"6.1 Q4: training loss of every batch (seed {seeds[0]}, faint) and its mean over "
        f"windows of {samples:,} samples (mean over {len(seeds)} seeds) ({shape})",
    )
    plot_stability(
        stability,
        {"noise of the loss of each batch": "batch_noise",
         f"noise of the mean loss over {samples:,} samples": "window_noise"},
        OUT / "stability.png",
        title=f"6.1 Q4: loss noise over the last {tail:.0%} of training (sd of successive "
        f"differences / sqrt 2; {len(seeds)} seeds, 95% interval)",
    )  # fmt: skip

    # Per arm, every pair of batch sizes on the final test accuracy: one Holm family.
    per_seed = {n: h.loc[h["epoch"] == h["epoch"].max(), "test_acc"].tolist()
                for n, h in zip(curves, histories, strict=True)}  # fmt: skip
    comparisons = compare({
        f"{a} vs {b}": (per_seed[a], per_seed[b])
        for arm in arms
        for i, a in enumerate(n for n in curves if n.startswith(f"{arm}: "))
        for b in list(n for n in curves if n.startswith(f"{arm}: "))[i + 1:]
    })  # fmt: skip
    write_results(
        KEY,
        {
            # the first arm's (the handout's model); every arm is in the details
            "final_test_acc": {
                f"batch_{s['batch_size']}": s["final_test_acc"]["mean"]
                for s in summaries.values()
                if s["arm"] == next(iter(arms))
            }
        },
        {
            "runs": {
                n: {k: v for k, v in s.items() if k not in TIMING} for n, s in summaries.items()
            },
            "comparisons": comparisons,
            "seeds": seeds,
            "arms": arms,
            "noise_statistic": f"per seed, over the last {tail:g} of training, the standard "
            "deviation of successive differences divided by sqrt(2) (a trend is not counted "
            f"as noise) of the mean training loss over windows of {samples} samples "
            "(loss_noise) and of the loss of each batch (batch_loss_noise); mean and 95% "
            "t-interval over seeds",
            "final_figure": "the last epoch's value, per seed; mean and 95% t-interval over seeds",
            # With compile: true the first epoch includes the step's one-time compilation.
            "timing": {name: {k: s[k] for k in TIMING} for name, s in summaries.items()},
            "compiled_step": bool(trains[0].compile),
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

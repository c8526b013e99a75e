"""Stage mlp_batch_size (6.1 Q4): the base MLP with batch norm at several batch sizes.

Each (batch size, epochs) run is trained on its own; batch norm uses the batch's
statistics, except at batch size 1 where it normalises with its running statistics as
in eval mode (a single sample has no batch variance); the metrics say which.
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

from mlpcnn.cities.figures import plot_runs
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import atomic_output, write_csv
from mlpcnn.common.params import InvalidParam, check_distinct, check_keys

KEY = "mlp_batch_size"
OUT = PLOTS / KEY
FULL_BATCH_LOSS = PREPARED / f"{KEY}_batch_loss.npz"
RUN_KEYS = ("batch_size", "epochs")
KEYS = (
    MODEL_KEYS + tuple(k for k in TRAIN_KEYS if k not in RUN_KEYS) + ("runs", "batch_loss_points")
)
TIMING = ("seconds_per_epoch", "first_epoch_seconds")


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seed, points = params["seed"], params["batch_loss_points"]
    runs = params["runs"]
    with naming(KEY):
        if not isinstance(runs, list) or not runs:
            raise InvalidParam(f"runs: expected a list of {{batch_size, epochs}}, got {runs!r}")
        for i, spec in enumerate(runs):
            check_keys(spec, RUN_KEYS, f"runs[{i}]")
        check_distinct([spec.get("batch_size") for spec in runs], "runs[].batch_size")
    config = mlp_config(KEY, params, data.n_classes)
    n_train = len(data.train[1])
    # Every run's params are checked before any training starts.
    trains = [
        train_config(
            f"{KEY}.runs[{i}]",
            {**params, **spec, "record_batch_loss": True},
            n_train,
            config.batchnorm,
        )
        for i, spec in enumerate(runs)
    ]

    frames, summaries, full_losses = {}, {}, {}
    for train in trains:
        name = f"batch {train.batch_size}"
        model = stacked_mlps(config, [seed]).to(device)
        result = train_replicas(model, data.train, data.splits, train, seeds=[seed])
        frames[name] = result.frame(0)
        full_losses[name] = result.batch_loss[:, 0]
        last = frames[name].iloc[-1]
        summaries[name] = {
            "batch_size": train.batch_size,
            "epochs": train.epochs,
            "iterations_per_epoch": result.steps_per_epoch,
            "batchnorm_mode": (
                "batch statistics" if train.batch_size > 1 else "running statistics (eval mode)"
            ),
            **{f"final_{k}": float(last[k]) for k in ("train_acc", "val_acc", "test_acc")},
            "seconds_per_epoch": float(result.train_seconds.mean()),
            "first_epoch_seconds": float(result.train_seconds[0]),
        }

    with atomic_output(FULL_BATCH_LOSS) as tmp:
        np.savez(tmp, **{name.replace(" ", "_"): losses for name, losses in full_losses.items()})
    sampled = {name: block_means(losses, points) for name, losses in full_losses.items()}
    write_csv(OUT / "batch_loss.csv", series_table(sampled, "batch", ["loss"]))
    write_csv(OUT / "val_acc.csv", series_table(frames, "epoch", ["val_acc"]))
    write_csv(
        OUT / "history.csv",
        pd.concat(
            [
                f.assign(batch_size=s["batch_size"])
                for f, s in zip(frames.values(), summaries.values(), strict=True)
            ]
        ),
    )

    title = f"(depth {config.depth}, width {config.width}, batch norm, lr {trains[0].lr:g})"
    plot_runs(
        frames,
        {"validation accuracy": "val_acc"},
        OUT / "val_acc.png",
        title=f"6.1 Q4: batch size {title}",
    )
    plot_runs(
        {name: frame.rename(columns={"loss": "training loss"}) for name, frame in sampled.items()},
        {"training loss (mean over a window of batches)": "training loss"},
        OUT / "batch_loss.png",
        x="batch",
        logx=True,
        title=f"6.1 Q4: training loss per batch {title}",
    )

    write_results(
        KEY,
        {
            "final_test_acc": {
                name.replace(" ", "_"): s["final_test_acc"] for name, s in summaries.items()
            }
        },
        {
            "runs": {
                name: {k: v for k, v in s.items() if k not in TIMING}
                for name, s in summaries.items()
            },
            # With compile: true the first epoch includes the step's one-time compilation.
            "timing": {name: {k: s[k] for k in TIMING} for name, s in summaries.items()},
            "compiled_step": bool(trains[0].compile),
            "batchnorm": config.batchnorm,
            **environment(device),
        },
    )


def block_means(losses: np.ndarray, points: int) -> pd.DataFrame:
    """Means over consecutive windows of batches, at most ``points`` of them.

    ``batch`` is the 1-based index of each window's last batch.
    """
    window = max(1, -(-len(losses) // points))
    usable = len(losses) // window * window
    means = losses[:usable].reshape(-1, window).mean(axis=1)
    return pd.DataFrame({"batch": np.arange(1, len(means) + 1) * window, "loss": means})


if __name__ == "__main__":
    run_cities(main)

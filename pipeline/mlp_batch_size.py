"""Stage mlp_batch_size (6.1 Q4): the base MLP with batch norm at several batch sizes.

Each (batch size, epochs) run is trained on its own; batch norm uses the batch's
statistics, except at batch size 1 where it normalises with its running statistics as
in eval mode (a single sample has no batch variance); the metrics say which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage import (
    METRICS,
    PLOTS,
    PREPARED,
    device_from,
    environment,
    load_params,
    load_prepared_cities,
    mlp_config,
    naming,
    run,
    train_config,
)

from mlpcnn.io import atomic_output, write_csv, write_json
from mlpcnn.plots import plot_runs
from mlpcnn.replicas import stacked_mlps
from mlpcnn.training import train_replicas

KEY = "mlp_batch_size"
OUT = PLOTS / KEY
FULL_BATCH_LOSS = PREPARED / f"{KEY}_batch_loss.npz"
TIMING = ("seconds_per_epoch", "first_epoch_seconds")


def main() -> None:
    params = load_params(KEY)
    device = device_from(params)
    data = load_prepared_cities(device)
    seed, points = params["seed"], params["batch_loss_points"]
    runs = params["runs"]
    if not isinstance(runs, list) or not runs:
        with naming(KEY):
            raise ValueError(f"runs: expected a list of {{batch_size, epochs}}, got {runs!r}")
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
    write_csv(OUT / "batch_loss.csv", wide(sampled))
    longest = max(frames.values(), key=len)["epoch"]
    write_csv(
        OUT / "val_acc.csv",
        pd.DataFrame({"epoch": longest} | {n: f["val_acc"] for n, f in frames.items()}),
    )
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

    write_json(
        METRICS / f"{KEY}.json",
        {
            "runs": {
                name: {k: v for k, v in s.items() if k not in TIMING}
                for name, s in summaries.items()
            },
            # With compile: true the first epoch includes the step's one-time compilation.
            "timing": {name: {k: s[k] for k in TIMING} for name, s in summaries.items()},
            "compiled_step": bool(trains[0].compile),
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


def wide(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One ``batch`` column and one loss column per run (empty where a run has no point)."""
    merged = None
    for name, frame in series.items():
        frame = frame.rename(columns={"loss": name})
        merged = frame if merged is None else merged.merge(frame, on="batch", how="outer")
    return merged.sort_values("batch")


if __name__ == "__main__":
    run(main)

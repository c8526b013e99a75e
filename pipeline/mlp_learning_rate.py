"""Stage mlp_learning_rate (6.1 Q1): the base MLP at several learning rates, as replicas.

Every rate starts from the same initial weights and sees the same batches (one seed),
so the learning rate is the only difference between the curves.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    train_config,
)
from stage_shared import PLOTS, device_from, environment, load_params, naming, write_results

from mlpcnn.cities.baselines import class_prior_loss
from mlpcnn.cities.figures import plot_runs
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import check_lr, train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam, check_distinct, number_label

KEY = "mlp_learning_rate"
OUT = PLOTS / KEY
KEYS = MODEL_KEYS + tuple(k for k in TRAIN_KEYS if k != "lr") + ("lrs",)
STUCK = 0.95  # a final validation loss above 95% of the class-prior loss: learnt (almost) nothing


def lr_label(lr: float) -> str:
    return f"lr {number_label(lr)}"


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    lrs = params["lrs"]
    with naming(KEY):
        if not isinstance(lrs, list) or not lrs:
            raise InvalidParam(f"lrs: expected a non-empty list of learning rates, got {lrs!r}")
        for i, lr in enumerate(lrs):
            check_lr(f"lrs[{i}]", lr)
        check_distinct(lrs, "lrs")
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, {**params, "lr": lrs[0]}, len(data.train[1]), config.batchnorm)
    seeds = [params["seed"]] * len(lrs)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, data.train, data.splits, train, seeds=seeds, lrs=lrs)

    runs = {lr_label(lr): result.frame(r) for r, lr in enumerate(lrs)}
    prior_loss = class_prior_loss(
        data.train[1].cpu().numpy(), data.splits["val"][1].cpu().numpy(), data.n_classes
    )
    diverged = dict(zip(runs, result.diverged_epoch, strict=True))
    history = pd.concat([frame.assign(lr=lr) for lr, frame in zip(lrs, runs.values(), strict=True)])
    write_csv(OUT / "history.csv", history)
    write_csv(OUT / "curves.csv", series_table(runs, "epoch", ["val_loss", "val_acc"]))
    plot_runs(
        runs,
        {"validation loss": "val_loss", "validation accuracy": "val_acc"},
        OUT / "val_loss.png",
        title=f"6.1 Q1: learning rate (depth {config.depth}, width {config.width}, "
        f"batch {train.batch_size}, {train.epochs} epochs)",
        logy=["validation loss"],
        diverged=diverged,
        references={"validation loss": (prior_loss, "predicting the class frequencies")},
    )

    summary = {
        name: {
            "lr": lr,
            "diverged": diverged[name] is not None,
            "diverged_epoch": diverged[name],
            # Not diverged, yet no better than predicting the class frequencies.
            "stuck_at_class_prior": diverged[name] is None
            and float(frame["val_loss"].iloc[-1]) >= STUCK * prior_loss,
            "final_val_loss": float(frame["val_loss"].iloc[-1]),
            "final_val_acc": float(frame["val_acc"].iloc[-1]),
            "final_test_acc": float(frame["test_acc"].iloc[-1]),
            "best_val_loss": float(frame["val_loss"].min()),
            "best_val_loss_epoch": _epoch_of_min(frame, "val_loss"),
        }
        for (name, frame), lr in zip(runs.items(), lrs, strict=True)
    }
    best = min(summary.values(), key=lambda r: _nan_last(r["final_val_loss"]))
    write_results(
        KEY,
        {"best_lr": best["lr"], "best_final_val_loss": best["final_val_loss"]},
        {
            "runs": summary,
            "class_prior_val_loss": prior_loss,
            "best_lr": best["lr"],
            "epochs": train.epochs,
            "timing": {"train_seconds": float(result.train_seconds.sum()), "replicas": len(lrs)},
            **environment(device),
        },
    )


def _epoch_of_min(frame: pd.DataFrame, column: str) -> int | None:
    values = frame[column]
    return None if values.isna().all() else int(frame["epoch"].loc[values.idxmin()])


def _nan_last(value: float) -> float:
    """A diverged run (NaN) ranks last."""
    return float("inf") if pd.isna(value) else float(value)


if __name__ == "__main__":
    run_cities(main)

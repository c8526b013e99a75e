"""Stage mlp_epochs (6.1 Q2): the base MLP trained for 100 epochs over seeds; loss per epoch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import MODELS, PLOTS, device_from, environment, load_params, write_results

from mlpcnn.cities.figures import plot_mean_curves
from mlpcnn.cities.mlp import save_mlps
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.stats import seed_interval
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.io import write_csv

KEY = "mlp_epochs"
OUT = PLOTS / KEY
SPLITS = ("train", "val", "test")


def main() -> None:
    params = load_params(KEY, (*MODEL_KEYS, *TRAIN_KEYS, "seeds"))
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds = seeds_of(KEY, params)
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, data.train, data.splits, train, seeds=seeds)
    history = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
    curves = mean_curves(history)

    write_csv(OUT / "history.csv", history)
    write_csv(OUT / "curves.csv", curves)
    plot_mean_curves(
        {f"mean and 95% interval over {len(seeds)} seeds": curves},
        {
            "cross-entropy loss": [f"{s}_loss" for s in SPLITS],
            "accuracy": [f"{s}_acc" for s in SPLITS],
        },
        OUT / "loss.png",
        title=(
            f"6.1 Q2: depth {config.depth}, width {config.width}, lr {train.lr:g}, "
            f"batch {train.batch_size}, {train.epochs} epochs"
        ),
    )
    save_mlps(MODELS / f"{KEY}.pt", [model.replica(r) for r in range(len(seeds))], seeds)

    val_loss = result.history["val_loss"]  # (epochs, R)
    best_epoch = np.nanargmin(val_loss, axis=0)  # (R,) 0-based
    columns = range(len(seeds))
    final = {f"{s}_{w}": seed_interval(result.history[f"{s}_{w}"][-1])
             for s in SPLITS for w in ("loss", "acc")}  # fmt: skip
    write_results(
        KEY,
        {"final_test_acc": final["test_acc"]["mean"]},
        {
            "final": final,
            "final_figure": "the last epoch's value, per seed; mean and 95% t-interval over seeds",
            "best_val_loss": seed_interval(val_loss[best_epoch, columns]),
            "best_val_loss_epoch": [int(e) + 1 for e in best_epoch],
            "test_acc_at_best_val_loss": seed_interval(
                result.history["test_acc"][best_epoch, columns]
            ),
            # Mean over seeds of (final - best) validation loss: how far the loss climbed back.
            "val_loss_rise_after_best": seed_interval(val_loss[-1] - val_loss[best_epoch, columns]),
            "train_minus_val_loss_final": seed_interval(
                result.history["train_loss"][-1] - val_loss[-1]
            ),
            "seeds": seeds,
            "epochs": train.epochs,
            "lr": train.lr,
            "batch_size": train.batch_size,
            "depth": config.depth,
            "width": config.width,
            "steps_per_epoch": result.steps_per_epoch,
            "timing": {
                "train_seconds": float(result.train_seconds.sum()),
                "seconds_per_epoch": float(np.mean(result.train_seconds)),
                "replicas": len(seeds),
                "threads": torch.get_num_threads(),
            },
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

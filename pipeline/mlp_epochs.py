"""Stage mlp_epochs (6.1 Q2): the base MLP trained for 100 epochs; loss per epoch."""

from __future__ import annotations

import numpy as np
import torch
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    save_model,
    train_config,
)
from stage_shared import MODELS, PLOTS, device_from, environment, load_params, write_results

from mlpcnn.cities.figures import plot_curves
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.io import write_csv

KEY = "mlp_epochs"
OUT = PLOTS / KEY


def main() -> None:
    params = load_params(KEY, MODEL_KEYS + TRAIN_KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seed = params["seed"]
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, [seed]).to(device)
    result = train_replicas(model, data.train, data.splits, train, seeds=[seed])
    history = result.frame(0)

    write_csv(OUT / "history.csv", history)
    plot_curves(
        history,
        {
            "cross-entropy loss": ["train_loss", "val_loss", "test_loss"],
            "accuracy": ["train_acc", "val_acc", "test_acc"],
        },
        OUT / "loss.png",
        title=(
            f"6.1 Q2: depth {config.depth}, width {config.width}, lr {train.lr:g}, "
            f"batch {train.batch_size}, {train.epochs} epochs"
        ),
    )
    save_model(model.replica(0), MODELS / f"{KEY}.pt")

    last = history.iloc[-1]
    best_loss = int(history["val_loss"].idxmin())
    best_acc = int(history["val_acc"].idxmax())
    write_results(
        KEY,
        {"final_val_acc": float(last["val_acc"]), "final_test_acc": float(last["test_acc"])},
        {
            "final": {key: float(last[key]) for key in history.columns if key != "epoch"},
            "best_val_loss": float(history["val_loss"].iloc[best_loss]),
            "best_val_loss_epoch": int(history["epoch"].iloc[best_loss]),
            "test_acc_at_best_val_loss": float(history["test_acc"].iloc[best_loss]),
            "best_val_acc": float(history["val_acc"].iloc[best_acc]),
            "best_val_acc_epoch": int(history["epoch"].iloc[best_acc]),
            "epochs": train.epochs,
            "lr": train.lr,
            "batch_size": train.batch_size,
            "depth": config.depth,
            "width": config.width,
            "steps_per_epoch": result.steps_per_epoch,
            "timing": {
                "train_seconds": float(result.train_seconds.sum()),
                "seconds_per_epoch": float(np.mean(result.train_seconds)),
                "threads": torch.get_num_threads(),
            },
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

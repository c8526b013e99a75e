"""Stage mlp_epochs (6.1 Q2): the base MLP trained for 100 epochs; loss per epoch."""

from __future__ import annotations

import numpy as np
import torch
from stage import (
    METRICS,
    MODELS,
    PLOTS,
    device_from,
    environment,
    load_params,
    load_prepared_cities,
    mlp_config,
    run,
    save_model,
    train_config,
)

from mlpcnn.io import write_csv, write_json
from mlpcnn.plots import plot_curves
from mlpcnn.replicas import stacked_mlps
from mlpcnn.training import train_replicas

OUT = PLOTS / "mlp_epochs"


def main() -> None:
    params = load_params("mlp_epochs")
    device = device_from(params)
    data = load_prepared_cities(device)
    seed = params["seed"]
    config = mlp_config("mlp_epochs", params, data.n_classes)
    train = train_config("mlp_epochs", params, len(data.train[1]), config.batchnorm)

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
    save_model(model.replica(0), MODELS / "mlp_epochs.pt")

    last = history.iloc[-1]
    best_loss = int(history["val_loss"].idxmin())
    best_acc = int(history["val_acc"].idxmax())
    write_json(
        METRICS / "mlp_epochs.json",
        {
            "final": {key: float(last[key]) for key in history.columns if key != "epoch"},
            "best_val_loss": float(history["val_loss"].iloc[best_loss]),
            "best_val_loss_epoch": int(history["epoch"].iloc[best_loss]),
            "test_acc_at_best_val_loss": float(history["test_acc"].iloc[best_loss]),
            "best_val_acc": float(history["val_acc"].iloc[best_acc]),
            "best_val_acc_epoch": int(history["epoch"].iloc[best_acc]),
            "epochs": train.epochs,
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
    run(main)

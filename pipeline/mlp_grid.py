"""Stage mlp_grid@<cell> (6.2): one (depth, width) cell, several seeds as batched replicas.

python pipeline/mlp_grid.py d6_w16
"""

from __future__ import annotations

from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_item, run_cities
from stage_shared import MODELS, PLOTS

from mlpcnn.cities.optimisation import finals
from mlpcnn.cities.replicas import save_replicas
from mlpcnn.cities.selection import mean_curves, summarise_cells
from mlpcnn.common.io import write_csv

KEY = "mlp_grid"


def main() -> None:
    stage = cities_item(KEY, "cells", (*MODEL_KEYS, *TRAIN_KEYS, "seeds"))
    cell = stage.name.split("/")[1]
    config = stage.mlp()
    train = stage.training(config.batchnorm)
    model, result = stage.train(config, train)

    out = PLOTS / KEY / cell
    history = result.table()
    write_csv(out / "history.csv", history)
    write_csv(out / "curves.csv", mean_curves(history))
    save_replicas(MODELS / KEY / f"{cell}.pt", model)

    summary = summarise_cells({cell: history}).loc[cell]
    stage.write(
        {"val_acc_mean": float(summary["val_acc_mean"])},
        {
            "depth": config.depth,
            "width": config.width,
            "epochs": train.epochs,
            "lr": train.lr,
            "seeds": stage.seeds,
            **{name: float(value) for name, value in summary.items() if name != "seeds"},
            "final_val_acc_per_seed": result.final("val_acc").tolist(),
            "diverged_seeds": [
                s for s, e in zip(stage.seeds, result.diverged_epoch, strict=True) if e
            ],
        },
        {"all seeds": result.train_seconds},
        {"val_acc_mean": finals(history, "val_acc")},  # a diverged seed blank, as in the mean
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage mlp_grid@<cell> (6.2): one (depth, width) cell, several seeds as batched replicas.

python pipeline/mlp_grid.py d6_w16
"""

from __future__ import annotations

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
    MODELS,
    PLOTS,
    device_from,
    environment,
    foreach_item,
    write_results,
)

from mlpcnn.cities.mlp import save_mlps
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves, summarise_cells
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.io import write_csv

KEY = "mlp_grid"


def main() -> None:
    cell, key, params = foreach_item(KEY, "cells", (*MODEL_KEYS, *TRAIN_KEYS, "seeds"))
    seeds = seeds_of(key, params)
    device = device_from(params)
    data = load_prepared_cities(device)
    config = mlp_config(key, params, data.n_classes)
    train = train_config(key, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, data.train, data.splits, train, seeds=seeds)

    out = PLOTS / KEY / cell
    history = pd.concat([result.frame(r).assign(seed=seed) for r, seed in enumerate(seeds)])
    write_csv(out / "history.csv", history)
    write_csv(out / "curves.csv", mean_curves(history))
    save_mlps(MODELS / KEY / f"{cell}.pt", [model.replica(r) for r in range(len(seeds))], seeds)

    summary = summarise_cells({cell: history}).loc[cell]
    write_results(
        f"{KEY}/{cell}",
        {"val_acc_mean": float(summary["val_acc_mean"])},
        {
            "depth": config.depth,
            "width": config.width,
            "epochs": train.epochs,
            "lr": train.lr,
            "seeds": seeds,
            **{name: float(value) for name, value in summary.items() if name != "seeds"},
            "final_val_acc_per_seed": [float(a) for a in result.history["val_acc"][-1]],
            "diverged_seeds": [s for s, e in zip(seeds, result.diverged_epoch, strict=True) if e],
            "timing": {"train_seconds": float(result.train_seconds.sum()), "replicas": len(seeds)},
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage mlp_grid@<cell> (6.2): one (depth, width) cell, several seeds as batched replicas.

python pipeline/mlp_grid.py d6_w16
"""

from __future__ import annotations

import pandas as pd
from stage import (
    METRICS,
    MODELS,
    PLOTS,
    device_from,
    environment,
    foreach_item,
    load_prepared_cities,
    mlp_config,
    naming,
    run,
    train_config,
)

from mlpcnn.io import write_csv, write_json
from mlpcnn.mlp import save_mlps
from mlpcnn.replicas import stacked_mlps
from mlpcnn.selection import mean_curves, summarise_cells
from mlpcnn.training import train_replicas

KEY = "mlp_grid"


def main() -> None:
    cell, key, params = foreach_item(KEY, "cells")
    seeds = params["seeds"]
    if not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds):
        with naming(f"{KEY}.train"):
            raise ValueError(
                f"seeds: expected a non-empty list of distinct integers, got {seeds!r}"
            )
    device = device_from(params)
    data = load_prepared_cities(device)
    config = mlp_config(key, params, data.n_classes)
    train = train_config(key, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, data.train, data.splits, train, seeds=seeds)

    out = PLOTS / KEY / cell
    history = pd.concat([result.frame(r).assign(seed=seed) for r, seed in enumerate(seeds)])
    write_csv(out / "history.csv", history)
    curves = mean_curves(history)
    write_csv(out / "curves.csv", curves)
    save_mlps(MODELS / KEY / f"{cell}.pt", [model.replica(r) for r in range(len(seeds))], seeds)

    summary = summarise_cells({cell: history}).loc[cell]
    write_json(
        METRICS / KEY / f"{cell}.json",
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
    run(main)

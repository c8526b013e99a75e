"""Stage encoding_sweep@<setting> (beyond 6.2 Q7): Fourier-feature encodings of the input.

    python pipeline/encoding_sweep.py rff_f2

A setting names an encoding (``axis``: sin and cos at geometric frequencies along each
coordinate; ``gaussian``: random Fourier features), its size and highest frequency in
cycles per degree, and may override any of the shared training params.
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
from stage_shared import PLOTS, device_from, environment, foreach_item, naming, write_results

from mlpcnn.cities.encodings import fourier_encoding, fourier_matrix
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves, summarise_cells
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.io import write_csv

KEY = "encoding_sweep"
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "seeds", "encoding_seed", "kind", "features", "max_frequency")


def main() -> None:
    name, key, params = foreach_item(KEY, "settings", KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    with naming(key):
        matrix = fourier_matrix(params["kind"], params["features"], params["max_frequency"],
                                seed=params["encoding_seed"]).to(device)  # fmt: skip
    splits = {split: (fourier_encoding(x, matrix), y) for split, (x, y) in data.splits.items()}
    seeds = seeds_of(key, params)
    config = mlp_config(key, params, data.n_classes, in_features=splits["train"][0].shape[1])
    train = train_config(key, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, splits["train"], splits, train, seeds=seeds)

    history = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
    write_csv(PLOTS / KEY / name / "curves.csv", mean_curves(history))
    summary = summarise_cells({name: history}).loc[name]
    write_results(
        f"{KEY}/{name}",
        {"val_acc_mean": float(summary["val_acc_mean"])},
        {
            "kind": params["kind"],
            "features": int(matrix.shape[1] * 2),
            "max_frequency": float(params["max_frequency"]),
            "highest_frequency_used": float(matrix.abs().max()),
            "depth": config.depth,
            "width": config.width,
            "epochs": train.epochs,
            "lr": train.lr,
            "lr_schedule": train.lr_schedule,
            "seeds": seeds,
            **{k: float(v) for k, v in summary.items() if k != "seeds"},
            "timing": {"train_seconds": float(result.train_seconds.sum())},
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

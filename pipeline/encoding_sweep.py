"""Stage encoding_sweep@<setting> (beyond 6.2 Q7): input encodings at one architecture.

    python pipeline/encoding_sweep.py rff_f2

A setting names an encoding (``raw``: the coordinates; ``sine``: the course's sin(a x);
``axis``: sin and cos at geometric frequencies along each coordinate; ``gaussian``:
random Fourier features) and, for the Fourier kinds, its size and highest frequency in
cycles per degree. It may override any of the shared training params; by default every
setting trains the same network the same way, so only the encoding differs.

Each seed's test predictions, and those of the seeds' ensemble (mean softmax), are
tested against 1-nearest-neighbour's city by city (McNemar's exact test).
"""

from __future__ import annotations

import pandas as pd
import torch
from stage_cities import (
    MODEL_KEYS,
    NEIGHBOURHOODS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import PLOTS, device_from, environment, foreach_item, naming, write_results

from mlpcnn.cities.encodings import make_encoding
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves, summarise_cells
from mlpcnn.cities.stats import mcnemar
from mlpcnn.cities.training import predict_logits, train_replicas
from mlpcnn.common.io import write_csv

KEY = "encoding_sweep"
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "seeds", "encoding_seed", "kind", "features", "max_frequency")


def main() -> None:
    name, key, params = foreach_item(KEY, "settings", KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    with naming(key):
        encoding = make_encoding(
            params["kind"], params.get("features"), params.get("max_frequency"),
            seed=params["encoding_seed"],
        )  # fmt: skip
    splits = {split: (encoding.encode(x), y) for split, (x, y) in data.splits.items()}
    seeds = seeds_of(key, params)
    config = mlp_config(key, params, data.n_classes, in_features=encoding.features)
    train = train_config(key, params, len(data.train[1]), config.batchnorm)

    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(model, splits["train"], splits, train, seeds=seeds)

    history = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
    write_csv(PLOTS / KEY / name / "curves.csv", mean_curves(history))
    summary = summarise_cells({name: history}).loc[name]

    # City by city against 1-NN on the test split: each seed, and the seeds' ensemble.
    x_test, y_test = splits["test"]
    logits = predict_logits(model, x_test)  # (R, N, C)
    correct = (logits.argmax(dim=-1) == y_test).cpu().numpy()  # (R, N)
    ensemble = (torch.softmax(logits, dim=-1).mean(dim=0).argmax(dim=-1) == y_test).cpu().numpy()
    nearest = data.nearest["test"] == y_test.cpu().numpy()
    groups = {name: data.test_neighbourhood == code for code, name in enumerate(NEIGHBOURHOODS)}
    write_results(
        f"{KEY}/{name}",
        {"val_acc_mean": float(summary["val_acc_mean"])},
        {
            "kind": encoding.kind,
            "features": encoding.features,
            "max_frequency": params.get("max_frequency"),
            "highest_frequency_used": encoding.highest_frequency,
            "depth": config.depth,
            "width": config.width,
            "epochs": train.epochs,
            "lr": train.lr,
            "lr_schedule": train.lr_schedule,
            "seeds": seeds,
            **{k: float(v) for k, v in summary.items() if k != "seeds"},
            "test_acc_per_seed": correct.mean(axis=1).tolist(),
            "ensemble": {"rule": "mean of the seeds' softmax", "test_acc": float(ensemble.mean())},
            "versus_nearest_neighbour": {
                "nearest_neighbour_test_acc": float(nearest.mean()),
                "per_seed": {str(s): mcnemar(correct[r], nearest) for r, s in enumerate(seeds)},
                "ensemble": mcnemar(ensemble, nearest),
            },
            # Where the errors are: test cities by how many of their nearest training
            # cities belong to another country (see prepare_cities).
            "errors_by_neighbourhood": {
                "cities": {g: int(mask.sum()) for g, mask in groups.items()},
                "mean_errors_per_seed": {
                    g: float((~correct[:, mask]).sum(axis=1).mean()) for g, mask in groups.items()
                },
                "nearest_neighbour_errors": {
                    g: int((~nearest[mask]).sum()) for g, mask in groups.items()
                },
            },
            "timing": {"train_seconds": float(result.train_seconds.sum())},
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

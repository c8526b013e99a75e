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

import torch
from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_item, run_cities
from stage_shared import PLOTS, naming

from mlpcnn.cities.encodings import make_encoding
from mlpcnn.cities.optimisation import finals
from mlpcnn.cities.selection import mean_curves, summarise_cells
from mlpcnn.cities.sweep import versus_nearest
from mlpcnn.cities.training import predict_logits
from mlpcnn.common.io import write_csv

KEY = "encoding_sweep"
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "seeds", "encoding_seed", "kind", "features", "max_frequency")


def main() -> None:
    stage = cities_item(KEY, "settings", KEYS)
    name, params = stage.name.split("/")[1], stage.params
    with naming(stage.key):
        encoding = make_encoding(
            params["kind"], params.get("features"), params.get("max_frequency"),
            seed=params["encoding_seed"],
        )  # fmt: skip
    splits = stage.data.mapped(encoding.encode)
    config = stage.mlp(in_features=encoding.features)
    train = stage.training(config.batchnorm)
    model, result = stage.train(config, train, splits)

    history = result.table()
    write_csv(PLOTS / KEY / name / "curves.csv", mean_curves(history))
    summary = summarise_cells({name: history}).loc[name]

    # City by city against 1-NN on the test split: each seed, and the seeds' ensemble.
    x_test, y_test = splits["test"]
    logits = predict_logits(model, x_test)  # (R, N, C)
    correct = (logits.argmax(dim=-1) == y_test).cpu().numpy()  # (R, N)
    ensemble = (torch.softmax(logits, dim=-1).mean(dim=0).argmax(dim=-1) == y_test).cpu().numpy()
    nearest = stage.data.nearest["test"] == y_test.cpu().numpy()
    stage.write(
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
            "seeds": stage.seeds,
            **{k: float(v) for k, v in summary.items() if k != "seeds"},
            "ensemble": {"rule": "mean of the seeds' softmax", "test_acc": float(ensemble.mean())},
            **versus_nearest(
                correct, ensemble, nearest, stage.data.test_neighbourhood, stage.seeds
            ),
        },
        {"all seeds": result.train_seconds},
        {"val_acc_mean": finals(history, "val_acc")},  # a diverged seed blank, as in the mean
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage prepare_cities: validate the three CSVs and write the arrays training reads."""

from __future__ import annotations

import numpy as np
from stage import METRICS, PREPARED_CITIES, RAW_CITIES, load_params, naming, run

from mlpcnn.baselines import nearest_neighbour_accuracy
from mlpcnn.cities import input_statistics, load_cities, subsample
from mlpcnn.io import atomic_output, write_json

FILES = {"train": "train.csv", "val": "validation.csv", "test": "test.csv"}


def main() -> None:
    params = load_params("prepare_cities")
    max_rows = params["max_rows"]
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        with naming("prepare_cities"):
            raise ValueError(f"max_rows: expected null or a positive integer, got {max_rows!r}")

    splits = load_cities({name: RAW_CITIES / file for name, file in FILES.items()})
    n_classes = int(splits["train"].labels.max()) + 1
    splits = {name: subsample(split, max_rows, params["seed"]) for name, split in splits.items()}

    train = splits["train"]
    with atomic_output(PREPARED_CITIES) as tmp:
        np.savez(
            tmp,
            n_classes=np.int64(n_classes),
            **{f"x_{name}": split.features.astype(np.float32) for name, split in splits.items()},
            **{f"y_{name}": split.labels for name, split in splits.items()},
        )
    write_json(
        METRICS / "prepare_cities.json",
        {
            "rows": {name: len(split) for name, split in splits.items()},
            "n_classes": n_classes,
            "classes_present": {
                name: int(np.unique(split.labels).size) for name, split in splits.items()
            },
            "train_input_statistics": input_statistics(splits["train"]),
            # 1-nearest-neighbour on the raw (float64) coordinates: what the data allows.
            "nearest_neighbour": {
                f"{name}_acc": nearest_neighbour_accuracy(
                    train.features, train.labels, splits[name].features, splits[name].labels
                )
                for name in ("val", "test")
            },
            "max_rows": max_rows,
        },
    )


if __name__ == "__main__":
    run(main)

"""Stage prepare_cities: validate the three CSVs and write the arrays training reads."""

from __future__ import annotations

import numpy as np
from stage_cities import PREPARED_CITIES, RAW_CITIES, run_cities
from stage_shared import load_params, naming, write_results

from mlpcnn.cities.baselines import nearest_neighbour_predictions, other_label_neighbours
from mlpcnn.cities.data import input_statistics, load_cities, subsample
from mlpcnn.cities.sweep import NEIGHBOURHOODS
from mlpcnn.common.io import write_arrays
from mlpcnn.common.params import InvalidParam

KEY = "prepare_cities"
FILES = {"train": "train.csv", "val": "validation.csv", "test": "test.csv"}
NEIGHBOURS = 5


def main() -> None:
    params = load_params(KEY, ("max_rows",), top=("seed",))
    max_rows = params["max_rows"]
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        with naming(KEY):
            raise InvalidParam(f"max_rows: expected null or a positive integer, got {max_rows!r}")

    splits = load_cities({name: RAW_CITIES / file for name, file in FILES.items()})
    n_classes = int(splits["train"].labels.max()) + 1
    splits = {name: subsample(split, max_rows, params["seed"]) for name, split in splits.items()}

    train = splits["train"]
    # 1-nearest-neighbour on the raw (float64) coordinates: what the data allows. Its
    # predictions are kept for the paired tests against it.
    predicted = {
        name: nearest_neighbour_predictions(train.features, train.labels, splits[name].features)
        for name in ("val", "test")
    }
    nearest = {
        f"{name}_acc": float((labels == splits[name].labels).mean())
        for name, labels in predicted.items()
    }
    # How many of each test city's 5 nearest training cities belong to another country.
    neighbours = other_label_neighbours(
        train.features, train.labels, splits["test"].features, splits["test"].labels, k=NEIGHBOURS
    )
    # 0: inside its country, 1: at a border, 2: surrounded by another country.
    neighbourhood = np.where(neighbours == 0, 0, np.where(neighbours < NEIGHBOURS, 1, 2))
    write_arrays(
        PREPARED_CITIES,
        n_classes=np.int64(n_classes),
        **{f"x_{name}": split.features.astype(np.float32) for name, split in splits.items()},
        **{f"y_{name}": split.labels for name, split in splits.items()},
        **{f"nearest_{name}": labels for name, labels in predicted.items()},
        test_neighbourhood=neighbourhood,
    )
    write_results(
        KEY,
        {"nearest_neighbour_val_acc": nearest["val_acc"]},
        {
            "rows": {name: len(split) for name, split in splits.items()},
            "n_classes": n_classes,
            "classes_present": {
                name: int(np.unique(split.labels).size) for name, split in splits.items()
            },
            "train_input_statistics": input_statistics(splits["train"]),
            "nearest_neighbour": nearest,
            "test_neighbourhoods": {
                "rule": f"of each test city's {NEIGHBOURS} nearest training cities, how many "
                "belong to another country",
                **{
                    name: int((neighbourhood == code).sum())
                    for code, name in enumerate(NEIGHBOURHOODS)
                },
            },
            "max_rows": max_rows,
        },
    )


if __name__ == "__main__":
    run_cities(main)

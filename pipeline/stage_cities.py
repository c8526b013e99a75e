"""What the cities stages (section 6) share: the prepared arrays, the MLP and its training."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stage_shared import PREPARED, InputError, naming, run

from mlpcnn.cities.data import CitiesDataError
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.training import TrainConfig
from mlpcnn.common.io import atomic_output
from mlpcnn.common.params import check_seeds

RAW_CITIES = Path("data/raw/cities")
NEIGHBOURHOODS = ("inside (none)", "border (some)", "surrounded (all)")  # codes 0, 1, 2
PREPARED_CITIES = PREPARED / "cities.npz"
MODEL_KEYS = ("depth", "width", "batchnorm")
# What params.yaml may set of TrainConfig (record_batch_loss is the stage's choice).
TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig) if f.name != "record_batch_loss")


def mlp_config(key: str, params: dict[str, Any], n_classes: int, **override: Any) -> MLPConfig:
    """The MLP a stage's params describe (``depth``, ``width``, ``batchnorm``)."""
    given = {name: params[name] for name in MODEL_KEYS if name in params}
    with naming(key):
        return MLPConfig(n_classes=n_classes, **{**given, **override})


def train_config(key: str, params: dict[str, Any], n_train: int, batchnorm: bool) -> TrainConfig:
    """The training a params mapping describes, checked against the data before any training."""
    names = [field.name for field in fields(TrainConfig)]
    with naming(key):
        config = TrainConfig(**{name: params[name] for name in names if name in params})
        config.steps_per_epoch(n_train, batchnorm)
    return config


def seeds_of(key: str, params: dict[str, Any]) -> list[int]:
    """The ``seeds`` param: a non-empty list of distinct integers."""
    with naming(key):
        return check_seeds(params["seeds"])


@dataclass(frozen=True)
class CityTensors:
    train: tuple[torch.Tensor, torch.Tensor]
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]  # train, val, test
    n_classes: int
    nearest: dict[str, np.ndarray]  # val, test: 1-nearest-neighbour's predicted labels
    test_neighbourhood: np.ndarray  # (N_test,) 0 inside, 1 border, 2 surrounded (prepare_cities)


def load_prepared_cities(device: torch.device) -> CityTensors:
    if not PREPARED_CITIES.is_file():
        raise InputError(f"{PREPARED_CITIES}: missing; run the prepare_cities stage first")
    with np.load(PREPARED_CITIES) as arrays:
        splits = {
            name: (
                torch.from_numpy(arrays[f"x_{name}"]).to(device),
                torch.from_numpy(arrays[f"y_{name}"]).to(device),
            )
            for name in ("train", "val", "test")
        }
        n_classes = int(arrays["n_classes"])
        nearest = {name: arrays[f"nearest_{name}"] for name in ("val", "test")}
        neighbourhood = arrays["test_neighbourhood"]
    return CityTensors(train=splits["train"], splits=splits, n_classes=n_classes, nearest=nearest,
                       test_neighbourhood=neighbourhood)  # fmt: skip


def save_model(model: torch.nn.Module, path: Path) -> None:
    with atomic_output(path) as tmp:
        torch.save(model.state_dict(), tmp)


def run_cities(main) -> None:
    """``run`` with the cities data's own errors reported as one line."""
    run(main, errors=(CitiesDataError,))

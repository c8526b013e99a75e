"""What every stage script shares: params, the repository's paths, errors as one line.

This is the only place that knows the layout of the repository and of params.yaml;
the library (``mlpcnn``) knows neither.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from mlpcnn.cities import CitiesDataError
from mlpcnn.device import resolve_device
from mlpcnn.faces import FacesDataError
from mlpcnn.io import atomic_output
from mlpcnn.mlp import MLPConfig
from mlpcnn.training import TrainConfig

PARAMS = Path("params.yaml")
RAW_CITIES = Path("data/raw/cities")
PREPARED = Path("data/prepared")
PREPARED_CITIES = PREPARED / "cities.npz"
MODELS = Path("models")
METRICS = Path("metrics")
PLOTS = Path("plots")


class ParamError(ValueError):
    """A value in params.yaml is invalid; the message names the key."""


def load_params(section: str) -> dict[str, Any]:
    """The stage's section of params.yaml, plus the shared ``seed`` and ``device``."""
    params = yaml.safe_load(PARAMS.read_text())
    if section not in params:
        raise ParamError(f"{PARAMS}: missing section '{section}'")
    return {
        "seed": params.get("seed", 0),
        "device": params.get("device", "auto"),
        **params[section],
    }


def foreach_item(section: str, items: str) -> tuple[str, str, dict[str, Any]]:
    """For a ``foreach`` stage run as ``script.py <name>``: the item's name, its key in
    params.yaml, and its params laid over the section's shared ``train`` params."""
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    params = load_params(section)
    if name not in params[items]:
        raise ParamError(
            f"{PARAMS}: {section}.{items} has no '{name}' (has: {', '.join(params[items])})"
        )
    merged = {
        "seed": params["seed"],
        "device": params["device"],
        **params["train"],
        **(params[items][name] or {}),
    }
    return name, f"{section}.{items}.{name}", merged


@contextmanager
def naming(key: str) -> Iterator[None]:
    """Re-raise a ValueError from the library as a ParamError naming ``key`` in params.yaml.

    The library's messages start with the argument's name (``lr: expected ...``), which
    becomes ``params.yaml: mlp_epochs.lr: expected ...``.
    """
    try:
        yield
    except ValueError as err:
        raise ParamError(f"{PARAMS}: {key}.{err}") from None


def device_from(params: dict[str, Any]) -> torch.device:
    try:
        return resolve_device(params["device"])
    except ValueError as err:
        raise ParamError(f"{PARAMS}: {err}") from None


def mlp_config(key: str, params: dict[str, Any], n_classes: int, **override: Any) -> MLPConfig:
    """The MLP a stage's params describe (``depth``, ``width``, ``batchnorm``)."""
    fields = {name: params[name] for name in ("depth", "width", "batchnorm") if name in params}
    with naming(key):
        return MLPConfig(n_classes=n_classes, **{**fields, **override})


def train_config(key: str, params: dict[str, Any], n_train: int, batchnorm: bool) -> TrainConfig:
    """The training a params mapping describes, checked against the data before any training."""
    names = [field.name for field in fields(TrainConfig)]
    with naming(key):
        config = TrainConfig(**{name: params[name] for name in names if name in params})
        config.steps_per_epoch(n_train, batchnorm)
    return config


@dataclass(frozen=True)
class CityTensors:
    train: tuple[torch.Tensor, torch.Tensor]
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]  # train, val, test
    n_classes: int


def load_prepared_cities(device: torch.device) -> CityTensors:
    with np.load(PREPARED_CITIES) as arrays:
        splits = {
            name: (
                torch.from_numpy(arrays[f"x_{name}"]).to(device),
                torch.from_numpy(arrays[f"y_{name}"]).to(device),
            )
            for name in ("train", "val", "test")
        }
        n_classes = int(arrays["n_classes"])
    return CityTensors(train=splits["train"], splits=splits, n_classes=n_classes)


def save_model(model: torch.nn.Module, path: Path) -> None:
    with atomic_output(path) as tmp:
        torch.save(model.state_dict(), tmp)


def environment(device: torch.device) -> dict[str, Any]:
    return {"device": device.type, "torch": torch.__version__}


def run(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; known input errors end it with one line, not a traceback."""
    start = time.perf_counter()
    try:
        main()
    except (ParamError, CitiesDataError, FacesDataError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr)

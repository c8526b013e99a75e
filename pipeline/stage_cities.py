"""What the cities stages (section 6) share: their set-up, the prepared arrays, training."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stage_shared import (
    PREPARED,
    InputError,
    device_from,
    environment,
    foreach_item,
    load_params,
    naming,
    run,
    worker_count,
    write_results,
)

from mlpcnn.cities.data import CitiesDataError
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import ReplicaMLP
from mlpcnn.cities.training import (
    SeedsRun,
    Split,
    TrainConfig,
    TrainResult,
    train_runs,
)
from mlpcnn.common.params import check_seeds

RAW_CITIES = Path("data/raw/cities")

PREPARED_CITIES = PREPARED / "cities.npz"
MODEL_KEYS = ("depth", "width", "batchnorm")
# A single run's seeds train in this many blocks, side by side on one-thread workers: a
# fixed number, so that the figures (which a block changes in the last bits: a GEMM over
# fewer replicas may round differently) do not depend on the machine's cores.
BLOCKS = 2
# What params.yaml may set of TrainConfig (record_batch_loss and ghost_batch are the
# stage's choice).
TRAIN_KEYS = tuple(
    f.name for f in fields(TrainConfig) if f.name not in ("record_batch_loss", "ghost_batch")
)


@dataclass(frozen=True)
class CityTensors:
    train: Split
    splits: dict[str, Split]  # train, val, test
    n_classes: int
    nearest: dict[str, np.ndarray]  # val, test: 1-nearest-neighbour's predicted labels
    test_neighbourhood: np.ndarray  # (N_test,) 0 inside, 1 border, 2 surrounded (prepare_cities)

    def mapped(self, encode: Callable[[torch.Tensor], torch.Tensor]) -> dict[str, Split]:
        """Every split with its features passed through ``encode`` (labels unchanged)."""
        return {name: (encode(x), y) for name, (x, y) in self.splits.items()}


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


@dataclass(frozen=True)
class CitiesStage:
    """A training stage of section 6, set up: its params (checked), device, data, seeds.

    ``key`` is where its params live in params.yaml (``mlp_epochs``, or
    ``mlp_grid.cells.d6_w16`` for a foreach item), and names them in every error.
    """

    name: str  # what write_results is given: stage, or stage/item
    key: str
    params: dict[str, Any]
    device: torch.device
    data: CityTensors
    seeds: list[int]

    def prior_loss(self) -> float:
        """The validation loss of predicting the training classes' frequencies: the
        curve rule's 'stuck at the class prior' (:mod:`mlpcnn.verdicts.curves`)."""
        from mlpcnn.cities.baselines import class_prior_loss

        labels = (self.data.train[1], self.data.splits["val"][1])
        return class_prior_loss(*(y.cpu().numpy() for y in labels), self.data.n_classes)

    def mlp(self, key: str | None = None, **override: Any) -> MLPConfig:
        """The MLP the params describe (``depth``, ``width``, ``batchnorm``), ``override``
        laid over them; errors name ``key`` (default: the stage's)."""
        given = {name: self.params[name] for name in MODEL_KEYS if name in self.params}
        with naming(key or self.key):
            return MLPConfig(n_classes=self.data.n_classes, **{**given, **override})

    def training(self, batchnorm: bool, key: str | None = None, **override: Any) -> TrainConfig:
        """The training the params describe, ``override`` laid over them, checked against
        the data (batch size, batch norm's last batch) before any training."""
        names = [field.name for field in fields(TrainConfig)]
        given = {**self.params, **override}
        with naming(key or self.key):
            config = TrainConfig(**{name: given[name] for name in names if name in given})
            config.steps_per_epoch(len(self.data.train[1]), batchnorm)
        return config

    def train(
        self,
        config: MLPConfig,
        train: TrainConfig,
        splits: Mapping[str, Split] | None = None,
        seeds: Sequence[int] | None = None,
        lrs: Sequence[float] | None = None,
    ) -> tuple[ReplicaMLP, TrainResult]:
        """The stage's seeds (or ``seeds``) trained as replicas of one batched run on
        ``splits`` (default: the raw coordinates), in ``BLOCKS`` blocks of seeds on worker
        processes of one thread (``MLPCNN_WORKERS``), so that both cores work."""
        run = SeedsRun(config, train, splits or self.data.splits, list(seeds or self.seeds),
                       str(self.device), None if lrs is None else list(lrs))  # fmt: skip
        return train_runs([run], worker_count(self.device), blocks=BLOCKS)[0]

    def train_all(
        self, runs: Sequence[tuple[MLPConfig, TrainConfig, Mapping[str, Split] | None]]
    ) -> list[tuple[ReplicaMLP, TrainResult]]:
        """Independent runs of the stage's seeds, ``(config, train, splits or None for the
        raw coordinates)`` each, side by side in worker processes (``MLPCNN_WORKERS``)."""
        return train_runs(
            [SeedsRun(config, train, splits or self.data.splits, self.seeds, str(self.device))
             for config, train, splits in runs],
            worker_count(self.device),
        )  # fmt: skip

    def write(
        self, headline: dict[str, Any], details: dict[str, Any],
        seconds: Mapping[str, float | Sequence[float]] | None = None,
        per_seed: Mapping[str, Sequence[float]] | None = None, workers: int | None = None,
    ) -> None:  # fmt: skip
        """``write_results`` with the device and torch version the stage ran on;
        ``per_seed``: each seed's value of the headline figures, for the stage's seeds;
        ``workers``: the processes its runs trained in (default: a single run's blocks)."""
        if workers is None:
            workers = min(worker_count(self.device), BLOCKS)
        write_results(self.name, headline, {**details, **environment(self.device)}, seconds,
                      None if per_seed is None else (self.seeds, per_seed), workers)  # fmt: skip


def cities_stage(key: str, known: Iterable[str]) -> CitiesStage:
    """Set up the stage whose params are the section ``key`` of params.yaml."""
    params = load_params(key, known, top=("device",))
    return _stage(key, key, params)


def cities_item(section: str, items: str, known: Iterable[str]) -> CitiesStage:
    """Set up a foreach stage's item (``script.py <name>``): see ``foreach_item``."""
    item = foreach_item(section, items, known)
    return _stage(f"{section}/{item.name}", item.key, item.params)


def _stage(name: str, key: str, params: dict[str, Any]) -> CitiesStage:
    with naming(key):
        seeds = check_seeds(params["seeds"])
    device = device_from(params)
    return CitiesStage(name, key, params, device, load_prepared_cities(device), seeds)


def run_cities(main: Callable[[], None]) -> None:
    """``run`` with the cities data's own errors reported as one line."""
    run(main, errors=(CitiesDataError,))

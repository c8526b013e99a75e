"""The shipped cities data as tensors: what the cities benchmarks time the library on.

Benchmarks run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from mlpcnn.cities.data import load_cities

RAW = Path(__file__).resolve().parents[1] / "data" / "raw" / "cities"
FILES = {"train": "train.csv", "val": "validation.csv", "test": "test.csv"}

Split = tuple[torch.Tensor, torch.Tensor]  # features (N, 2) float32, labels (N,)


def city_tensors() -> tuple[dict[str, Split], int]:
    """Every split as (features, labels) tensors, and the number of classes."""
    splits = load_cities({name: RAW / file for name, file in FILES.items()})
    tensors = {name: (torch.from_numpy(s.features).float(), torch.from_numpy(s.labels))
               for name, s in splits.items()}  # fmt: skip
    return tensors, int(splits["train"].labels.max()) + 1

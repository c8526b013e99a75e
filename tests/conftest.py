from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture
def toy_cities() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """A small learnable stand-in for the cities: 4 classes in the quadrants of a square."""
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = rng.uniform(-10, 10, size=(n, 2)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64) * 2 + (x[:, 1] > 0).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    return {"train": split(600), "val": split(200), "test": split(200)}

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

# torch.compile's caches: the tests, and the stages they run in copies of the repository,
# share the checkout's (pipeline/stage_shared.py's COMPILE_CACHE), so on a machine that
# ran the pipeline or the suite once, no test compiles from scratch.
os.environ.setdefault(
    "TORCHINDUCTOR_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".dvc/tmp/torch_compile")
)


@pytest.fixture
def toy_cities() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """A small learnable stand-in for the cities: 4 classes in the quadrants of a square."""
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = rng.uniform(-10, 10, size=(n, 2)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64) * 2 + (x[:, 1] > 0).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    return {"train": split(600), "val": split(200), "test": split(200)}


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what it deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With end-to-end tests selected: run them last, and start their shrunk `dvc repro`
    now, in the background, so the other tests run beside it."""
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    if not e2e or config.getoption("collectonly"):
        return
    items[:] = [item for item in items if not item.get_closest_marker("e2e")] + e2e
    from test_pipeline import ShrunkRun

    config.shrunk_folder = Path(tempfile.mkdtemp(prefix="mlpcnn-e2e-"))
    config.shrunk_run = ShrunkRun(config.shrunk_folder)
    # Its stages and the tests share two cores: one torch thread here until it is done
    # (the repo fixture gives the threads back), so that no two processes each spin on
    # every core.
    config.threads_before = torch.get_num_threads()
    torch.set_num_threads(1)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = getattr(config, "shrunk_run", None)
    if run is not None:
        run.stop()
        shutil.rmtree(config.shrunk_folder, ignore_errors=True)

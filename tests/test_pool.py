"""The worker pool: every run on one thread, the results in the order of the tasks and
the same as a serial run's, whatever the number of workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlpcnn.cities.gradients import DeepRun, run_deep_all
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.training import TrainConfig
from mlpcnn.common.params import InvalidParam
from mlpcnn.common.pool import cpu_count, run_all, workers_from_environment


def threads_and_square(x: int) -> tuple[int, int]:
    return torch.get_num_threads(), x * x


def test_every_run_has_one_thread_and_results_keep_the_task_order() -> None:
    tasks = [3, 1, 2]
    serial = run_all(threads_and_square, tasks, workers=1)
    assert serial == [(1, 9), (1, 1), (1, 4)]
    # The cost hands task 3 out first; the results still follow the tasks.
    assert run_all(threads_and_square, tasks, workers=2, cost=float) == serial


def test_the_calling_process_keeps_its_threads() -> None:
    before = torch.get_num_threads()
    run_all(threads_and_square, [1, 2], workers=1)
    assert torch.get_num_threads() == before


def test_workers_from_the_environment() -> None:
    assert workers_from_environment({}) == cpu_count()
    assert workers_from_environment({"MLPCNN_WORKERS": "auto"}) == cpu_count()
    assert workers_from_environment({"MLPCNN_WORKERS": "3"}) == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(InvalidParam, match=r"^MLPCNN_WORKERS: expected a positive integer"):
            workers_from_environment({"MLPCNN_WORKERS": bad})
    with pytest.raises(InvalidParam, match=r"^workers:"):
        run_all(threads_and_square, [1], workers=0)


def deep_runs(toy_cities) -> list[DeepRun]:
    train = TrainConfig(epochs=2, batch_size=100, flush_denormal=True)
    plain = MLPConfig(depth=12, width=3, n_classes=4)
    normed = MLPConfig(depth=6, width=5, n_classes=4, batchnorm=True)
    return [
        DeepRun(plain, train, toy_cities, [0, 1, 2, 3, 4], profile_rows=50),
        DeepRun(normed, train, toy_cities, [5, 6, 7]),
    ]


def assert_same(a, b) -> None:
    assert a.result.seeds == b.result.seeds
    for name, values in a.result.history.items():
        np.testing.assert_array_equal(values, b.result.history[name], err_msg=name)
    for name in ("magnitudes", "ratios", "dead_final", "dead_init", "profile_init"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.slow
def test_workers_give_the_serial_results_and_blocks_of_seeds_the_same_to_rounding(
    toy_cities,
) -> None:
    """Two worker processes against one process running every run: the same figures,
    bit for bit (the stages' own runs in workers: test_pipeline's in-process rerun).
    Each run's seeds cut into blocks: the same dead layers and accuracies; losses and
    gradient records to float32 rounding (a reduction over replicas rounds by how many
    there are), which is why a stage fixes its number of blocks."""
    runs = deep_runs(toy_cities)
    serial = run_deep_all(runs, workers=1)
    assert [r.result.seeds for r in serial] == [[0, 1, 2, 3, 4], [5, 6, 7]]
    for a, b in zip(serial, run_deep_all(runs, workers=2), strict=True):
        assert_same(a, b)
    blocked = run_deep_all(runs, workers=1, blocks=2)
    for a, b in zip(serial, blocked, strict=True):
        assert a.result.seeds == b.result.seeds
        for name in ("dead_final", "dead_init", "profile_init"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), name
        for name, values in a.result.history.items():
            compare = np.testing.assert_array_equal if "acc" in name else np.testing.assert_allclose
            kwargs = {} if "acc" in name else {"rtol": 1e-4}
            compare(values, b.result.history[name], err_msg=name, **kwargs)
        np.testing.assert_allclose(a.magnitudes, b.magnitudes, rtol=1e-4)
        np.testing.assert_allclose(a.ratios, b.ratios, rtol=1e-4)

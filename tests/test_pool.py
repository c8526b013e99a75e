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


# Where two computations of one figure may round differently (another CPU's kernels, a
# batched GEMM of another size), the tests compare to these tolerances, never exactly.
# Gradient records span 30 decades, so a relative tolerance; the absolute one only
# forgives a value that one side flushed to zero at the edge of float32's normal range.
GRADIENT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-35}
# The float64 profile is log10 of a squared norm: 1e-9 there is a relative 2e-9.
PROFILE_TOLERANCE = {"rtol": 0, "atol": 1e-9}


@pytest.mark.slow
def test_workers_give_the_serial_results_and_blocks_of_seeds_the_same_to_rounding(
    toy_cities,
) -> None:
    """Two worker processes against one process running every run: the same figures,
    bit for bit (each run computes the same shapes on one thread in both; the stages'
    own runs in workers: test_pipeline's in-process rerun). Each run's seeds cut into
    blocks: the same dead layers; accuracies to one item; losses, gradient records and the float64
    profile to rounding (a GEMM batched over 3 replicas may pick another kernel than one
    over 5, so the last bits differ by CPU), which is why a stage fixes its number of
    blocks."""
    runs = deep_runs(toy_cities)
    serial = run_deep_all(runs, workers=1)
    assert [r.result.seeds for r in serial] == [[0, 1, 2, 3, 4], [5, 6, 7]]
    for a, b in zip(serial, run_deep_all(runs, workers=2), strict=True):
        assert_same(a, b)
    blocked = run_deep_all(runs, workers=1, blocks=2)
    for a, b in zip(serial, blocked, strict=True):
        assert a.result.seeds == b.result.seeds
        for name in ("dead_final", "dead_init"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), name
        if a.profile_init is not None:
            # -inf (an exact zero: a dead layer) must sit at the same places on both sides
            np.testing.assert_allclose(a.profile_init, b.profile_init, **PROFILE_TOLERANCE)
        for name, values in a.result.history.items():
            # An accuracy moves only if a rounding flips an item on the margin: one at most.
            # Losses in eval mode: with batch norm, Adam turns the rounding noise in the
            # (exactly zero) gradient of a bias before a norm into full-size steps, which
            # the running mean follows a few steps late: 3e-4 apart seen on an AMD EPYC.
            tolerance = (
                {"rtol": 0, "atol": 1 / 200} if "acc" in name else {"rtol": 2e-3, "atol": 1e-6}
            )
            np.testing.assert_allclose(values, b.result.history[name], err_msg=name, **tolerance)
        np.testing.assert_allclose(a.magnitudes, b.magnitudes, **GRADIENT_TOLERANCE)
        np.testing.assert_allclose(a.ratios, b.ratios, **GRADIENT_TOLERANCE)
    assert serial[0].profile_init is not None  # the profile was compared


def fail_first_else_sleep(task: tuple[int, str]) -> int:
    """Task 0 raises at once; every other one leaves a mark, then sleeps a second."""
    import time
    from pathlib import Path

    index, folder = task
    if index == 0:
        raise ValueError("run 0 failed")
    Path(folder, f"{index}.started").touch()
    time.sleep(1.0)
    return index


def test_a_failing_run_stops_the_pool_at_once(tmp_path) -> None:
    """10 runs on 2 workers, the first raises: its error arrives before the second
    worker's run ends, and the queued runs never start (serially they take 9 s)."""
    import time

    tasks = [(i, str(tmp_path)) for i in range(10)]
    start = time.perf_counter()
    with pytest.raises(ValueError, match="run 0 failed"):
        run_all(fail_first_else_sleep, tasks, workers=2)
    assert time.perf_counter() - start < 4.0 + 5.0  # 2 worker start-ups (importing torch)
    time.sleep(1.5)  # a run that was still going would leave its mark by now
    started = sorted(int(p.stem) for p in tmp_path.glob("*.started"))
    assert len(started) <= 3, started  # what was running, and the pool's one call queued ahead
    with pytest.raises(ValueError, match="run 0 failed"):  # one process: the same error
        run_all(fail_first_else_sleep, tasks[:3], workers=1)


def _progress_lines(stream_factory, monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[str]:
    import time

    from mlpcnn.common import progress

    monkeypatch.setenv(progress.SECONDS_VARIABLE, "0")
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    progress.set_label("run 2 of 3")
    path = tmp_path / "err.txt"
    with stream_factory(path) as stream:
        bar = progress.Progress(4, "step", "training 5 replicas", stream=stream)
        for t, epoch in ((10.0, 1), (11.0, 1), (12.0, 2), (15.0, 2)):  # the first step compiles
            now[0] = t
            bar.note(epoch=epoch)
            bar.update()
        now[0] = 17.0
        bar.close()
    progress.set_label("")
    return path.read_text().splitlines()


@pytest.mark.parametrize("kind", ["file", "text-only"])
def test_progress_lines_name_the_run_and_estimate_from_the_rate_after_the_first_step(
    kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """Without a terminal: a line per update (interval 0), the run's label in front, the
    time left from the rate after the first step (which pays for compiling: 10 s here),
    whole lines through a file descriptor and through a stream without one."""
    import io

    class NoDescriptor(io.StringIO):
        def __init__(self, path):
            super().__init__()
            self.path = path

        def __exit__(self, *exc):
            self.path.write_text(self.getvalue())
            return super().__exit__(*exc)

    factory = (lambda p: open(p, "w")) if kind == "file" else NoDescriptor  # noqa: SIM115
    lines = _progress_lines(factory, monkeypatch, tmp_path)
    assert lines[0] == "run 2 of 3: training 5 replicas started: 0/4 steps, 0 s"
    assert lines[-1] == "run 2 of 3: training 5 replicas done: 4/4 steps, epoch 2, 17 s"
    assert len(lines) == 2 + 4  # started, one per step (the last one's too), done
    assert lines[1] == "run 2 of 3: training 5 replicas: 1/4 steps, epoch 1, 10 s"  # no rate yet
    assert lines[2].endswith("epoch 1, 11 s, about 2 s left")  # 1 s a step after the first
    assert lines[3].endswith("epoch 2, 12 s, about 1 s left")  # (12 - 10) s / 2 steps

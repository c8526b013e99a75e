"""Independent training runs spread over worker processes of one thread each.

The small networks of the cities study cost per operation, not per FLOP: a second
thread inside one run gains little, while two runs side by side, one thread each, use
both cores (``benchmarks/bench_gradient_study.py``). Every run handed to :func:`run_all`
trains on one thread, in a worker or in the calling process alike, so its result does
not depend on how many workers there are (a reduction split over two threads may round
differently from one thread).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import torch

from mlpcnn.common.params import InvalidParam

T = TypeVar("T")
R = TypeVar("R")
WORKERS_VARIABLE = "MLPCNN_WORKERS"


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def workers_from_environment(environ: dict[str, str] | None = None) -> int:
    """``MLPCNN_WORKERS``: a positive integer, or unset / ``auto`` for one per usable CPU."""
    value = (os.environ if environ is None else environ).get(WORKERS_VARIABLE, "auto").strip()
    if value == "auto":
        return cpu_count()
    if not value.isdigit() or int(value) < 1:
        raise InvalidParam(
            f"{WORKERS_VARIABLE}: expected a positive integer or 'auto', got {value!r}"
        )
    return int(value)


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one intra-op thread while inside, then as before."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _init_worker() -> None:
    torch.set_num_threads(1)


def _call_one_thread(fn: Callable[[T], R], task: T) -> R:
    with one_thread():
        return fn(task)


def run_all(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    workers: int,
    cost: Callable[[T], float] | None = None,
) -> list[R]:
    """``[fn(task) for task in tasks]``, each call on one thread; with ``workers`` > 1,
    in that many processes (started by ``spawn``: ``fn`` and the tasks must pickle).

    ``cost`` (a guess of each task's time) hands the dearest tasks out first, so a long
    task does not start last; the results come back in the order of ``tasks`` either way.
    """
    if workers < 1:
        raise InvalidParam(f"workers: expected a positive integer, got {workers!r}")
    if workers == 1 or len(tasks) <= 1:
        return [_call_one_thread(fn, task) for task in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i])) if cost else range(len(tasks))
    context = multiprocessing.get_context("spawn")  # fork is unsafe once torch has threads
    with ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=_init_worker
    ) as pool:
        futures = {i: pool.submit(fn, tasks[i]) for i in order}
        return [futures[i].result() for i in range(len(tasks))]

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
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar

import torch

from mlpcnn.common.params import InvalidParam
from mlpcnn.common.progress import set_label

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


def _call_one_thread(fn: Callable[[T], R], task: T, label: str = "") -> R:
    set_label(label)  # progress lines say which run they belong to
    try:
        with one_thread():
            return fn(task)
    finally:
        set_label("")


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
    The first run that raises stops the pool: the runs still queued never start, and its
    error is raised at once.
    """
    if workers < 1:
        raise InvalidParam(f"workers: expected a positive integer, got {workers!r}")
    if workers == 1 or len(tasks) <= 1:
        n = len(tasks)
        return [_call_one_thread(fn, task, f"run {i + 1} of {n}" if n > 1 else "")
                for i, task in enumerate(tasks)]  # fmt: skip
    order = sorted(range(len(tasks)), key=lambda i: -cost(tasks[i])) if cost else range(len(tasks))
    processes = min(workers, len(tasks))
    print(f"{len(tasks)} runs on {processes} worker processes of one thread", file=sys.stderr,
          flush=True)  # fmt: skip
    context = multiprocessing.get_context("spawn")  # fork is unsafe once torch has threads
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=_init_worker)
    try:
        n = len(tasks)
        futures = {i: pool.submit(_call_one_thread, fn, tasks[i], f"run {i + 1} of {n}")
                   for i in order}  # fmt: skip
        done, _ = wait(futures.values(), return_when=FIRST_EXCEPTION)
        failed = next((f for f in done if f.exception() is not None), None)
        if failed is not None:  # the queued runs are cancelled; the error reaches the stage now
            _stop(pool)
            raise failed.exception()
        return [futures[i].result() for i in range(len(tasks))]
    except BaseException:  # KeyboardInterrupt too: no run goes on without its stage
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Drop the queued runs and end the running ones (``terminate_workers`` from
    Python 3.14; before it, the workers are ended one by one)."""
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown drops them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()

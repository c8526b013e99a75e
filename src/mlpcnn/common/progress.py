"""Progress of a long loop, on a terminal or not.

On a terminal (and in the stage's own process) a tqdm bar. Anywhere else (``dvc exp run
--queue`` and ``dvc queue logs``, CI, output redirected to a file, a worker process whose
bar would draw over its siblings') one line at the start, one at least every
``MLPCNN_PROGRESS_SECONDS`` (30 by default) and one at the end, each naming the run (``run
2 of 7``, set by the worker pool), the step, the latest figures and the time left.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from typing import Any, TextIO

from tqdm.auto import tqdm

SECONDS_VARIABLE = "MLPCNN_PROGRESS_SECONDS"
_label = ""  # which run of a stage this process is training, e.g. "run 2 of 7"


def set_label(label: str) -> None:
    """Name the run that the following loops belong to (the pool sets it per task)."""
    global _label
    _label = label


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get(SECONDS_VARIABLE, "30")))
    except ValueError:
        return 30.0


def _on_terminal(stream: TextIO) -> bool:
    in_worker = multiprocessing.parent_process() is not None
    return not in_worker and hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """``update(n)``, ``note(**figures)`` and ``close()``, as a tqdm bar or as lines.

    ``enabled``: True or False forces it; None shows it (a bar on a terminal, lines
    elsewhere).
    """

    def __init__(
        self,
        total: int,
        unit: str,
        desc: str,
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.total, self.unit, self.desc = total, unit, desc
        self.enabled = enabled is not False
        self.bar = None
        self.done = 0
        self.figures: dict[str, Any] = {}
        self.start = self.last = time.monotonic()
        self.first: tuple[float, int] | None = None  # (time, count) at the first update
        if not self.enabled:
            return
        if _on_terminal(self.stream):
            self.bar = tqdm(total=total, unit=unit, desc=desc, leave=False, mininterval=1.0,
                            file=self.stream)  # fmt: skip
        else:
            self._line("started")

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.first is None:
            self.first = (time.monotonic(), self.done)
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and time.monotonic() - self.last >= _interval():
            self._line()

    def note(self, **figures: Any) -> None:
        """Figures shown beside the count (e.g. epoch, val_acc)."""
        self.figures = figures
        if self.bar is not None:
            self.bar.set_postfix(**figures)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            self._line("done")

    def _line(self, event: str = "") -> None:
        now = time.monotonic()
        self.last = now
        elapsed = now - self.start
        where = f"{_label}: " if _label else ""
        figures = "".join(f", {k} {v}" for k, v in self.figures.items())
        left = ""
        if self.first is not None and self.first[1] < self.done < self.total:
            # the rate after the first update: the first step pays for compiling
            rate = (now - self.first[0]) / (self.done - self.first[1])
            left = f", about {rate * (self.total - self.done):.0f} s left"
        state = f" {event}" if event else ""
        units = f"{self.unit}es" if self.unit.endswith(("ch", "sh", "s", "x")) else f"{self.unit}s"
        _write_line(self.stream, f"{where}{self.desc}{state}: {self.done}/{self.total} {units}"
                                 f"{figures}, {elapsed:.0f} s{left}")  # fmt: skip


def _write_line(stream: TextIO, line: str) -> None:
    """One write of the whole line where the stream has a file descriptor: a pipe takes
    it whole (under 4 KiB), so lines of worker processes sharing stderr never run into
    each other."""
    data = f"{line}\n"
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        stream.write(data)
        stream.flush()
        return
    stream.flush()
    os.write(fd, data.encode())

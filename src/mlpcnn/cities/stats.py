"""The noise of a training-loss curve (6.1 Q4), read on windows holding the same number of
samples whatever the batch size (``equal_sample_windows``, ``tail_noise``). The statistics
both studies share (intervals, tests, Holm) are in :mod:`mlpcnn.common.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlpcnn.common.params import InvalidParam


def check_windows(samples_per_point: object, batch_sizes: Sequence[int]) -> int:
    """Windows of ``samples_per_point`` samples hold whole batches of every batch size."""
    if (
        not isinstance(samples_per_point, int)
        or isinstance(samples_per_point, bool)
        or samples_per_point < 1
    ):
        raise InvalidParam(
            f"samples_per_point: expected a positive integer, got {samples_per_point!r}"
        )
    for batch_size in batch_sizes:
        if samples_per_point % batch_size:
            raise InvalidParam(
                f"samples_per_point: expected a multiple of every batch size, got "
                f"{samples_per_point} for batch size {batch_size}"
            )
    return samples_per_point


def equal_sample_windows(
    losses: np.ndarray, batch_size: int, samples_per_point: int
) -> tuple[np.ndarray, np.ndarray]:
    """Means of per-batch losses over windows of ``samples_per_point`` training samples.

    ``losses``: ``(steps, R)``, one row per batch in training order. A window holds
    ``samples_per_point / batch_size`` consecutive batches, so every batch size is
    smoothed over the same number of samples; an incomplete last window is dropped.
    Returns (samples seen at each window's end ``(W,)``, window means ``(W, R)``).
    """
    check_windows(samples_per_point, [batch_size])
    window = samples_per_point // batch_size
    count = len(losses) // window
    means = losses[: count * window].reshape(count, window, *losses.shape[1:]).mean(axis=1)
    return np.arange(1, count + 1) * samples_per_point, means


def tail_noise(series: np.ndarray, tail: float = 0.1) -> np.ndarray:
    """The noise of each column of ``series`` over its last ``tail``, trend removed.

    ``series``: ``(W, R)`` losses in training order (per batch, or window means). The
    statistic is the standard deviation (ddof 1) of successive differences divided by
    sqrt(2): for independent noise around a slowly moving mean it estimates the noise's
    standard deviation, and unlike the plain standard deviation it does not count a loss
    that is still falling as noise. At least three points are used; ``(R,)``.
    """
    if not 0 < tail <= 1:
        raise InvalidParam(f"tail: expected a fraction in (0, 1], got {tail!r}")
    count = max(3, round(tail * len(series)))
    if len(series) < count:
        return np.full(series.shape[1:], np.nan)
    return np.diff(series[-count:], axis=0).std(axis=0, ddof=1) / np.sqrt(2)

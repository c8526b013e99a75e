"""Input encodings of the (longitude, latitude) coordinates.

The course's implicit representation maps each coordinate x to sin(a * x) for a set of
frequencies a (radians per degree); the sweep beyond it adds cosines and random Fourier
features, whose frequencies are drawn once from a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mlpcnn.common.params import InvalidParam

COURSE_FREQUENCIES = tuple(round(0.1 * k, 1) for k in range(1, 11))  # 0.1, 0.2, ..., 1.0


def sine_encoding(
    x: torch.Tensor, frequencies: Sequence[float] = COURSE_FREQUENCIES
) -> torch.Tensor:
    """``(N, 2)`` -> ``(N, 2K)``: sin(a * long) for every a, then sin(a * lat) for every a."""
    a = torch.as_tensor(frequencies, dtype=x.dtype, device=x.device)  # (K,)
    return torch.sin(x[:, :, None] * a).flatten(1)  # (N, 2, K) -> (N, 2K), long block first


def fourier_encoding(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``(N, 2)`` -> ``(N, 2K)``: [sin(2 pi x B), cos(2 pi x B)] for a ``(2, K)`` matrix B.

    B's columns are frequency vectors in cycles per degree.
    """
    projected = 2 * torch.pi * x @ matrix.to(x.dtype)  # (N, K)
    return torch.cat([torch.sin(projected), torch.cos(projected)], dim=1)


def fourier_matrix(kind: str, features: int, max_frequency: float, seed: int = 0) -> torch.Tensor:
    """A ``(2, K)`` frequency matrix in cycles per degree, up to ``max_frequency``.

    ``axis``: K/2 geometric frequencies from max_frequency / 2^(K/2 - 1) ... max_frequency
    along longitude, the same along latitude (sin and cos of each: a positional encoding).
    ``gaussian``: random Fourier features, K frequency vectors drawn from a normal
    distribution with standard deviation max_frequency / 3 (so few exceed it), seeded.
    """
    if kind == "axis":
        per_axis = features // 2
        scales = max_frequency / 2.0 ** np.arange(per_axis)[::-1]
        matrix = np.zeros((2, 2 * per_axis))
        matrix[0, :per_axis], matrix[1, per_axis:] = scales, scales
    elif kind == "gaussian":
        matrix = np.random.default_rng(seed).normal(0.0, max_frequency / 3, size=(2, features))
    else:
        raise InvalidParam(f"kind: expected 'axis' or 'gaussian', got {kind!r}")
    return torch.from_numpy(matrix.astype(np.float32))


KINDS = ("raw", "sine", "axis", "gaussian")


@dataclass(frozen=True)
class Encoding:
    """An input encoding of the sweep: ``encode`` maps ``(N, 2)`` to ``(N, features)``."""

    kind: str
    encode: Callable[[torch.Tensor], torch.Tensor]
    features: int
    highest_frequency: float  # cycles per degree; 0 for the raw coordinates


def make_encoding(
    kind: str, features: int | None = None, max_frequency: float | None = None, seed: int = 0
) -> Encoding:
    """The encoding a sweep setting names.

    ``raw``: the coordinates themselves; ``sine``: the course's sin(a x), a = 0.1 ... 1.0
    radians per degree (neither takes ``features`` or ``max_frequency``); ``axis`` and
    ``gaussian``: Fourier features (see :func:`fourier_matrix`), which need both.
    """
    if kind not in KINDS:
        raise InvalidParam(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if kind in ("raw", "sine"):
        for name, value in (("features", features), ("max_frequency", max_frequency)):
            if value is not None:
                raise InvalidParam(f"{name}: not used by kind {kind!r}; remove it")
        if kind == "raw":
            return Encoding(kind, lambda x: x, 2, 0.0)
        return Encoding(
            kind, sine_encoding, 2 * len(COURSE_FREQUENCIES), max(COURSE_FREQUENCIES) / (2 * np.pi)
        )
    if not isinstance(features, int) or isinstance(features, bool) or features < 2:
        raise InvalidParam(f"features: expected an integer of at least 2, got {features!r}")
    if not isinstance(max_frequency, int | float) or not max_frequency > 0:
        raise InvalidParam(f"max_frequency: expected a positive number, got {max_frequency!r}")
    matrix = fourier_matrix(kind, features, max_frequency, seed=seed)
    return Encoding(
        kind,
        lambda x: fourier_encoding(x, matrix.to(x.device)),
        2 * matrix.shape[1],
        float(matrix.abs().max()),
    )


def standardiser(x_train: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``x -> (x - mean) / std`` with the training split's per-coordinate statistics.

    Raw degrees (longitude ~15 +- 11, latitude ~49 +- 6) become zero-mean, unit-variance
    inputs, what batch norm's first layer would otherwise have to learn to undo.
    """
    mean, std = x_train.mean(dim=0), x_train.std(dim=0)  # (F,), (F,)
    return lambda x: (x - mean) / std


def check_frequencies(frequencies: object) -> list[float]:
    """A non-empty list of numbers (the a of sin(a x))."""
    if (
        not isinstance(frequencies, list)
        or not frequencies
        or any(not isinstance(a, int | float) or isinstance(a, bool) for a in frequencies)
    ):
        raise InvalidParam(
            f"frequencies: expected a non-empty list of numbers, got {frequencies!r}"
        )
    return list(frequencies)

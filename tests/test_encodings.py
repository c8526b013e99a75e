from __future__ import annotations

import math

import pytest
import torch

from mlpcnn.cities.encodings import (
    COURSE_FREQUENCIES,
    fourier_encoding,
    fourier_matrix,
    sine_encoding,
)


def test_course_frequencies() -> None:
    assert COURSE_FREQUENCIES == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def test_sine_encoding_column_order_and_values() -> None:
    x = torch.tensor([[2.0, 48.0], [-3.5, 40.0]])
    encoded = sine_encoding(x)
    assert encoded.shape == (2, 20)
    for k, a in enumerate(COURSE_FREQUENCIES):
        assert encoded[0, k].item() == pytest.approx(
            math.sin(a * 2.0), abs=2e-5
        )  # longitude block first
        assert encoded[0, 10 + k].item() == pytest.approx(
            math.sin(a * 48.0), abs=2e-5
        )  # then latitude
        assert encoded[1, k].item() == pytest.approx(math.sin(a * -3.5), abs=2e-5)


def test_fourier_encoding_is_sin_then_cos_of_the_projection() -> None:
    matrix = torch.tensor([[1.0, 0.0, 0.5], [0.0, 2.0, 0.5]])
    x = torch.tensor([[0.25, 0.1]])
    encoded = fourier_encoding(x, matrix)
    projected = [0.25, 0.2, 0.175]
    expected = [math.sin(2 * math.pi * p) for p in projected] + [
        math.cos(2 * math.pi * p) for p in projected
    ]
    torch.testing.assert_close(encoded[0], torch.tensor(expected), rtol=1e-5, atol=1e-6)


def test_fourier_matrices() -> None:
    axis = fourier_matrix("axis", features=8, max_frequency=4.0)
    assert axis.shape == (2, 8)
    assert axis[0, :4].tolist() == [0.5, 1.0, 2.0, 4.0] and axis[1, :4].abs().sum() == 0
    assert axis[1, 4:].tolist() == [0.5, 1.0, 2.0, 4.0]
    a, b = fourier_matrix("gaussian", 64, 3.0, seed=1), fourier_matrix("gaussian", 64, 3.0, seed=1)
    assert torch.equal(a, b) and not torch.equal(a, fourier_matrix("gaussian", 64, 3.0, seed=2))
    with pytest.raises(ValueError, match="kind: expected 'axis' or 'gaussian'"):
        fourier_matrix("wavelet", 8, 1.0)

"""The classic forensic view of generated images: the mean amplitude spectrum of their
high-pass residual, real against fake.

A generator's up-sampling layers leave periodic patterns that show as peaks in this
spectrum (Zhang, Karaman and Chang 2019; Durall, Keuper and Keuper 2020); a camera's
noise raises it evenly. The spectrum is read at full resolution, on each image's central
``side`` x ``side`` pixels (no resize, which would shrink the traces being looked for);
an image smaller than that is brought up to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy.ndimage import gaussian_filter

from mlpcnn.faces.data import CLASSES

SIDE = 256


def residual_spectrum(image: Image.Image, side: int = SIDE) -> np.ndarray:
    """``(side, side)`` amplitude spectrum (zero frequency in the centre) of the grey
    image's central crop minus its Gaussian blur (sigma 1 px), what is left at the finest
    scales, under a Hann window."""
    grey = image.convert("L")
    if min(grey.size) < side:
        grey = grey.resize(
            (max(side, grey.width), max(side, grey.height)), Image.Resampling.BICUBIC
        )
    left, top = (grey.width - side) // 2, (grey.height - side) // 2
    pixels = np.asarray(grey.crop((left, top, left + side, top + side)), dtype=np.float64) / 255
    residual = pixels - gaussian_filter(pixels, sigma=1.0)
    window = np.outer(np.hanning(side), np.hanning(side))  # no leakage from the crop's edges
    return np.fft.fftshift(np.abs(np.fft.fft2(residual * window)))


def mean_spectrum(images: Iterable[Image.Image], side: int = SIDE) -> np.ndarray:
    """The mean of :func:`residual_spectrum` over ``images``."""
    total, count = np.zeros((side, side)), 0
    for image in images:
        total += residual_spectrum(image, side)
        count += 1
    if count == 0:
        raise ValueError("mean_spectrum: no images")
    return total / count


def axis_profile(spectrum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies 0 .. 0.5 cycles per pixel and the amplitude along the two axes
    (horizontal and vertical frequency, averaged), where a pixel grid's peaks lie."""
    side = spectrum.shape[0]
    centre = side // 2
    row, column = spectrum[centre, centre:], spectrum[centre:, centre]
    # the most negative frequency (-0.5) sits at index 0: it is the same as +0.5
    row = np.append(row, spectrum[centre, 0])
    column = np.append(column, spectrum[0, centre])
    return np.arange(centre + 1) / side, (row + column) / 2


def peak_ratio(spectrum: np.ndarray, frequency: float) -> float:
    """The axis amplitude at ``frequency`` over the median of its neighbours within
    +-0.02 cycles per pixel (itself left out): about 1 where there is no peak."""
    freqs, amplitude = axis_profile(spectrum)
    at = int(np.argmin(np.abs(freqs - frequency)))
    near = np.abs(freqs - freqs[at]) <= 0.02
    near[at] = False
    return float(amplitude[at] / np.median(amplitude[near]))


PEAK_FREQUENCIES = (0.5, 0.25, 0.125)  # periods of 2, 4 and 8 pixels


def class_spectra(
    root: Path, files: Sequence[str], labels: np.ndarray, side: int = SIDE
) -> dict[str, np.ndarray]:
    """The mean spectrum of each class (``CLASSES`` names) over the images ``root / file``."""
    spectra = {}
    for label, name in enumerate(CLASSES):
        paths = [root / f for f, y in zip(files, labels, strict=True) if y == label]
        spectra[name] = mean_spectrum((_open_rgb(p) for p in paths), side)
    return spectra


def _open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def peak_table(spectra: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per period of 2, 4 and 8 pixels, each class's :func:`peak_ratio` there."""
    return {
        f"period_{round(1 / f)}px": {
            name: round(peak_ratio(s, f), 3) for name, s in spectra.items()
        }
        for f in PEAK_FREQUENCIES
    }


def spectrum_table(spectra: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table for a DVC plot: ``series`` (class), ``frequency``, ``amplitude``."""
    frames = []
    for name, spectrum in spectra.items():
        freqs, amplitude = axis_profile(spectrum)
        frames.append(pd.DataFrame({"series": name, "frequency": freqs, "amplitude": amplitude}))
    return pd.concat(frames, ignore_index=True)

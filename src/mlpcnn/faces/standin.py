"""A deterministic synthetic stand-in for the course's real-vs-fake faces, with several cues.

Both classes come from one renderer of face-like images: a background with the 1/f
amplitude spectrum of natural images, a shaded skin-toned ellipse with skin texture, eyes
and a mouth, all drawn at full size. Nothing in the content (place, size, colours of the
face) tells the classes apart. A *real* image then goes through a camera's last steps:
sensor noise whose level grows with brightness, and a gain that clips some highlights.

A *fake* carries four traces that the deepfake-detection literature reports, each at a
strength drawn per image from U(0, 1), independently, so that no single trace decides and
some fakes carry almost none of them:

1. **Up-sampling fingerprint** (whole-image synthesis): a generator's stride-2 transposed
   convolutions overlap unevenly and leave a periodic pattern at each layer's scale
   (Odena, Dumoulin and Olah 2016, checkerboard artefacts), seen as peaks in the image's
   spectrum (Zhang, Karaman and Chang 2019; Durall, Keuper and Keuper 2020; Frank et al.
   2020). Here: periods of 2, 4 and 8 pixels, up to 2.5% of the local brightness.
2. **Colour and noise statistics**: a generator's output lacks a camera's sensor noise
   (Marra et al. 2019, GAN fingerprints against camera noise) and keeps its colours away
   from the clipped and saturated extremes (McCloskey and Albright 2019, colour cues).
   Here: noise cut by up to 80%, tones and saturation squeezed by up to 8% and 15%.
3. **Blending seam** (face swap): the face is resized and pasted with a soft mask, leaving
   a boundary with a colour and sharpness mismatch (Li et al. 2020, Face X-ray). Here: the
   face inside 90% of the ellipse blurred by up to 1.5 px per 256 and shifted in colour.
4. **Smoother skin texture** (Liu et al. 2020, Gram-Net: fakes differ in texture): the
   skin's fine texture cut by up to 70%.

The maxima were set from these descriptions before any baseline was trained on the
stand-in, and never tuned to reproduce a ranking. Each trace lives at a different
scale, so the inputs the baselines see keep different subsets of them: the 2-pixel period
does not survive a resize to half size or less, the 8-pixel one survives 224 px but not
64 px; colour, noise level, seams and texture survive to different degrees. Both classes
are saved as JPEG (quality 90), whose 8 x 8 blocks add their own peaks to every image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from mlpcnn.common.pool import run_all
from mlpcnn.common.progress import Progress
from mlpcnn.faces.data import CLASSES, CUES

JPEG_QUALITY = 90
FINGERPRINT_PERIODS = (2, 4, 8)  # pixels; one per up-sampling layer, finest first


@dataclass(frozen=True)
class Cues:
    """How strongly a fake carries each trace, in [0, 1]; a real image is all zeros."""

    fingerprint: float = 0.0
    colour_noise: float = 0.0
    seam: float = 0.0
    texture: float = 0.0

    @classmethod
    def drawn(cls, rng: np.random.Generator) -> Cues:
        return cls(*rng.random(len(CUES)))


@lru_cache(maxsize=4)
def _one_over_f(size: int) -> np.ndarray:
    fy, fx = np.fft.fftfreq(size)[:, None], np.fft.rfftfreq(size)[None, :]
    return 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / size)


def pink_noise(rng: np.random.Generator, size: int, count: int = 1) -> np.ndarray:
    """``(size, size)`` noise with a 1/f amplitude spectrum (a Gaussian random field),
    scaled to [0, 1]; ``(size, size, count)`` when ``count`` > 1."""
    amplitude = _one_over_f(size)
    shape = (count, *amplitude.shape)
    spectrum = amplitude * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    field = np.fft.irfft2(spectrum, s=(size, size))
    low = field.min(axis=(1, 2), keepdims=True)
    field = (field - low) / (field.max(axis=(1, 2), keepdims=True) - low + 1e-12)
    return field[0] if count == 1 else field.transpose(1, 2, 0)


def ellipse_mask(size: int, centre: np.ndarray, radii: np.ndarray, edge: float) -> np.ndarray:
    """``(size, size, 1)`` soft mask of an ellipse: 1 inside, 0 outside, ``edge`` wide."""
    y, x = np.mgrid[0:size, 0:size] / size
    inside = ((x - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2
    return np.clip((1.0 - inside) / edge, 0, 1)[..., None]


def face(
    rng: np.random.Generator, size: int, texture_scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One face-like ``(size, size, 3)`` image in [0, 1], its centre and radii (fractions
    of the side); ``texture_scale`` scales the
    skin's fine texture (1 for a camera's, lower for a generator's)."""
    background = pink_noise(rng, size, count=3)
    background = 0.35 + 0.5 * background * rng.uniform(0.4, 1.0, size=3)
    y, x = np.mgrid[0:size, 0:size] / size
    centre = rng.uniform(0.42, 0.58, size=2)
    radii = np.array([rng.uniform(0.22, 0.3), rng.uniform(0.3, 0.38)])
    mask = ellipse_mask(size, centre, radii, edge=0.125)
    skin = np.array([0.85, 0.65, 0.5]) * rng.uniform(0.6, 1.1) + rng.normal(0, 0.04, 3)
    light = 0.75 + 0.35 * (1 - np.hypot(x - centre[0] + 0.1, y - centre[1] + 0.1))[..., None]
    pores = gaussian_filter(rng.standard_normal((size, size)), sigma=size / 512)
    fine = 0.5 * (pink_noise(rng, size) - 0.5) + 0.3 * pores / (pores.std() + 1e-12)
    texture = rng.uniform(0.06, 0.12) * texture_scale * fine[..., None]
    image = background * (1 - mask) + np.clip(skin * light + texture, 0, 1) * mask
    (cx, cy), (rx, ry) = centre, radii
    for side in (-1, 1):  # eyes
        ex, ey = cx + side * rx * 0.42, cy - ry * 0.2
        eye = ((x - ex) / (rx * 0.16)) ** 2 + ((y - ey) / (ry * 0.07)) ** 2 < 1
        image[eye] = rng.uniform(0.05, 0.3, 3)
    mouth = (np.abs(y - (cy + ry * 0.45)) < ry * 0.04) & (np.abs(x - cx) < rx * 0.4)
    image[mouth] = np.array([0.55, 0.2, 0.2]) * rng.uniform(0.7, 1.0)
    return np.clip(image, 0, 1), centre, radii


def paste_face(
    rng: np.random.Generator, image: np.ndarray, centre: np.ndarray, radii: np.ndarray, cue: float
) -> np.ndarray:
    """A face swap's seam: the face inside 90% of its ellipse, blurred (resized) and shifted
    in colour by ``cue`` in [0, 1], pasted back with a soft mask."""
    size = image.shape[0]
    swapped = gaussian_filter(image, sigma=(1.5 * cue * size / 256, 1.5 * cue * size / 256, 0))
    swapped = swapped + cue * rng.normal(0, 0.04, size=3)
    mask = ellipse_mask(size, centre, radii * 0.9, edge=0.05)
    return np.clip(swapped * mask + image * (1 - mask), 0, 1)


def camera_finish(rng: np.random.Generator, image: np.ndarray, cue: float) -> np.ndarray:
    """Gain and sensor noise, as a camera's (``cue`` 0); a generator's output (``cue`` up
    to 1) has less noise and its tones and saturation squeezed away from the extremes."""
    image = image * rng.uniform(0.95, 1.2)  # exposure; a camera clips the highlights
    grey = image.mean(axis=-1, keepdims=True)
    image = grey + (image - grey) * (1 - 0.15 * cue)
    image = 0.5 + (image - 0.5) * (1 - 0.08 * cue)
    sigma = rng.uniform(0.01, 0.03) * (1 - 0.8 * cue)
    noise = rng.standard_normal(image.shape) * sigma * np.sqrt(np.clip(image, 0.01, None))
    return np.clip(image + noise, 0, 1)


def upsampling_fingerprint(image: np.ndarray, cue: float) -> np.ndarray:
    """Periodic patterns of 2, 4 and 8 pixels (stronger at the finer layers), up to 2.5%
    of the local brightness at ``cue`` 1, aligned with the image's origin as a
    generator's grid is."""
    size = image.shape[0]
    t = np.arange(size)
    pattern = np.zeros((size, size))
    for weight, period in zip((0.5, 0.3, 0.2), FINGERPRINT_PERIODS, strict=True):
        c = np.cos(2 * np.pi * t / period)
        pattern += weight * (c[:, None] + c[None, :] + c[:, None] * c[None, :]) / 3
    brightness = image.mean(axis=-1, keepdims=True)
    return np.clip(image * (1 + 0.025 * cue * pattern[..., None] / brightness.clip(0.2)), 0, 1)


def standin_array(rng: np.random.Generator, size: int, cues: Cues | None) -> np.ndarray:
    """One ``(size, size, 3)`` image in [0, 1]: real when ``cues`` is None, else a fake
    with those strengths."""
    fake = cues is not None
    cues = cues or Cues()
    image, centre, radii = face(rng, size, texture_scale=1 - 0.7 * cues.texture)
    if fake:
        image = paste_face(rng, image, centre, radii, cues.seam)
    image = camera_finish(rng, image, cues.colour_noise)
    if fake:
        image = upsampling_fingerprint(image, cues.fingerprint)
    return image


@dataclass(frozen=True)
class _Chunk:
    folder: Path
    size: int
    key: tuple[int, int, int]  # seed, split's position, label
    start: int
    stop: int


def _write_chunk(chunk: _Chunk) -> list[tuple[str, Cues | None]]:
    *_, label = chunk.key
    written = []
    progress = Progress(
        chunk.stop - chunk.start,
        "image",
        f"stand-in {chunk.folder.parent.name}/{chunk.folder.name}",
    )
    for i in range(chunk.start, chunk.stop):
        rng = np.random.default_rng([*chunk.key, i])
        cues = Cues.drawn(rng) if label == 1 else None
        array = standin_array(rng, chunk.size, cues)
        name = f"{i:04d}.jpg"
        Image.fromarray((array * 255).round().astype(np.uint8)).save(
            chunk.folder / name, quality=JPEG_QUALITY
        )
        written.append((f"{chunk.folder.parent.name}/{chunk.folder.name}/{name}", cues))
        progress.update()
    progress.close()
    return written


def build_standin(
    root: str | Path, counts: Mapping[str, int], size: int, seed: int, workers: int = 1
) -> dict[str, Cues | None]:
    """Write ``counts[split]`` images per class per split under ``root`` in the course layout,
    in chunks of at most 100 images over ``workers`` processes; return each file's drawn
    cues (``split/class/name`` -> :class:`Cues`, None for a real image).

    Deterministic: each image's randomness comes from (seed, split, class, index) alone,
    whatever the number of workers.
    """
    root, chunks = Path(root), []
    for s, (split, count) in enumerate(counts.items()):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            chunks += [_Chunk(folder, size, (seed, s, label), start, min(start + 100, count))
                       for start in range(0, count, 100)]  # fmt: skip
    return {file: cues for written in run_all(_write_chunk, chunks, workers)
            for file, cues in written}  # fmt: skip

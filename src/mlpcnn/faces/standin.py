"""A deterministic synthetic stand-in for the course's real-vs-fake faces.

Both classes are drawn by one generator of face-like images: a background with the
1/f amplitude spectrum of natural images, a shaded skin-toned ellipse, eyes and a mouth.
Both are rendered at half resolution and brought to full size, so sharpness does not
tell them apart. A *real* image is upsampled smoothly (bilinear, as a camera pipeline
or a resize would). A *fake* one is upsampled the way a generator's transposed
convolutions do: a mix of nearest-neighbour blocks and a period-2 checkerboard, both of
random strength, so that some fakes carry almost no trace. Both are saved as JPEG
(quality 90), which blurs the traces further. Nothing about the content tells the
classes apart; pixel statistics, a small CNN and a pretrained CNN reach different
accuracies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from mlpcnn.faces.data import CLASSES

JPEG_QUALITY = 90


def pink_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """``(size, size)`` noise with a 1/f amplitude spectrum, scaled to [0, 1]."""
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    amplitude = 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / size)
    phase = np.exp(2j * np.pi * rng.random((size, size)))
    field = np.fft.ifft2(amplitude * phase).real
    return (field - field.min()) / (np.ptp(field) + 1e-12)


def face(rng: np.random.Generator, size: int) -> np.ndarray:
    """One face-like ``(size, size, 3)`` image in [0, 1]."""
    background = np.stack([pink_noise(rng, size) for _ in range(3)], axis=-1)
    background = 0.35 + 0.5 * background * rng.uniform(0.4, 1.0, size=3)
    y, x = np.mgrid[0:size, 0:size] / size
    cx, cy = rng.uniform(0.42, 0.58, size=2)
    rx, ry = rng.uniform(0.22, 0.3), rng.uniform(0.3, 0.38)
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    mask = np.clip((1.0 - inside) * 8, 0, 1)[..., None]  # soft edge
    skin = np.array([0.85, 0.65, 0.5]) * rng.uniform(0.6, 1.1) + rng.normal(0, 0.04, 3)
    light = 0.75 + 0.35 * (1 - np.hypot(x - cx + 0.1, y - cy + 0.1))[..., None]
    texture = 0.08 * (pink_noise(rng, size)[..., None] - 0.5)
    image = background * (1 - mask) + np.clip(skin * light + texture, 0, 1) * mask
    for side in (-1, 1):  # eyes
        ex, ey = cx + side * rx * 0.42, cy - ry * 0.2
        eye = ((x - ex) / (rx * 0.16)) ** 2 + ((y - ey) / (ry * 0.07)) ** 2 < 1
        image[eye] = rng.uniform(0.05, 0.3, 3)
    mouth = (np.abs(y - (cy + ry * 0.45)) < ry * 0.04) & (np.abs(x - cx) < rx * 0.4)
    image[mouth] = np.array([0.55, 0.2, 0.2]) * rng.uniform(0.7, 1.0)
    return np.clip(image, 0, 1)


def generator_upsample(rng: np.random.Generator, small: np.ndarray) -> np.ndarray:
    """2x upsampling with a transposed-convolution checkerboard of random strength."""
    nearest = small.repeat(2, axis=0).repeat(2, axis=1)
    size = small.shape[0] * 2
    bilinear = smooth_upsample(small)
    checker = np.indices((size, size)).sum(axis=0) % 2 * 2.0 - 1  # +-1, period 2
    strength = rng.uniform(0.0, 0.03)
    mix = rng.uniform(0.0, 0.6)
    image = (
        mix * nearest
        + (1 - mix) * bilinear
        + strength * checker[..., None] * nearest.mean(-1, keepdims=True)
    )
    return np.clip(image, 0, 1)


def smooth_upsample(small: np.ndarray) -> np.ndarray:
    """2x bilinear upsampling, the real images' path."""
    pil = Image.fromarray((small * 255).round().astype(np.uint8))
    size = small.shape[0] * 2
    return np.asarray(pil.resize((size, size), Image.Resampling.BILINEAR)) / 255.0


def standin_image(rng: np.random.Generator, size: int, fake: bool) -> Image.Image:
    small = face(rng, size // 2)
    array = generator_upsample(rng, small) if fake else smooth_upsample(small)
    return Image.fromarray((array * 255).round().astype(np.uint8))


def build_standin(root: str | Path, counts: Mapping[str, int], size: int, seed: int) -> None:
    """Write ``counts[split]`` images per class per split under ``root`` in the course layout.

    Deterministic: each image's randomness comes from (seed, split, class, index) alone.
    """
    root = Path(root)
    for s, (split, count) in enumerate(counts.items()):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                rng = np.random.default_rng([seed, s, label, i])
                image = standin_image(rng, size, fake=label == 1)
                image.save(folder / f"{i:04d}.jpg", quality=JPEG_QUALITY)

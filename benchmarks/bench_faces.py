"""Decoding once (prepare_faces) against decoding JPEGs every epoch (the course's loop).

The course feeds a CNN with ImageFolder + DataLoader, which opens, decodes and resizes
every JPEG in every epoch. prepare_faces decodes each image once into uint8 arrays;
an epoch then only converts batches of those to float. Both sides deliver the same
tensors (resize 224, ToTensor) for one epoch of the stand-in's training split, batch 32.

    python benchmarks/bench_faces.py [--per-class 300]

Prints images per second of each, and the ratio; also the one-time cost of decoding.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from mlpcnn.faces import decode_split, list_images
from mlpcnn.standin import build_standin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_standin(root, {"train": args.per_class, "val": 1, "test": 1}, size=128, seed=0)
        n = 2 * args.per_class

        course = datasets.ImageFolder(
            root / "train",
            transform=transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor()]),
        )
        start = time.perf_counter()
        for images, _ in DataLoader(course, batch_size=32, shuffle=True):
            images.sum()  # touch the batch, as a training step would
        reference = time.perf_counter() - start

        start = time.perf_counter()
        listed = list_images(root)
        arrays = decode_split(listed, "train", root, lambda image: image.resize((224, 224)))
        decode_once = time.perf_counter() - start
        scratch = torch.from_numpy(arrays.scratch)
        start = time.perf_counter()
        order = torch.randperm(n)
        for i in range(0, n, 32):
            (scratch[order[i : i + 32]].float() / 255).sum()
        epoch = time.perf_counter() - start

    payback = decode_once / (reference - epoch)
    print(f"{n} training images, one epoch, batch 32, resize 224 + ToTensor")
    print(f"ImageFolder + DataLoader, decoding every epoch: {n / reference:6.0f} images/s")
    print(f"decoded arrays (prepare_faces)               : {n / epoch:6.0f} images/s")
    print(f"ratio: {reference / epoch:.0f}x per epoch; decoding once took {decode_once:.2f} s "
          f"(all three inputs), paid back within {payback:.1f} epochs")  # fmt: skip


if __name__ == "__main__":
    main()

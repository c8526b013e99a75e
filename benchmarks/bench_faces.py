"""Decoding once (prepare_faces) against decoding JPEGs every epoch (the course's loop).

The course feeds a CNN with ImageFolder + DataLoader, which opens, decodes and resizes
every JPEG in every epoch. prepare_faces decodes each image once into uint8 arrays;
an epoch then only converts batches of those to float. Both sides deliver the same
tensors (resize 224, ToTensor) for one epoch of the stand-in's training split, batch 32.

A second case times one fine-tuning epoch of the pretrained backbone (batch 32, Adam,
one logit) on the same images: the course-style loop (ImageFolder + DataLoader decoding
JPEGs with the weights' preset, a contiguous model, ``loss.item()`` every step) against
the project's (arrays decoded once, channels-last, no per-step host sync), alternated over
rounds so that the host's load falls on both alike.

    python benchmarks/bench_faces.py [--case decode|finetune|all] [--per-class 300] [--rounds 2]

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

from mlpcnn.faces.data import decode_split, list_images
from mlpcnn.faces.standin import build_standin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--case", choices=["decode", "finetune", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=2, help="finetune: alternated rounds")
    args = parser.parse_args()
    if args.case in ("decode", "all"):
        decode(args.per_class)
    if args.case in ("finetune", "all"):
        finetune(args.per_class, args.rounds)


def finetune(per_class: int, rounds: int) -> None:
    """Alternate the two loops (course, project, then project, course, ...) so that a
    change in the host's load falls on both alike; the ratio is of their summed times."""
    import copy

    import torch.nn.functional as F
    from torch import nn

    from mlpcnn.faces.backbones import resolve_backbone
    from mlpcnn.faces.baselines import to_unit, train_one_logit

    backbone = resolve_backbone("auto")

    def fresh_model() -> nn.Module:  # the same start every epoch, no weights shared
        torch.manual_seed(0)
        features = copy.deepcopy(backbone.features)
        return nn.Sequential(features, nn.Linear(backbone.feature_dim, 1))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_standin(root, {"train": per_class, "val": 1, "test": 1}, size=256, seed=0)
        n = 2 * per_class
        course = datasets.ImageFolder(root / "train", transform=backbone.transform)
        arrays = decode_split(list_images(root), "train", root, backbone.preprocess)
        images, labels = torch.from_numpy(arrays.pretrained), torch.from_numpy(arrays.labels)

        def course_epoch() -> float:
            model = fresh_model()
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
            model.train()
            start = time.perf_counter()
            for batch, target in DataLoader(course, batch_size=32, shuffle=True):
                loss = F.binary_cross_entropy_with_logits(model(batch).flatten(), target.float())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss.item()
            return time.perf_counter() - start

        def project_epoch() -> float:
            model = fresh_model().to(memory_format=torch.channels_last)
            start = time.perf_counter()
            train_one_logit(model, images, labels, lambda b: backbone.normalise(to_unit(b)),
                            lr=1e-4, seed=0, progress=False)  # fmt: skip
            return time.perf_counter() - start

        times = {"course": [], "project": []}
        for r in range(rounds):
            order = ["course", "project"] if r % 2 == 0 else ["project", "course"]
            for name in order:
                times[name].append(course_epoch() if name == "course" else project_epoch())
            print(f"round {r + 1}: course {n / times['course'][-1]:5.1f}, project "
                  f"{n / times['project'][-1]:5.1f} images/s, ratio "
                  f"{times['course'][-1] / times['project'][-1]:.2f}x", flush=True)  # fmt: skip
    reference, project = sum(times["course"]), sum(times["project"])
    print(f"fine-tuning {backbone.name}, one epoch of {n} images, batch 32, {rounds} rounds")
    print(f"course loop (ImageFolder, contiguous, .item()): {rounds * n / reference:6.1f} images/s")
    print(f"project (decoded arrays, channels-last)        : {rounds * n / project:6.1f} images/s")
    print(f"ratio: {reference / project:.2f}x")


def decode(per_class: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_standin(root, {"train": per_class, "val": 1, "test": 1}, size=256, seed=0)
        n = 2 * per_class

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

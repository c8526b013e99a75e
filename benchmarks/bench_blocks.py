"""A single run's seeds in two blocks on two one-thread workers, against the code before.

Before (main 1e3f628) the single-run stages (mlp_epochs, mlp_learning_rate, the grid
cells, the encoding sweep) trained their five seeds as one batched run in one process on
every thread, and the encoding sweep ran eager (its cosine schedule did not compile).
Now a run's seeds train in ``BLOCKS`` blocks side by side, each on one thread, and the
sweep's schedule enters the compiled step. This times, in one run, epochs of:

- ``mlp_epochs``' setting (6 x 16, batch 256, compiled, 5 seeds): one process against
  two blocks;
- an encoding-sweep setting (3 x 128 with batch norm, 32 features, cosine, 5 seeds):
  eager in one process (before) against compiled in two blocks (now);

on the prepared cities arrays (``dvc repro prepare_cities`` first), and prints each
ratio. The compile cache is the repository's (warm after one run: say which).

    python benchmarks/bench_blocks.py [--epochs 2]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from mlpcnn.cities.encodings import make_encoding
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.training import SeedsRun, TrainConfig, train_runs

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [0, 1, 2, 3, 4]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def timed(run: SeedsRun, workers: int, blocks: int, threads: int) -> float:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        start = time.perf_counter()
        if blocks == 1 and workers == 1:  # the code before: one process, every thread
            from mlpcnn.cities.training import train_run

            train_run(run)
        else:
            train_runs([run], workers, blocks=blocks)
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    cores = torch.get_num_threads()
    print(f"CPU: {cpu_model()}; {cores} threads; torch {torch.__version__}")
    with np.load(ROOT / "data/prepared/cities.npz") as a:
        splits = {s: (torch.from_numpy(a[f"x_{s}"]), torch.from_numpy(a[f"y_{s}"]))
                  for s in ("train", "val", "test")}  # fmt: skip
        n_classes = int(a["n_classes"])
    train = TrainConfig(epochs=args.epochs, batch_size=256, compile=True)
    base = SeedsRun(MLPConfig(depth=6, width=16, n_classes=n_classes), train, splits, SEEDS)
    encode = make_encoding("axis", features=32, max_frequency=2.0, seed=0).encode
    encoded = {s: (encode(x), y) for s, (x, y) in splits.items()}
    sweep = TrainConfig(epochs=args.epochs, batch_size=256, lr=0.003, lr_schedule="cosine",
                        drop_last=True)  # fmt: skip
    config = MLPConfig(in_features=encoded["train"][0].shape[1], depth=3, width=128,
                       n_classes=n_classes, batchnorm=True)  # fmt: skip
    eager = SeedsRun(config, sweep, encoded, SEEDS)
    compiled = SeedsRun(config, replace(sweep, compile=True), encoded, SEEDS)
    timed(base, 2, 2, 1)  # compile once (the cache is then warm for both sides)
    timed(compiled, 2, 2, 1)
    rows = [
        ("mlp_epochs setting", timed(base, 1, 1, cores), timed(base, 2, 2, 1)),
        ("encoding sweep", timed(eager, 1, 1, cores), timed(compiled, 2, 2, 1)),
    ]
    print(f"{'what':22s} {'before s':>9s} {'now s':>7s} {'ratio':>6s}   ({args.epochs} epochs)")
    for name, old, new in rows:
        print(f"{name:22s} {old:9.1f} {new:7.1f} {old / new:5.2f}x")


if __name__ == "__main__":
    main()

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

on the prepared cities arrays (``dvc repro prepare_cities`` first), at each stage's own
number of epochs (params.yaml; ``--fraction`` shortens both), and prints each ratio. The
blocks' fixed cost (two worker processes started, the step compiled or loaded from the
cache in each) is a few seconds, so a run of a few epochs says nothing of the stages: at
10 of mlp_epochs' 100 epochs, blocks were 0.68x of one process. The compile cache is the
repository's (warm after one run: say which).

    python benchmarks/bench_blocks.py [--fraction 1.0]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

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
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="of each stage's epochs (params.yaml) to time")  # fmt: skip
    args = parser.parse_args()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    base_epochs = max(1, round(params["mlp_epochs"]["epochs"] * args.fraction))
    sweep_epochs = max(1, round(params["encoding_sweep"]["train"]["epochs"] * args.fraction))
    cores = torch.get_num_threads()
    print(f"CPU: {cpu_model()}; {cores} threads; torch {torch.__version__}")
    with np.load(ROOT / "data/prepared/cities.npz") as a:
        splits = {s: (torch.from_numpy(a[f"x_{s}"]), torch.from_numpy(a[f"y_{s}"]))
                  for s in ("train", "val", "test")}  # fmt: skip
        n_classes = int(a["n_classes"])
    train = TrainConfig(epochs=base_epochs, batch_size=256, compile=True)
    base = SeedsRun(MLPConfig(depth=6, width=16, n_classes=n_classes), train, splits, SEEDS)
    encode = make_encoding("axis", features=32, max_frequency=2.0, seed=0).encode
    encoded = {s: (encode(x), y) for s, (x, y) in splits.items()}
    sweep = TrainConfig(epochs=sweep_epochs, batch_size=256, lr=0.003, lr_schedule="cosine",
                        drop_last=True)  # fmt: skip
    config = MLPConfig(in_features=encoded["train"][0].shape[1], depth=3, width=128,
                       n_classes=n_classes, batchnorm=True)  # fmt: skip
    eager = SeedsRun(config, sweep, encoded, SEEDS)
    compiled = SeedsRun(config, replace(sweep, compile=True), encoded, SEEDS)
    short = {"epochs": 1}
    timed(replace(base, train=replace(train, **short)), 2, 2, 1)  # compile: a warm cache
    timed(replace(compiled, train=replace(compiled.train, **short)), 2, 2, 1)
    rows = [
        ("mlp_epochs setting", base_epochs, timed(base, 1, 1, cores), timed(base, 2, 2, 1)),
        ("encoding sweep", sweep_epochs, timed(eager, 1, 1, cores), timed(compiled, 2, 2, 1)),
    ]
    print(f"{'what':22s} {'epochs':>6s} {'before s':>9s} {'now s':>7s} {'ratio':>6s}")
    for name, epochs, old, new in rows:
        print(f"{name:22s} {epochs:6d} {old:9.1f} {new:7.1f} {old / new:5.2f}x")


if __name__ == "__main__":
    main()

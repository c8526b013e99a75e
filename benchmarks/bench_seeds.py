"""What five seeds cost against one, for every 6.1 study and a grid cell, in one run.

A seed is a replica: the five seeds of a run are one batched computation (see
``mlpcnn.cities.training``), so five seeds should cost far less than five runs. Each
case trains a study's configuration on the real cities data for a few epochs (the
batch-size study's small batches for a number of steps) twice: as the stage ran before
seeds (one seed, or the grid's three; eager unless the stage compiled) and as it runs
now (five seeds; the compiled step wherever the learning rate is constant). It prints
both wall times and their ratio; the issue's bound is 1.5x.

    python benchmarks/bench_seeds.py [--epochs 3] [--steps 20000]
"""

from __future__ import annotations

import argparse
import time

import torch
from raw_cities import city_tensors

from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, train_replicas

LRS = [1.0, 0.01, 0.001, 0.00001]


def load() -> tuple[tuple[torch.Tensor, torch.Tensor], dict, int]:
    tensors, n_classes = city_tensors()
    return tensors["train"], tensors, n_classes


def timed(config: MLPConfig, train: TrainConfig, data, seeds: list[int], lrs=None) -> float:
    x, splits, _ = data
    model = stacked_mlps(config, seeds)
    start = time.perf_counter()
    train_replicas(model, x, splits, train, lrs=lrs, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20000, help="batch-1 steps per run")
    args = parser.parse_args()
    # Every case compiles the step for its own shapes, in one process: more than dynamo's
    # default limit of 8 recompilations of one function, after which it runs eagerly.
    torch._dynamo.config.recompile_limit = 64
    data = load()
    n_classes = data[2]
    n_train = len(data[0][1])
    base = MLPConfig(depth=6, width=16, n_classes=n_classes)
    bn = MLPConfig(depth=6, width=16, n_classes=n_classes, batchnorm=True)
    one_seed, five = [0], [0, 1, 2, 3, 4]
    # batch 1 over a slice of the training set: args.steps steps an "epoch"
    small = (data[0][0][: args.steps], data[0][1][: args.steps]), {}, n_classes

    def run(config, seeds, *, compiled, batch=256, lrs=None, on=data):
        epochs = 1 if batch < 256 else args.epochs
        train = TrainConfig(epochs=epochs, batch_size=batch, compile=compiled)
        return timed(config, train, on, seeds, lrs)

    def learning_rates(seeds, compiled):  # (lr, seed) replicas, lr-major, as the stage
        pairs = [(lr, s) for lr in LRS for s in seeds]
        return run(base, [s for _, s in pairs], compiled=compiled, lrs=[lr for lr, _ in pairs])

    d10 = MLPConfig(depth=10, width=16, n_classes=n_classes, batchnorm=True)
    w64 = MLPConfig(depth=6, width=64, n_classes=n_classes, batchnorm=True)
    # (before: seeds, compiled) and (now: seeds, compiled) of each stage
    cases = {
        "learning_rate: 4 lrs x seeds": learning_rates,
        "epochs: no batch norm": lambda seeds, c: run(base, seeds, compiled=c),
        "batchnorm: with batch norm": lambda seeds, c: run(bn, seeds, compiled=c),
        "batch size 1, no batch norm": lambda seeds, c: run(base, seeds, compiled=c, batch=1,
                                                            on=small),
        "batch size 1, batch norm": lambda seeds, c: run(bn, seeds, compiled=c, batch=1, on=small),
        "batch size 16, no batch norm": lambda seeds, c: run(base, seeds, compiled=c, batch=16),
        "grid d10_w16": lambda seeds, c: run(d10, seeds, compiled=c),
        "grid d6_w64": lambda seeds, c: run(w64, seeds, compiled=c),
    }  # fmt: skip
    before = {
        "learning_rate: 4 lrs x seeds": (one_seed, False),
        "epochs: no batch norm": (one_seed, False),
        "batchnorm: with batch norm": (one_seed, False),
        "batch size 1, no batch norm": (one_seed, True),
        "batch size 1, batch norm": (one_seed, True),
        "batch size 16, no batch norm": (one_seed, True),
        "grid d10_w16": ([0, 1, 2], True),
        "grid d6_w64": ([0, 1, 2], True),
    }
    print(f"{n_train} training rows, {args.epochs} epochs ({args.steps} steps at batch 1), "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'case':32s} {'before s':>9s} {'now s':>9s} {'ratio':>6s}   (before -> now)")
    for name, case in cases.items():
        seeds, compiled = before[name]
        case(seeds, compiled)  # warm-up: each replica count compiles its own step once
        case(five, True)
        old = case(seeds, compiled)
        new = case(five, True)
        how = f"{len(seeds)} seed(s) {'compiled' if compiled else 'eager'}"
        print(f"{name:32s} {old:9.2f} {new:9.2f} {new / old:6.2f}x   ({how} -> 5 seeds compiled)",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

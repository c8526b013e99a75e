"""The batch-norm probe's ghost-batch run (6.1 Q4) against a plain notebook loop, in one run.

The probe trains the base MLP with batch norm at batch 128, each batch normalised over
groups of 16 samples (ghost batch norm), 5 seeds. The project trains the seeds as
replicas of one batched run with its compiled step (``TrainConfig.ghost_batch``); the
reference is what a notebook writes: a ``GhostBatchNorm1d`` module that normalises each
chunk of 16 with its own ``nn.BatchNorm1d`` call, DataLoader, Adam, one seed after the
other. Both take the same number of steps; the reference is timed over fewer epochs and
scaled (the printout says so).

    python benchmarks/bench_ghost_batchnorm.py [--epochs 3] [--reference-epochs 1]

Prints seconds per epoch of each (the project's first epoch, which compiles, apart) and
their ratio.
"""

from __future__ import annotations

import argparse
import time

import torch
from bench_mlp_trainer import notebook_model, notebook_steps
from raw_cities import city_tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, train_replicas

SEEDS = [0, 1, 2, 3, 4]
BATCH, GROUP = 128, 16


class GhostBatchNorm1d(nn.BatchNorm1d):
    """Batch norm whose training statistics come from chunks of ``group`` samples."""

    def __init__(self, width: int, group: int) -> None:
        super().__init__(width)
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, width)
        if not self.training:
            return super().forward(x)
        return torch.cat([super(GhostBatchNorm1d, self).forward(c) for c in x.split(self.group)])


def reference_epoch_seconds(data, config: MLPConfig, epochs: int) -> float:
    """Seconds per epoch of the notebook loop, summed over the seeds."""
    total = 0.0
    for seed in SEEDS:
        torch.manual_seed(seed)
        norm = lambda width: GhostBatchNorm1d(width, GROUP)  # noqa: E731
        model = notebook_model(config.depth, config.width, config.n_classes, norm)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = DataLoader(TensorDataset(*data["train"]), batch_size=BATCH, shuffle=True,
                            drop_last=True)  # fmt: skip
        model.train()
        start = time.perf_counter()
        notebook_steps(model, optimizer, loader, epochs * len(loader))
        total += (time.perf_counter() - start) / epochs
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--reference-epochs", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the pipeline's workers: one thread each
    data, n_classes = city_tensors()
    config = MLPConfig(depth=6, width=16, n_classes=n_classes, batchnorm=True)
    reference = reference_epoch_seconds(data, config, args.reference_epochs)
    train = TrainConfig(epochs=args.epochs, batch_size=BATCH, ghost_batch=GROUP, compile=True)
    result = train_replicas(stacked_mlps(config, SEEDS), data["train"], {"val": data["val"]},
                            train, progress=False)  # fmt: skip
    first, *rest = result.train_seconds
    steady = sum(rest) / len(rest)
    print(f"reference (notebook, {len(SEEDS)} seeds one by one, {args.reference_epochs} epoch(s)): "
          f"{reference:.2f} s/epoch | project (replicas, compiled): {steady:.2f} s/epoch after a "
          f"first epoch of {first:.1f} s | ratio {reference / steady:.1f}x per epoch; over the "
          f"study's 50 epochs with the compile "
          f"{50 * reference / (49 * steady + first):.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()

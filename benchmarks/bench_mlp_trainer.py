"""Throughput of the project's trainer against a plain course-notebook loop, in one run.

Both train the same configuration on the real cities data: depth 6, width 16, batch
norm, Adam lr 0.001, batch 256, 4 replicas with seeds 0-3 (same initial weights), a few
epochs, evaluating after every epoch. The reference is what a course notebook writes:
TensorDataset + DataLoader(shuffle=True), nn.Sequential, torch.optim.Adam, ``loss.item()``
and the batch accuracy per step, validation and test through a DataLoader; it trains
the four models one after another. The project's trainer trains the four at once and
also evaluates the whole training split each epoch (more work than the reference).

    python benchmarks/bench_mlp_trainer.py [--epochs 5]

Prints model-epochs per second of each, the ratio, and the validation accuracies.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlpcnn.cities import load_cities
from mlpcnn.mlp import MLPConfig
from mlpcnn.replicas import stacked_mlps
from mlpcnn.training import TrainConfig, train_replicas

RAW = Path(__file__).resolve().parents[1] / "data" / "raw" / "cities"
SEEDS = [0, 1, 2, 3]


def notebook_model(depth: int, width: int, n_classes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    fan_in = 2
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.BatchNorm1d(width), nn.ReLU()]
        fan_in = width
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def reference_loop(data, config: MLPConfig, epochs: int, seed: int) -> float:
    """One model, trained as a course notebook does; returns the last validation accuracy."""
    torch.manual_seed(seed)  # the same initial weights as seeded_mlp(config, seed)
    model = notebook_model(config.depth, config.width, config.n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loader = DataLoader(TensorDataset(*data["train"]), batch_size=256, shuffle=True)
    eval_loaders = {
        name: DataLoader(TensorDataset(*data[name]), batch_size=256) for name in ("val", "test")
    }
    val_acc = 0.0
    for _ in range(epochs):
        model.train()
        for xb, yb in train_loader:
            if len(yb) < 2:
                continue  # BatchNorm cannot train on a batch of one
            optimizer.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            _ = loss.item(), (logits.argmax(1) == yb).float().mean().item()
        model.eval()
        with torch.no_grad():
            for name, loader in eval_loaders.items():
                correct = total = 0
                for xb, yb in loader:
                    correct += (model(xb).argmax(1) == yb).sum().item()
                    total += len(yb)
                if name == "val":
                    val_acc = correct / total
    return val_acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    splits = load_cities(
        {
            s: RAW / f
            for s, f in [("train", "train.csv"), ("val", "validation.csv"), ("test", "test.csv")]
        }
    )
    data = {
        n: (torch.from_numpy(s.features), torch.from_numpy(s.labels)) for n, s in splits.items()
    }
    config = MLPConfig(depth=6, width=16, n_classes=33, batchnorm=True)
    model_epochs = len(SEEDS) * args.epochs
    print(
        f"{len(SEEDS)} models x {args.epochs} epochs, depth 6 width 16 batch norm, batch 256, "
        f"{torch.get_num_threads()} threads"
    )

    # Warm-up so that neither side pays one-time costs (imports, allocator) in its timing.
    train_replicas(
        stacked_mlps(config, SEEDS),
        data["train"],
        data,
        TrainConfig(epochs=1),
        seeds=SEEDS,
        progress=False,
    )

    start = time.perf_counter()
    reference_acc = [reference_loop(data, config, args.epochs, seed) for seed in SEEDS]
    reference_seconds = time.perf_counter() - start

    start = time.perf_counter()
    result = train_replicas(
        stacked_mlps(config, SEEDS),
        data["train"],
        data,
        TrainConfig(epochs=args.epochs),
        seeds=SEEDS,
        progress=False,
    )
    ours_seconds = time.perf_counter() - start
    ours_acc = list(result.history["val_acc"][-1])

    ref_rate, our_rate = model_epochs / reference_seconds, model_epochs / ours_seconds
    report("reference loop ", ref_rate, reference_seconds, reference_acc)
    report("project trainer", our_rate, ours_seconds, ours_acc)
    gap = 100 * (statistics.mean(ours_acc) - statistics.mean(reference_acc))
    print(
        f"ratio          : {our_rate / ref_rate:.1f}x the reference throughput; "
        f"mean val acc difference {gap:+.2f} points"
    )


def report(name: str, rate: float, seconds: float, accuracies: list[float]) -> None:
    per_seed = ", ".join(f"{a:.4f}" for a in accuracies)
    print(
        f"{name}: {rate:6.2f} model-epochs/s ({seconds:.1f} s)  "
        f"val acc {statistics.mean(accuracies):.4f} (per seed {per_seed})"
    )


if __name__ == "__main__":
    main()

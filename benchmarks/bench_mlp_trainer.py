"""Throughput of the project's trainer against a plain course-notebook loop, in one run.

Both train the same configuration on the real cities data: depth 6, width 16, batch
norm, Adam lr 0.001, batch 256, 4 replicas with seeds 0-3 (same initial weights), a few
epochs, evaluating after every epoch. The reference is what a course notebook writes:
TensorDataset + DataLoader(shuffle=True), nn.Sequential, torch.optim.Adam, ``loss.item()``
and the batch accuracy per step, validation and test through a DataLoader; it trains
the four models one after another. The project's trainer trains the four at once and
also evaluates the whole training split each epoch (more work than the reference).

A second case, for the batch-size study, times single steps at batch size 1 and 16 on
one model with batch norm (running statistics at batch size 1): the same reference loop
against the project's compiled step, over the same number of steps.

A third case times the depth x width grid of section 6.2 (7 cells x 3 seeds, batch
norm, 50 epochs): the project trains each cell's seeds as replicas with the compiled
step, as the pipeline does; the reference trains the 21 models one by one. The
reference is run for a few epochs per model and extrapolated to 50 (it would take
about 20 minutes in full); the printout says so.

The gradient study's 100-layer network has its own benchmark,
``benchmarks/bench_gradient_study.py``.

    python benchmarks/bench_mlp_trainer.py [--case replicas|small-batches|grid|all]
                                           [--epochs 5] [--steps 20000] [--reference-epochs 2]

Prints throughput of each, the ratio, and (replicas) the validation accuracies.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from raw_cities import city_tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, train_replicas

SEEDS = [0, 1, 2, 3]


def notebook_model(
    depth: int, width: int, n_classes: int, norm: Callable[[int], nn.Module] = nn.BatchNorm1d
) -> nn.Sequential:
    layers: list[nn.Module] = []
    fan_in = 2
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), norm(width), nn.ReLU()]
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


def reference_steps(data, config: MLPConfig, batch_size: int, steps: int) -> float:
    """Seconds for ``steps`` notebook-style steps (batch norm in eval mode at batch size 1)."""
    torch.manual_seed(0)
    model = notebook_model(config.depth, config.width, config.n_classes)
    model.train(batch_size > 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(
        TensorDataset(*data["train"]), batch_size=batch_size, shuffle=True, drop_last=True
    )
    start = time.perf_counter()
    notebook_steps(model, optimizer, loader, steps)
    return time.perf_counter() - start


def notebook_steps(model, optimizer, loader: DataLoader, steps: int) -> None:
    """The course notebook's inner loop for ``steps`` batches, through ``loader``'s epochs
    as needed (each loss read back, as the notebook prints it)."""
    done = 0
    while done < steps:
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()
            done += 1
            if done == steps:
                return


def small_batches(data, config: MLPConfig, steps: int) -> None:
    x, y = data["train"]
    for batch_size, study_epochs in ((1, 1), (16, 10)):  # as in the batch-size study
        per_epoch = len(y) // batch_size
        n = min(steps, per_epoch)
        subset = (x[: n * batch_size], y[: n * batch_size])
        reference = reference_steps(data, config, batch_size, n)
        # Two epochs of `steps` steps: the first compiles, the second is the steady state.
        train = TrainConfig(epochs=2, batch_size=batch_size, compile=True)
        result = train_replicas(stacked_mlps(config, [0]), subset, {}, train, progress=False)
        first, steady = result.train_seconds
        compiling = first - steady
        study = study_epochs * per_epoch  # the study's own run, compilation included
        whole = (reference / n * study) / (steady / n * study + compiling)
        print(
            f"batch {batch_size:>2}: reference {n / reference:6.0f} steps/s | project "
            f"{n / steady:6.0f} steps/s after {compiling:.1f} s of compilation | ratio "
            f"{reference / steady:.1f}x per step; {whole:.1f}x over the study's {study} steps "
            "with compilation (extrapolated)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case", choices=["replicas", "small-batches", "grid", "all"], default="all"
    )
    parser.add_argument("--reference-epochs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20000)
    args = parser.parse_args()

    data, _ = city_tensors()
    config = MLPConfig(depth=6, width=16, n_classes=33, batchnorm=True)
    if args.case in ("small-batches", "all"):
        small_batches(data, config, args.steps)
    if args.case in ("replicas", "all"):
        replicas(data, config, args.epochs)
    if args.case in ("grid", "all"):
        grid(data, args.reference_epochs)


GRID = [(1, 16), (2, 16), (6, 16), (10, 16), (6, 8), (6, 32), (6, 64)]
GRID_SEEDS, GRID_EPOCHS = [0, 1, 2], 50


def grid(data, reference_epochs: int) -> None:
    reference_seconds = project_seconds = 0.0
    for depth, width in GRID:
        config = MLPConfig(depth=depth, width=width, n_classes=33, batchnorm=True)
        start = time.perf_counter()
        for seed in GRID_SEEDS:
            reference_loop(data, config, reference_epochs, seed)
        measured = time.perf_counter() - start
        reference_seconds += measured * GRID_EPOCHS / reference_epochs
        start = time.perf_counter()
        train = TrainConfig(epochs=GRID_EPOCHS, compile=True)
        model = stacked_mlps(config, GRID_SEEDS)
        train_replicas(model, data["train"], data, train, progress=False)
        project_seconds += time.perf_counter() - start
        print(
            f"  d{depth}_w{width}: reference {measured:.1f} s, {reference_epochs} epochs x 3 seeds"
        )
    print(
        f"grid (7 cells x 3 seeds x {GRID_EPOCHS} epochs): reference {reference_seconds:.0f} s "
        f"(extrapolated from {reference_epochs} epochs per model) | project "
        f"{project_seconds:.0f} s (measured, compilation included) | ratio "
        f"{reference_seconds / project_seconds:.1f}x"
    )


def replicas(data, config: MLPConfig, epochs: int) -> None:
    model_epochs = len(SEEDS) * epochs
    print(
        f"{len(SEEDS)} models x {epochs} epochs, depth 6 width 16 batch norm, batch 256, "
        f"{torch.get_num_threads()} threads"
    )

    # Warm-up so that neither side pays one-time costs (imports, allocator) in its timing.
    train_replicas(
        stacked_mlps(config, SEEDS),
        data["train"],
        data,
        TrainConfig(epochs=1),
        progress=False,
    )

    start = time.perf_counter()
    reference_acc = [reference_loop(data, config, epochs, seed) for seed in SEEDS]
    reference_seconds = time.perf_counter() - start

    start = time.perf_counter()
    result = train_replicas(
        stacked_mlps(config, SEEDS),
        data["train"],
        data,
        TrainConfig(epochs=epochs),
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

"""The gradient study's seeds as replicas, against single-seed runs and a notebook loop.

One epoch of the course's 100-layer, width-4 network (Adam, batch 256, the real cities
training split), recording every hidden layer's gradient per batch, three ways in one
run:

- the project: N seeds as replicas of one batched run, with the GradientRecorder (the
  course's squared norm and the scale-free ratio), as the gradient_study stage trains;
- the same code run N times with one seed each;
- a course-notebook loop for one seed: nn.Sequential, DataLoader(shuffle=True), Adam,
  and per batch each layer's squared gradient norm taken with ``.item()`` (a host sync
  per layer), as a notebook writes it.

    python benchmarks/bench_gradient_study.py [--seeds 20] [--single 3]

Prints the seconds of each, per model-epoch rates, and the ratios: N seeds batched
against one single-seed run (the cost of the seeds), against N single-seed runs, and
per model-epoch against the notebook loop. ``--single`` times that many single-seed
runs and scales to N (they are identical in cost); the printout says so.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from raw_cities import city_tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlpcnn.cities.gradients import GradientRecorder
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, train_replicas

CONFIG = MLPConfig(depth=100, width=4, n_classes=33)
TRAIN = TrainConfig(epochs=1)


def project(x: torch.Tensor, y: torch.Tensor, seeds: list[int]) -> float:
    model = stacked_mlps(CONFIG, seeds)
    start = time.perf_counter()
    # The recording without the per-epoch evaluation, as the notebook loop below.
    recorder = GradientRecorder(model, TRAIN.steps_per_epoch(len(y)), TRAIN.epochs)
    train_replicas(model, (x, y), {}, TRAIN, after_backward=recorder, progress=False)
    return time.perf_counter() - start


def notebook(x: torch.Tensor, y: torch.Tensor, seed: int) -> float:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for fan_in, fan_out in CONFIG.layer_widths():
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(CONFIG.width, CONFIG.n_classes))
    linears = [m for m in model if isinstance(m, nn.Linear)][:-1]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True, drop_last=True)
    sums = [0.0] * len(linears)
    start = time.perf_counter()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        for i, linear in enumerate(linears):
            sums[i] += linear.weight.grad.pow(2).sum().item()
        optimizer.step()
        loss.item()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--single", type=int, default=3, help="single-seed runs timed")
    args = parser.parse_args()
    x, y = city_tensors()[0]["train"]
    seeds = list(range(args.seeds))

    project(x, y, [0])  # warm-up: allocator, kernels
    batched = project(x, y, seeds)
    singles = [project(x, y, [s]) for s in seeds[: args.single]]
    single = sum(singles) / len(singles)
    reference = notebook(x, y, 0)

    print(f"CPU threads: {torch.get_num_threads()}; one epoch of {CONFIG.depth} x {CONFIG.width}")
    print(f"project, {args.seeds} seeds as replicas: {batched:.1f} s "
          f"({args.seeds / batched:.2f} model-epochs/s)")  # fmt: skip
    print(f"project, one seed: {single:.1f} s ({1 / single:.2f} model-epochs/s; "
          f"mean of {len(singles)} runs, x{args.seeds} = {single * args.seeds:.1f} s)")  # fmt: skip
    print(f"notebook loop, one seed: {reference:.1f} s ({1 / reference:.2f} model-epochs/s)")
    print(f"ratio, {args.seeds} seeds batched / one seed (cost of the seeds): "
          f"{batched / single:.2f}x the wall time")  # fmt: skip
    print(f"ratio, {args.seeds} single-seed runs / batched: {single * args.seeds / batched:.1f}x")
    print(f"ratio per model-epoch, batched against the notebook loop: "
          f"{reference * args.seeds / batched:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()

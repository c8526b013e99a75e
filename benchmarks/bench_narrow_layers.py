"""Narrow layers' products computed transposed, against the code before (same run).

Before (main 3cc08b8) every layer of ``ReplicaMLP`` was one batched GEMM
``(R, B, fan_in) x (R, fan_in, fan_out)``; a 100-layer network of width 4 then runs
GEMMs with 4 output columns, which MKL computes about 4x slower than the same sums laid out
with B columns. Now a layer narrower than ``replicas.NARROW`` computes
``(W^T h^T + b^T)^T``. This times, on one thread as a stage's worker does:

- one batched GEMM of each layout, per width (where the threshold comes from);
- the 100-layer width-4 arms of 6.2 Q5-Q6 (20 seeds as replicas; plain with He init,
  residual, batch norm): a training step as the stages take it (eager, gradients
  recorded, subnormals flushed), and the evaluation of the three splits after an epoch;

then prints each ratio and an arm's projected time (10 epochs of 417 steps and an
evaluation each), before and now. The model before is ``ReplicaMLP`` from
``git show <rev>:src/mlpcnn/cities/replicas.py``; the trainer and the data are today's.

    python benchmarks/bench_narrow_layers.py [--before 3cc08b8] [--steps 30]

Needs the prepared cities arrays (``dvc repro prepare_cities``) and a git checkout.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from bench_epoch_gather import cpu_model, module_at

from mlpcnn.cities import replicas
from mlpcnn.cities.gradients import GradientRecorder
from mlpcnn.cities.mlp import MLPConfig, seeded_mlp
from mlpcnn.cities.training import _EagerStep, evaluate, flushing

ROOT = Path(__file__).resolve().parents[1]
SEEDS = list(range(20))
ARMS = {"plain, He init": {"init": "he"}, "residual": {"residual": True},
        "batch norm": {"batchnorm": True}}  # fmt: skip


def micro(f: Callable[[], object], n: int = 200) -> float:
    """Microseconds a call, after a warm-up."""
    for _ in range(5):
        f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n * 1e6


def arm_times(model, x: torch.Tensor, y: torch.Tensor, splits: dict, steps: int):
    """(ms a training step, s to evaluate the three splits) of one model."""
    step = _EagerStep(model, "adam", 1e-3)
    recorder = GradientRecorder(model, steps + 3, 1)
    generator = torch.Generator().manual_seed(0)
    order = torch.stack([torch.randperm(len(y), generator=generator) for _ in SEEDS])
    model.train()
    with flushing(True):
        for i in range(steps + 3):
            if i == 3:
                start = time.perf_counter()
            rows = order[:, i * 256 : (i + 1) * 256]
            step(x[rows], y[rows], recorder, i)
    per_step = (time.perf_counter() - start) / steps * 1e3
    start = time.perf_counter()
    for xs, ys in splits.values():
        evaluate(model, xs, ys)
    return per_step, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="3cc08b8", help="the commit of the code before")
    parser.add_argument("--steps", type=int, default=30, help="training steps timed per arm")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"CPU: {cpu_model()}; one thread; torch {torch.__version__}")

    print("\none GEMM, 20 replicas x 256 rows (us): (R,B,w)x(R,w,w) | transposed | ratio")
    for width in (4, 8, 16, 32):
        h, w = torch.randn(20, 256, width), torch.randn(20, width, width)
        b = torch.randn(20, 1, width)
        plain = micro(lambda: torch.baddbmm(b, h, w))  # noqa: B023
        turned = micro(lambda: torch.baddbmm(b.mT, w.mT, h.mT).mT)  # noqa: B023
        print(f"  width {width:2d}: {plain:7.1f} | {turned:7.1f} | {plain / turned:4.2f}x")

    with np.load(ROOT / "data/prepared/cities.npz") as a:
        splits = {s: (torch.from_numpy(a[f"x_{s}"]), torch.from_numpy(a[f"y_{s}"]))
                  for s in ("train", "val", "test")}  # fmt: skip
        n_classes = int(a["n_classes"])
    x, y = splits["train"]
    print(f"\n100 x 4, {len(SEEDS)} seeds: ms a step | s an evaluation | an arm's projected s "
          "(10 epochs x 417 steps + evaluations), before -> now")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        before = module_at(args.before, "src/mlpcnn/cities/replicas.py", Path(folder))
        for name, arm in ARMS.items():
            config = MLPConfig(n_classes=n_classes, depth=100, width=4, **arm)
            mlps = [seeded_mlp(config, s) for s in SEEDS]
            old = arm_times(before.ReplicaMLP(mlps, SEEDS), x, y, splits, args.steps)
            new = arm_times(replicas.ReplicaMLP(mlps, SEEDS), x, y, splits, args.steps)
            total_old, total_new = (10 * (417 * s / 1e3 + e) for s, e in (old, new))
            print(
                f"  {name:15s} step {old[0]:5.1f} -> {new[0]:5.1f} ({old[0] / new[0]:4.2f}x)  "
                f"eval {old[1]:4.2f} -> {new[1]:4.2f} ({old[1] / new[1]:4.2f}x)  "
                f"arm {total_old:5.0f} -> {total_new:5.0f} s ({total_old / total_new:4.2f}x)"
            )


if __name__ == "__main__":
    main()

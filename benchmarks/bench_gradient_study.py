"""The two 100-layer studies' runs as the stages train them now, against the code before.

Every run of ``gradient_study`` (the plain 100 x 4 network) and ``residual_study`` (its
arms and controls, as params.yaml lists them), 20 seeds as replicas, recording every
hidden layer's gradient, on the real cities data, in one run:

1. per run, ms a training step (batch 256, warm): on every core in IEEE floats (before),
   on one thread in IEEE floats, and on one thread flushing subnormals to zero (what a
   worker now runs); the flag holds only on the thread that sets it, hence one thread;
2. the stages' work for ``--epochs`` epochs (default 1 of 417 steps; the stages run 10):
   every run trained, its three splits evaluated each epoch, its dead layers found (and
   the plain network's profile at initialisation), the way before (one run after the
   other on every core, IEEE, dead layers scanned in chunks of 16,384 rows) against the
   way now (:func:`run_deep_all`: worker processes of one thread each, flushing, the
   plain network's seeds in two blocks, cache-sized scans), start-up of the workers
   included; the ratio is the issue's measure;
3. with ``--seeds40``: what 40 seeds of the plain network cost against 20, the way now;
4. with ``--scaling 1 2 4``: part 2's way now with each of those worker counts (how it
   scales with the cores; more workers than cores shows the overhead), parts 1-3 skipped.

    python benchmarks/bench_gradient_study.py [--epochs 1] [--workers 2] [--seeds40]
    python benchmarks/bench_gradient_study.py --scaling 1 2 4
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time

import numpy as np
import torch
import yaml
from raw_cities import RAW, city_tensors

from mlpcnn.cities.encodings import standardiser
from mlpcnn.cities.fixes import MODEL_OVERRIDES
from mlpcnn.cities.gradients import (
    DeepRun,
    GradientRecorder,
    dead_layers,
    initial_profile,
    run_deep_all,
    train_recording_gradients,
)
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, _EagerStep, flushing
from mlpcnn.common.pool import cpu_count

PARAMS = RAW.parents[2] / "params.yaml"


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                    if line.startswith("Model name"))  # fmt: skip
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown CPU"


def study_runs(epochs: int, flush: bool) -> dict[str, DeepRun]:
    """Every run of the two stages as params.yaml sets them, for ``epochs`` epochs."""
    params = yaml.safe_load(PARAMS.read_text())
    tensors, n_classes = city_tensors()
    splits = {"train": tensors["train"], "val": tensors["val"], "test": tensors["test"]}
    standard = standardiser(splits["train"][0])
    standardised = {name: (standard(x), y) for name, (x, y) in splits.items()}
    plain, fixes = params["gradient_study"], params["residual_study"]
    train = TrainConfig(epochs=epochs, batch_size=256, lr=plain["lr"], flush_denormal=flush)
    base = {k: plain[k] for k in ("depth", "width", "batchnorm")}
    config = MLPConfig(n_classes=n_classes, **base)
    rows = plain["profile_rows"]
    runs = {"gradient_study": DeepRun(config, train, splits, plain["seeds"], profile_rows=rows)}
    for name, arm in {**fixes["arms"], **fixes["controls"]}.items():
        overrides = {k: arm[k] for k in MODEL_OVERRIDES if k in arm}
        config = MLPConfig(n_classes=n_classes, **{**base, **overrides})
        runs[name] = DeepRun(config, train, standardised if arm.get("standardise") else splits,
                             fixes["seeds"])  # fmt: skip
    return runs


def step_ms(run: DeepRun, threads: int, flush: bool, steps: int = 20) -> float:
    """ms a training step of ``run`` (batch 256, gradients recorded), warm."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    x, y = run.splits["train"]
    model = stacked_mlps(run.config, run.seeds)
    step = _EagerStep(model, "adam", 1e-3)
    recorder = GradientRecorder(model, steps + 3, 1)
    r = len(run.seeds)
    batches = [(x[i * 256 : (i + 1) * 256].expand(r, -1, -1),
                y[i * 256 : (i + 1) * 256].expand(r, -1)) for i in range(steps + 3)]  # fmt: skip
    for xb, yb in batches[:3]:
        step(xb, yb, recorder, 0)
    with flushing(flush):
        start = time.perf_counter()
        for xb, yb in batches[3:]:
            step(xb, yb, recorder, 0)
        seconds = time.perf_counter() - start
    torch.set_num_threads(before)
    return seconds / steps * 1000


@torch.inference_mode()
def alive_before(model, x: torch.Tensor) -> np.ndarray:
    """The dead-layer scan before: chunks of 16,384 rows, a boolean per output."""
    model.eval()
    alive = None
    chunk = 1 << 14
    for start in range(0, len(x), chunk):
        outputs = model.relu_outputs(x[start : start + chunk])
        found = torch.stack([(a > 0).any(dim=1) for a in outputs], dim=1)
        alive = found if alive is None else alive | found
    model.train()
    return alive.numpy()


def before(runs: dict[str, DeepRun]) -> float:
    """The stages' work as they did it: one run after the other, every core, IEEE."""
    start = time.perf_counter()
    for run in runs.values():
        model = stacked_mlps(run.config, run.seeds)
        x, y = run.splits["train"]
        if run.profile_rows:
            dead_layers(alive_before(model, x))
            initial_profile(model, x[: run.profile_rows], y[: run.profile_rows])
        train_recording_gradients(model, run.splits, run.train)
        dead_layers(alive_before(model, x))
    return time.perf_counter() - start


def now(runs: dict[str, DeepRun], workers: int) -> float:
    """As the stages now run them (worker start-up included)."""
    start = time.perf_counter()
    run_deep_all([runs["gradient_study"]], workers, blocks=2)
    run_deep_all([r for n, r in runs.items() if n != "gradient_study"], workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs of every run (part 2)")
    parser.add_argument("--workers", type=int, default=cpu_count())
    parser.add_argument("--seeds40", action="store_true", help="also 40 seeds against 20")
    parser.add_argument("--scaling", type=int, nargs="+", help="only part 2 now, these workers")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    print(f"CPU: {cpu_model()}, {cpu_count()} CPUs, torch {torch.__version__}, {threads} "
          f"threads; 20 seeds a run; {args.workers} workers")  # fmt: skip
    if args.scaling:
        runs = study_runs(args.epochs, flush=True)
        seconds = {workers: now(runs, workers) for workers in args.scaling}
        first = args.scaling[0]
        for workers, wall in seconds.items():
            print(f"{workers} workers: {wall:.1f} s ({seconds[first] / wall:.2f}x against {first})")
        return

    runs = study_runs(args.epochs, flush=True)
    print(f"\n1. ms a training step\n{'run':22s} {f'{threads} threads':>10s} "
          f"{'1 thread':>9s} {'1 thr+flush':>11s} {'flush gain':>10s}")  # fmt: skip
    for name, run in runs.items():
        many, one, flushed = (step_ms(run, threads, False), step_ms(run, 1, False),
                              step_ms(run, 1, True))  # fmt: skip
        print(f"{name:22s} {many:10.1f} {one:9.1f} {flushed:11.1f} {one / flushed:9.2f}x")

    reference = before(study_runs(args.epochs, flush=False))
    new = now(runs, args.workers)
    print(f"\n2. the stages' work, {args.epochs} epoch(s) of every run")
    print(f"before (serial, {threads} threads, IEEE): {reference:.1f} s")
    print(f"now ({args.workers} workers of 1 thread, flushing): {new:.1f} s")
    print(f"ratio: {reference / new:.2f}x")

    if args.seeds40:
        plain = runs["gradient_study"]
        forty = DeepRun(plain.config, plain.train, plain.splits, list(range(40)),
                        profile_rows=plain.profile_rows)  # fmt: skip
        twenty = now({"gradient_study": plain}, args.workers)
        start = time.perf_counter()
        run_deep_all([forty], args.workers, blocks=2)
        seconds = time.perf_counter() - start
        print(f"\n3. the plain network: 20 seeds {twenty:.1f} s, 40 seeds {seconds:.1f} s "
              f"({seconds / twenty:.2f}x the wall time for twice the seeds)")  # fmt: skip


if __name__ == "__main__":
    main()

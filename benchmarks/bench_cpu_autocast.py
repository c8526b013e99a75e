"""bfloat16 autocast on the CPU against float32: the same runs, their time and accuracy.

``deepfake.cpu_autocast: auto`` turns bfloat16 autocast on where the CPU has bfloat16
matrix units (Intel AMX). This trains the deepfake baselines' runs at the rates the
committed run chose on validation, with the same seeds, once in float32 (the plain
reference) and once under autocast, on the prepared arrays (``data/prepared/faces.npz``:
run ``dvc repro prepare_faces`` first), and prints per strategy the training time of
each, their ratio, and the mean test accuracy over seeds with its 95% interval, so that
one can check the faster path lands within the float32 run's interval.

    python benchmarks/bench_cpu_autocast.py [--strategies scratch finetune] [--seeds 0 1 2]

Nothing is written; the CPU's model and whether it has AMX are printed.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from mlpcnn.common.stats import seed_interval
from mlpcnn.faces.backbones import resolve_backbone
from mlpcnn.faces.baselines import cpu_has_bf16_matrix_units
from mlpcnn.faces.strategies import Settings, input_of, run_strategy

ROOT = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", nargs="+", default=["scratch", "linear_probe", "finetune"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; bfloat16 matrix units: {cpu_has_bf16_matrix_units()}; "
          f"threads {torch.get_num_threads()}; torch {torch.__version__}")  # fmt: skip
    backbone = json.loads((ROOT / "plots/faces_backbone/summary.json").read_text())["backbone"]
    resolve_backbone(backbone)  # fail early if the weights are missing
    with np.load(ROOT / "data/prepared/faces.npz") as arrays:
        labels = {s: arrays[f"{s}_labels"] for s in ("train", "val", "test")}
        inputs = {k: {s: arrays[f"{s}_{k}"] for s in labels} for k in ("scratch", "pretrained")}
    print(f"{'strategy':14s} {'lr':>7s} {'float32 s':>10s} {'bf16 s':>8s} {'ratio':>6s}  "
          f"{'float32 test acc':>24s}  {'bfloat16 test acc':>24s}")  # fmt: skip
    for strategy in args.strategies:
        summary = json.loads((ROOT / f"plots/deepfake/{strategy}/summary.json").read_text())
        lr = summary["best_lr_by_val_acc"]
        images = inputs[input_of(strategy)]
        result = {}
        for precision in ("float32", "bfloat16"):
            settings = Settings(seeds=tuple(args.seeds), lrs=[lr], backbone=backbone,
                                precision=precision)  # fmt: skip
            start = time.perf_counter()
            done = run_strategy(strategy, images, labels, settings, diagnose=False)
            seconds = time.perf_counter() - start
            acc = seed_interval([r.test_acc for r in done.seeds.values()])
            result[precision] = (seconds, acc)

        def text(acc: dict) -> str:
            if acc["low"] is None:  # one seed: no interval
                return f"{100 * acc['mean']:.2f}%"
            return f"{100 * acc['mean']:.2f}% [{100 * acc['low']:.1f}, {100 * acc['high']:.1f}]"

        (f32, a32), (b16, a16) = result["float32"], result["bfloat16"]
        print(f"{strategy:14s} {lr:7g} {f32:10.1f} {b16:8.1f} {f32 / b16:5.2f}x  "
              f"{text(a32):>24s}  {text(a16):>24s}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

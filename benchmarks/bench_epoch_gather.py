"""Each step's rows gathered per step, against the whole epoch gathered at once (before).

Before (main d414555) ``train_replicas`` gathered every replica's shuffled epoch into one
``(R, N, F)`` tensor and sliced its steps from it: ``R x N x F`` floats written to fresh
memory every epoch (a block of 3 replicas with 512 Fourier features: 657 MB, page faults
and all). Now each step gathers its own ``(R, B, F)`` rows. This times, in one run, the
same block of seeds of the encoding sweep's settings (3 x 128 with batch norm, cosine
schedule, compiled: what one worker of ``encoding_sweep@<setting>`` trains) with the
code before (``git show <rev>:src/mlpcnn/cities/training.py``, loaded as a module) and
the code now, one thread each, evaluation included, and prints the ratio per epoch and
the largest difference between the two runs' final validation accuracies (the same rows
either way; only the step's input strides differ, so the figures may differ in the
last bits).

    python benchmarks/bench_epoch_gather.py [--epochs 4] [--before d414555]

Needs the prepared cities arrays (``dvc repro prepare_cities``) and a git checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from mlpcnn.cities import training
from mlpcnn.cities.encodings import make_encoding
from mlpcnn.cities.mlp import MLPConfig

ROOT = Path(__file__).resolve().parents[1]
BLOCK = [0, 1, 2]  # the first of the sweep's two blocks of its 5 seeds


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def module_at(rev: str, source_path: str, folder: Path):
    """The module at ``source_path`` (e.g. ``src/mlpcnn/cities/training.py``) as it was
    at ``rev``, loaded as ``<its name>_before``: the code before, for a same-run ratio."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{source_path}"], cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    name = f"{Path(source_path).stem}_before"
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def timed(module, config: MLPConfig, train, splits) -> tuple[float, np.ndarray]:
    """Seconds for ``train.epochs`` epochs of the block, and its final validation accuracies."""
    start = time.perf_counter()
    _, result = module.train_seeds(config, splits, train, BLOCK, torch.device("cpu"))
    return time.perf_counter() - start, result.final("val_acc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs timed per setting")
    parser.add_argument("--before", default="d414555", help="the commit of the code before")
    parser.add_argument("--settings", nargs="+", default=["raw", "axis_f2", "rff_f1p5"])
    args = parser.parse_args()
    torch.set_num_threads(1)  # as a stage's worker
    params = yaml.safe_load((ROOT / "params.yaml").read_text())["encoding_sweep"]
    print(f"CPU: {cpu_model()}; one thread; torch {torch.__version__}; block of seeds {BLOCK}")
    with np.load(ROOT / "data/prepared/cities.npz") as a:
        raw = {s: (torch.from_numpy(a[f"x_{s}"]), torch.from_numpy(a[f"y_{s}"]))
               for s in ("train", "val", "test")}  # fmt: skip
        n_classes = int(a["n_classes"])
    shared = params["train"]
    with tempfile.TemporaryDirectory() as folder:
        before = module_at(args.before, "src/mlpcnn/cities/training.py", Path(folder))
        print(f"{'setting':10s} {'features':>8s} {'before s/ep':>11s} {'now s/ep':>9s} "
              f"{'ratio':>6s} {'max |d val acc|':>15s}")  # fmt: skip
        for name in args.settings:
            setting = params["settings"][name]
            encoding = make_encoding(
                setting["kind"], setting.get("features"), setting.get("max_frequency"),
                seed=shared["encoding_seed"],
            )  # fmt: skip
            splits = {s: (encoding.encode(x), y) for s, (x, y) in raw.items()}
            config = MLPConfig(in_features=encoding.features, depth=shared["depth"],
                               width=shared["width"], n_classes=n_classes,
                               batchnorm=shared["batchnorm"])  # fmt: skip
            kwargs = dict(batch_size=shared["batch_size"], lr=shared["lr"], compile=True,
                          lr_schedule=shared["lr_schedule"], drop_last=True)  # fmt: skip
            results = []
            for module in (before, training):
                timed(module, config, module.TrainConfig(epochs=1, **kwargs), splits)  # compile
                results.append(
                    timed(module, config, module.TrainConfig(epochs=args.epochs, **kwargs), splits)
                )
            (old, old_acc), (new, new_acc) = results
            print(f"{name:10s} {encoding.features:8d} {old / args.epochs:11.2f} "
                  f"{new / args.epochs:9.2f} {old / new:5.2f}x "
                  f"{np.abs(old_acc - new_acc).max():15.2e}")  # fmt: skip


if __name__ == "__main__":
    main()

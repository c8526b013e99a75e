"""The whole faces section (7) at the course's size, stage by stage.

The course's split is about 1,400 / 200 / 400 images (700 / 100 / 200 per class; its
code runs 44 batches of 32 per training epoch). The default run's stand-in is 300 / 100 /
200 per class. This runs the pipeline's own stage scripts (faces_backbone, prepare_faces,
every deepfake strategy, error_analysis) in a temporary copy of the repository whose
params ask for a stand-in of the course's size, and prints each stage's wall time and
the section's total (start-up included, as a user's `dvc repro` pays it).

    python benchmarks/bench_course_scale.py [--per-class 700 100 200] [--strategies a b]

Nothing in the repository is touched; nothing goes through DVC (no cache, no lock).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("pipeline", "params.yaml", "data/raw/whichfaceisreal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, nargs=3, default=[700, 100, 200],
                        metavar=("TRAIN", "VAL", "TEST"))  # fmt: skip
    parser.add_argument("--strategies", nargs="*", help="default: every strategy in params")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        for name in COPIED:
            source, target = ROOT / name, repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
        params = yaml.safe_load((repo / "params.yaml").read_text())
        train, val, test = args.per_class
        params["prepare_faces"]["standin"]["counts"] = {"train": train, "val": val, "test": test}
        strategies = args.strategies or list(params["deepfake"]["strategies"])
        params["deepfake"]["strategies"] = {
            s: params["deepfake"]["strategies"][s] for s in strategies
        }
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

        stages = [("faces_backbone", []), ("prepare_faces", [])]
        stages += [("deepfake", [s]) for s in strategies] + [("error_analysis", [])]
        times = {}
        for script, extra in stages:
            name = "@".join([script, *extra])
            start = time.perf_counter()
            subprocess.run([sys.executable, f"pipeline/{script}.py", *extra], cwd=repo,
                           check=True, env={**os.environ, "TQDM_DISABLE": "1"})  # fmt: skip
            times[name] = time.perf_counter() - start
            print(f"{name:28s} {times[name]:7.1f} s", flush=True)
    total = sum(times.values())
    print(f"{'faces section':28s} {total:7.1f} s ({total / 60:.1f} min), "
          f"{2 * train} / {2 * val} / {2 * test} images")  # fmt: skip


if __name__ == "__main__":
    main()

"""What each stage script pays before its first line of work: Python start-up and imports.

Every DVC stage is a fresh Python process, and the end-to-end tests run 26 of them, so
the seconds a stage spends importing add up (issue 15's start-up lead). For each script
in ``pipeline/`` that DVC runs, this imports it (its ``main`` is not called) in a fresh
process, several times, and prints the median wall time against two references measured
in the same run: a bare interpreter and ``import torch`` alone (the floor of any stage
that trains). It also names the script's own imports that take the longest (``python -X
importtime``), which is where lazy imports would pay. Imports a stage does inside its
``main`` (timm, scipy.stats, scikit-learn in the deepfake stages) come on top.

    python benchmarks/bench_startup.py [--repeat 3] [--top 4]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def stage_scripts() -> list[str]:
    """The scripts dvc.yaml's commands run, in the order they first appear."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    commands = [s.get("do", s)["cmd"] for s in stages.values()]
    found = [m.group(1) for c in commands if (m := re.search(r"pipeline/(\w+)\.py", c))]
    return list(dict.fromkeys(found))


def timed(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heaviest(module: str, top: int) -> str:
    """The script's own imports (one level below it) that take longest, cumulative, from
    ``-X importtime``; a package a sibling imported first is counted there."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", importer(module)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    top_level = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        # -X importtime indents two spaces a level: " script", "   what it imports"
        child = len(parts) == 3 and re.match(r"^ {3}\S", parts[2]) is not None
        if child and parts[1].strip().isdigit():
            top_level.append((int(parts[1]), parts[2].strip()))
    top_level.sort(reverse=True)
    return ", ".join(f"{name} {us / 1e6:.2f} s" for us, name in top_level[:top])


def importer(module: str) -> str:
    return f"import sys; sys.path.insert(0, 'pipeline'); import {module}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=4)
    args = parser.parse_args()
    bare = timed("pass", args.repeat)
    torch_only = timed("import torch", args.repeat)
    print(f"bare interpreter {bare:.2f} s; import torch alone {torch_only:.2f} s "
          f"(median of {args.repeat})\n")  # fmt: skip
    print(f"{'script':20s} {'start-up':>9s} {'/ torch':>8s}  heaviest imports")
    total = 0.0
    for script in stage_scripts():
        seconds = timed(importer(script), args.repeat)
        total += seconds
        print(f"{script:20s} {seconds:8.2f}s {seconds / torch_only:7.2f}x  "
              f"{heaviest(script, args.top)}")  # fmt: skip
    print(f"\nsum over the {len(stage_scripts())} scripts: {total:.1f} s (a stage with "
          f"several foreach items pays it once per item)")  # fmt: skip


if __name__ == "__main__":
    main()

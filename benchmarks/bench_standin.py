"""The stand-in's generator: chunks on one-thread workers against one process.

``prepare_faces`` draws the default stand-in (1,200 images of 512 x 512 with four traces
each) in chunks of 100 images on one worker per CPU. This times, in one run, the same
images drawn in the calling process (``workers=1``, the plain reference) and on the
pool, checks that both wrote the same bytes (each image's randomness comes from its
seed, split, class and index alone), and prints the ratio.

    python benchmarks/bench_standin.py [--per-class 100] [--size 512]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mlpcnn.common.pool import cpu_count
from mlpcnn.faces.data import content_hash, list_images
from mlpcnn.faces.standin import build_standin


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def timed(root: Path, per_class: int, size: int, workers: int) -> tuple[float, str]:
    counts = {"train": per_class, "val": per_class // 2, "test": per_class // 2}
    start = time.perf_counter()
    build_standin(root, counts, size, seed=0, workers=workers)
    seconds = time.perf_counter() - start
    return seconds, content_hash(list_images(root), root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=100, help="training images per class")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    workers = cpu_count()
    print(f"CPU: {cpu_model()}, {workers} CPUs; {4 * args.per_class} images of {args.size} px")
    with tempfile.TemporaryDirectory() as folder:
        serial, serial_hash = timed(Path(folder, "serial"), args.per_class, args.size, 1)
        pooled, pooled_hash = timed(Path(folder, "pooled"), args.per_class, args.size, workers)
    n = 4 * args.per_class
    print(f"one process:          {serial:6.1f} s ({1000 * serial / n:.0f} ms an image)")
    print(f"{workers} one-thread workers: {pooled:6.1f} s ({1000 * pooled / n:.0f} ms an image)")
    print(f"ratio: {serial / pooled:.2f}x; same bytes: {serial_hash == pooled_hash}")


if __name__ == "__main__":
    main()

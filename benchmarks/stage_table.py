"""The stage table of a full run, from the run's own log (not by hand).

Run the pipeline with a time stamp on each line of its output, e.g.

    dvc repro -f 2>&1 | python benchmarks/stage_table.py --stamp > repro.log
    python benchmarks/stage_table.py repro.log

``--stamp`` copies standard input to standard output with the seconds since the start
in front of each line. Given a stamped log, it prints a Markdown table: each stage's
wall time (from its "Running stage" line to the next), the script's own time (its
"done in" line: the wall less DVC's bookkeeping) and the worker processes its summary
records, then the total. Name the CPU (``lscpu``) and the cache beside it in the log.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMPED = re.compile(r"^\s*(\d+\.\d+) (.*)$")


def stamp() -> None:
    start = time.monotonic()
    for line in sys.stdin:
        sys.stdout.write(f"{time.monotonic() - start:10.1f} {line}")
        sys.stdout.flush()


def workers(stage: str) -> str:
    name = stage.replace("@", "/")
    path = ROOT / "plots" / name / "summary.json"
    if not path.is_file():
        return ""
    timing = json.loads(path.read_text()).get("timing") or {}
    return str(timing.get("workers", 1)) if timing else ""


def table(log: str) -> str:
    starts, own = [], {}
    end = 0.0
    for line in log.splitlines():
        m = STAMPED.match(line)
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        end = t
        if text.startswith("Running stage '"):
            starts.append((text.split("'")[1], t))
        elif text.startswith("done in ") and starts:
            own[starts[-1][0]] = float(text.split()[2])
    rows = ["| stage | wall (s) | own (s) | workers |", "|---|---|---|---|"]
    for (stage, t), (_, t_next) in zip(starts, [*starts[1:], ("", end)], strict=True):
        rows.append(f"| {stage} | {t_next - t:.0f} | {own.get(stage, float('nan')):.0f} | "
                    f"{workers(stage)} |")  # fmt: skip
    rows.append(f"| **total** | **{end:.0f}** ({end / 60:.1f} min) | | |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", help="a stamped log of dvc repro")
    parser.add_argument("--stamp", action="store_true", help="stamp standard input")
    args = parser.parse_args()
    if args.stamp:
        stamp()
    else:
        print(table(Path(args.log).read_text()))


if __name__ == "__main__":
    main()

"""Stage report: report/REPORT.md from every stage's metrics (figures linked from plots/)."""

from __future__ import annotations

from stage import METRICS, run

from mlpcnn.io import atomic_output
from mlpcnn.report import load_metrics, render_report

OUT = "report/REPORT.md"


def main() -> None:
    with atomic_output(OUT) as tmp:
        tmp.write_text(render_report(load_metrics(METRICS)))


if __name__ == "__main__":
    run(main)

"""Stage report: report/REPORT.md from every stage's summary, params and the course references."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import yaml
from stage_shared import PLOTS, InputError, read_params, run

from mlpcnn.common.io import atomic_output
from mlpcnn.report.document import GROUPS, render_report
from mlpcnn.report.study import Study

OUT = Path("report/REPORT.md")
REFERENCES = Path("data/references/course_reports.yaml")


def load_study(plots: Path = PLOTS, out: Path = OUT) -> Study:
    """Every ``plots/<stage>[/<item>]/summary.json``, ``history.csv`` and PNG, params.yaml,
    the references."""
    results: dict = {}
    for path in sorted(plots.rglob("summary.json")):
        parts = path.relative_to(plots).parent.parts
        if parts[0] in GROUPS and len(parts) == 2:
            results.setdefault(parts[0], {})[parts[1]] = json.loads(path.read_text())
        elif len(parts) == 1:
            results[parts[0]] = json.loads(path.read_text())
    figures = {
        path.relative_to(plots).with_suffix("").as_posix(): Path(
            os.path.relpath(path, out.parent)
        ).as_posix()
        for path in sorted(plots.rglob("*.png"))
    }
    if not REFERENCES.is_file():
        raise InputError(f"{REFERENCES}: missing (the course reports' figures)")
    references = yaml.safe_load(REFERENCES.read_text())
    histories = {
        path.relative_to(plots).parent.as_posix(): pd.read_csv(path)
        for path in sorted(plots.rglob("history.csv"))
    }
    tables = {path.relative_to(plots).with_suffix("").as_posix(): pd.read_csv(path)
              for path in sorted(plots.rglob("ratios.csv"))}  # fmt: skip
    return Study(results=results, params=read_params(), figures=figures,
                 references=references, histories=histories, tables=tables)  # fmt: skip


def main() -> None:
    with atomic_output(OUT) as tmp:
        tmp.write_text(render_report(load_study()))


if __name__ == "__main__":
    run(main)

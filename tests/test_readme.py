"""The README's results table is the one the committed metrics give."""

from __future__ import annotations

from pathlib import Path

from mlpcnn.report import load_metrics, results_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_results_agree_with_the_committed_metrics() -> None:
    expected = results_table(load_metrics(ROOT / "metrics"))
    assert expected in (ROOT / "README.md").read_text(), (
        "README.md's results table differs from the committed metrics; paste this one:\n" + expected
    )

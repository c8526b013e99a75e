"""The README's results table is the one the committed results give."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpcnn.report.document import results_table
from report import load_study

ROOT = Path(__file__).resolve().parents[1]


def test_readme_results_agree_with_the_committed_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    expected = results_table(load_study())
    assert expected in (ROOT / "README.md").read_text(), (
        "README.md's results table differs from the committed results; paste this one:\n" + expected
    )

"""What a newcomer meets: a short README whose commands are CI's, links that resolve in
any clone, results read from the report, stage scripts that read like recipes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mlpcnn.report.document import results_table
from report import load_study

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ["README.md", "CONTRIBUTING.md", "docs/method.md", "benchmarks/README.md",
        "data/raw/whichfaceisreal/README.md"]  # fmt: skip


def test_the_readme_is_read_in_five_minutes() -> None:
    assert len(README.encode()) <= 10 * 1024


def test_the_readme_test_command_is_what_ci_runs() -> None:
    commands = re.findall(r"^python3 -m venv .*$", README, flags=re.MULTILINE)
    assert len(commands) == 2 and commands[0].endswith("&& dvc repro")
    assert commands[1] in (ROOT / ".ci/run").read_text()
    assert commands[1].endswith("pytest -m ''")  # every test, not only the fast ones


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_resolves_inside_the_repository(doc: str) -> None:
    text = (ROOT / doc).read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        assert not target.startswith(("http:", "https:")), f"{doc} links outside: {target}"
        assert (ROOT / doc).parent.joinpath(target).resolve().exists(), f"{doc}: dead link {target}"
    assert "../shared" not in text


def test_evergreen_text_holds_no_dates_machines_or_issue_numbers() -> None:
    """Logs are dated and name their CPU (benchmarks/README.md); the rest does not."""
    for doc in ("README.md", "CONTRIBUTING.md", "docs/method.md"):
        text = (ROOT / doc).read_text()
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b|\bissue \d+|\bEPYC\b|\bXeon\b", text), doc


def test_the_report_opens_with_the_committed_results_and_the_readme_links_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    report = (ROOT / "report/REPORT.md").read_text()
    sections = report.split("\n## ")
    assert sections[1].startswith("Findings\n") and sections[2].startswith("Results at a glance")
    assert results_table(load_study()) in sections[2]
    assert "report/REPORT.md#findings" in README
    assert "report/REPORT.md#results-at-a-glance" in README
    # No result is copied into the README, so none can drift from the report.
    assert not re.search(r"\d+\.\d+%", README)


def test_stage_scripts_read_like_recipes() -> None:
    """Each stage's main() is at most 60 lines: the analysis lives in the library."""
    for script in sorted((ROOT / "pipeline").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "main":
                assert node.end_lineno - node.lineno + 1 <= 60, script.name

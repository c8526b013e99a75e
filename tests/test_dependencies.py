"""dvc.yaml's deps cover every module each stage runs, and no more code than it runs.

A stage's code is its script plus everything it imports, transitively, within
``pipeline/`` and ``src/`` (function-local imports included). A module is covered when
the stage lists it, or a folder holding it, under ``deps``. A missing dep would let
`dvc status` call a stale result up to date; an unused code dep reruns a stage for
nothing (an edit to the faces library must rerun no cities stage).
"""

from __future__ import annotations

import ast
import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CODE = ("pipeline/", "src/")


def stages(dvc_yaml: Path = ROOT / "dvc.yaml") -> dict[str, dict]:
    """Every stage (a foreach group once, by its name) with its ``cmd`` and ``deps``."""
    raw = yaml.safe_load(dvc_yaml.read_text())["stages"]
    return {name: stage.get("do", stage) for name, stage in raw.items()}


def module_file(name: str, root: Path = ROOT) -> list[str]:
    """The files importing ``name`` runs (its package ``__init__`` files too), or [] if
    it is not the project's code."""
    parts = name.split(".")
    if parts[0] == "mlpcnn":
        files = []
        for i in range(1, len(parts) + 1):
            base = root / "src" / Path(*parts[:i])
            if (base / "__init__.py").is_file():
                files.append(base / "__init__.py")
            elif base.with_suffix(".py").is_file():
                files.append(base.with_suffix(".py"))
        return [f.relative_to(root).as_posix() for f in files]
    script = root / "pipeline" / f"{name}.py"
    return [script.relative_to(root).as_posix()] if len(parts) == 1 and script.is_file() else []


def imported(path: str, root: Path = ROOT) -> set[str]:
    """The project files that running ``path`` runs, itself included."""
    seen, todo = set(), [path]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(ast.parse((root / current).read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # `from mlpcnn.cities import data` may name a submodule
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                todo += module_file(name, root)
    return seen


def covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


def uncovered(stage: dict, root: Path = ROOT) -> list[str]:
    """Modules the stage runs that its deps do not cover."""
    script = stage["cmd"].split()[1]
    return sorted(f for f in imported(script, root) if not covered(f, stage["deps"]))


def unused(stage: dict, root: Path = ROOT) -> list[str]:
    """Code deps (under pipeline/ or src/) of which the stage runs nothing."""
    runs = imported(stage["cmd"].split()[1], root)
    code = [d for d in stage["deps"] if d.startswith(CODE)]
    return [d for d in code if not any(covered(f, [d]) for f in runs)]


STAGES = stages()


@pytest.mark.parametrize("name", STAGES)
def test_every_module_a_stage_runs_is_a_dep(name: str) -> None:
    assert uncovered(STAGES[name]) == [], f"{name}: add these to its deps in dvc.yaml"


@pytest.mark.parametrize("name", STAGES)
def test_no_stage_depends_on_code_it_does_not_run(name: str) -> None:
    assert unused(STAGES[name]) == [], f"{name}: these deps rerun it for nothing"


def test_the_check_fails_when_a_dep_is_removed() -> None:
    stage = copy.deepcopy(STAGES["mlp_epochs"])
    stage["deps"].remove("src/mlpcnn/cities")
    missing = uncovered(stage)
    assert "src/mlpcnn/cities/training.py" in missing and "src/mlpcnn/cities/mlp.py" in missing
    stage = copy.deepcopy(STAGES["deepfake"])
    stage["deps"].remove("pipeline/stage_faces.py")
    assert uncovered(stage) == ["pipeline/stage_faces.py"]


def test_function_local_imports_are_followed(tmp_path: Path) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "src/mlpcnn/faces").mkdir(parents=True)
    for init in ("src/mlpcnn/__init__.py", "src/mlpcnn/faces/__init__.py"):
        (tmp_path / init).write_text("")
    (tmp_path / "src/mlpcnn/faces/backbones.py").write_text("")
    (tmp_path / "pipeline/s.py").write_text("def f():\n    from mlpcnn.faces import backbones\n")
    stage = {"cmd": "python pipeline/s.py", "deps": ["pipeline/s.py", "src/mlpcnn/__init__.py"]}
    assert uncovered(stage, tmp_path) == [
        "src/mlpcnn/faces/__init__.py",
        "src/mlpcnn/faces/backbones.py",
    ]


def test_the_two_studies_share_only_the_common_code() -> None:
    """An edit to the faces library reruns no cities stage, and the reverse: what both
    studies use (statistics, device, figures, params) lives in common/."""
    for name, stage in STAGES.items():
        runs = imported(stage["cmd"].split()[1])
        faces = any(f.startswith("src/mlpcnn/faces/") for f in runs)
        cities = any(f.startswith("src/mlpcnn/cities/") for f in runs)
        assert not (faces and cities), f"{name} runs both studies' code"
        deps = stage["deps"]
        if not faces:
            assert not any(d.startswith("src/mlpcnn/faces") for d in deps), name
        if not cities:
            assert not any(d.startswith("src/mlpcnn/cities") for d in deps), name


def test_every_stage_script_is_named_after_its_stage() -> None:
    for name, stage in STAGES.items():
        assert stage["cmd"].split()[1] == f"pipeline/{name}.py"


@pytest.mark.parametrize("script", ["report", "plots_template"])
def test_stages_that_train_nothing_do_not_import_torch(script: str) -> None:
    """Start-up is a stage's fixed cost: torch alone takes about 2 s to import."""
    check = f"import sys, {script}; sys.exit('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT / "pipeline", check=False)
    assert done.returncode == 0, f"pipeline/{script}.py imports torch"

"""End to end: the real dvc.yaml on shrunk params in a temporary copy of the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["dvc.yaml", "params.yaml", ".dvcignore", "pipeline", "src", "data/raw/cities"]

pytestmark = pytest.mark.e2e


def shrink(params: dict) -> dict:
    params["device"] = "cpu"
    params["prepare_cities"]["max_rows"] = 3000
    params["mlp_epochs"]["epochs"] = 3
    return params


def sh(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh(repo, sys.executable, "-m", "dvc", *args, check=check)


def set_params(repo: Path, edit) -> None:
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(edit(yaml.safe_load(path.read_text())), sort_keys=False))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    for name in COPIED:
        source, target = ROOT / name, repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    dvc(repo, "init", "--no-scm", "-q")
    dvc(repo, "config", "core.analytics", "false")
    set_params(repo, shrink)
    dvc(repo, "repro")
    return repo


def test_repro_writes_every_output(repo: Path) -> None:
    prepared = json.loads((repo / "metrics/prepare_cities.json").read_text())
    assert prepared["rows"] == {"train": 3000, "val": 3000, "test": 3000}
    assert prepared["n_classes"] == 33
    metrics = json.loads((repo / "metrics/mlp_epochs.json").read_text())
    assert metrics["steps_per_epoch"] == 3000 // 256
    assert 0 < metrics["final"]["val_acc"] <= 1
    history = (repo / "plots/mlp_epochs/history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,train_loss,train_acc,val_loss")
    assert len(history) == 1 + 3
    assert (repo / "plots/mlp_epochs/loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (repo / "models/mlp_epochs.pt").stat().st_size > 0


def test_plots_and_metrics_render(repo: Path) -> None:
    shown = json.loads(dvc(repo, "plots", "show", "--json").stdout)["data"]
    for plot in ("mlp_epochs_loss", "mlp_epochs_accuracy"):
        (rendered,) = shown[plot]
        assert rendered["type"] == "vega"
        assert len(rendered["content"]["data"]["values"]) == 3 * 3, plot  # 3 curves x 3 epochs
    assert shown["plots/mlp_epochs/loss.png"][0]["type"] == "image"
    assert "mlp_epochs.json" in dvc(repo, "metrics", "show").stdout


def test_nothing_changed_means_nothing_reruns(repo: Path) -> None:
    assert "up to date" in dvc(repo, "status").stdout


def test_changing_one_stage_params_reruns_that_stage_only(repo: Path) -> None:
    before = (repo / "metrics/mlp_epochs.json").read_text()
    set_params(repo, lambda p: p["mlp_epochs"].update(epochs=2) or p)
    out = dvc(repo, "repro").stdout
    assert "Running stage 'mlp_epochs'" in out
    assert "Running stage 'prepare_cities'" not in out
    assert (repo / "metrics/mlp_epochs.json").read_text() != before
    assert len((repo / "plots/mlp_epochs/history.csv").read_text().splitlines()) == 1 + 2


def test_same_params_reproduce_the_same_metrics(repo: Path) -> None:
    def without_timing() -> dict:
        metrics = json.loads((repo / "metrics/mlp_epochs.json").read_text())
        metrics.pop("timing")
        return metrics

    first = without_timing()
    dvc(repo, "repro", "--force", "mlp_epochs")
    assert without_timing() == first


def test_bad_param_is_one_line_naming_the_key(repo: Path) -> None:
    set_params(repo, lambda p: p["mlp_epochs"].update(lr=-0.1) or p)
    failed = sh(repo, sys.executable, "pipeline/mlp_epochs.py", check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        "error: params.yaml: mlp_epochs.lr: expected a positive number, got -0.1"
    )
    set_params(repo, lambda p: p["mlp_epochs"].update(lr=0.001) or p)

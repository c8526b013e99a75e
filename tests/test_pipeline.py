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
COPIED = [
    "dvc.yaml",
    "params.yaml",
    ".dvcignore",
    "pipeline",
    "src",
    "data/raw/cities",
    "data/raw/whichfaceisreal/README.md",
]

pytestmark = pytest.mark.e2e


def shrink(params: dict) -> dict:
    params["device"] = "cpu"
    params["prepare_cities"]["max_rows"] = 3000
    params["mlp_epochs"]["epochs"] = 3
    params["mlp_learning_rate"]["epochs"] = 2
    params["mlp_batchnorm"]["epochs"] = 2
    # The same batch sizes as the study (dvc.yaml's plots name them), fewer epochs.
    for run in params["mlp_batch_size"]["runs"]:
        run["epochs"] = min(run["epochs"], 2)
    params["mlp_batch_size"]["batch_loss_points"] = 100
    params["mlp_grid"]["train"].update(seeds=[0, 1], compile=False)
    for cell in params["mlp_grid"]["cells"].values():
        cell["epochs"] = 2
    params["mlp_select"]["boundary_resolution"] = 60
    for study in ("gradient_study", "residual_study"):
        params[study]["epochs"] = 2
    params["implicit_encoding"].update(
        epochs=2, seeds=[0, 1], compile=False, boundary_resolution=60
    )
    params["encoding_sweep"]["train"].update(epochs=2, width=16)
    params["prepare_faces"]["standin"].update(counts={"train": 4, "val": 2, "test": 3}, size=32)
    params["deepfake"]["train"]["lrs"] = [0.001]
    params["deepfake"]["strategies"]["finetune_long"].update(epochs=1, lrs=[0.001])
    for setting in params["encoding_sweep"]["settings"].values():
        setting["features"] = 16
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


def test_optimisation_studies(repo: Path) -> None:
    lr = json.loads((repo / "metrics/mlp_learning_rate.json").read_text())
    assert list(lr["runs"]) == ["lr 1e+00", "lr 1e-02", "lr 1e-03", "lr 1e-05"]
    assert {"diverged", "diverged_epoch", "stuck_at_class_prior"} <= set(lr["runs"]["lr 1e+00"])
    bn = json.loads((repo / "metrics/mlp_batchnorm.json").read_text())
    assert set(bn["runs"]) == {"with batch norm", "without batch norm"}
    sizes = json.loads((repo / "metrics/mlp_batch_size.json").read_text())
    assert sizes["runs"]["batch 1"]["iterations_per_epoch"] == 3000
    assert sizes["runs"]["batch 16"]["iterations_per_epoch"] == 3000 // 16
    assert sizes["runs"]["batch 1"]["batchnorm_mode"] == "running statistics (eval mode)"
    assert sizes["runs"]["batch 1024"]["iterations_per_epoch"] == 2
    curve = (repo / "plots/mlp_batch_size/batch_loss.csv").read_text().splitlines()
    assert curve[0] == "batch,batch 1,batch 16,batch 128,batch 1024"
    assert len(curve) - 1 <= 4 * 100


def test_plots_and_metrics_render(repo: Path) -> None:
    """Every top-level plots entry of dvc.yaml yields data in `dvc plots show --json`."""
    shown = json.loads(dvc(repo, "plots", "show", "--json").stdout)["data"]
    declared = yaml.safe_load((repo / "dvc.yaml").read_text())["plots"]
    for entry in declared:
        name = entry if isinstance(entry, str) else next(iter(entry))
        rendered = shown.get(name)
        assert rendered, f"dvc plots show has nothing for {name}"
        if name.endswith(".png"):
            assert rendered[0]["type"] == "image"
        else:
            assert rendered[0]["type"] == "vega" and rendered[0]["content"]["data"]["values"], name
    for plot in ("mlp_epochs_loss", "mlp_epochs_accuracy"):
        assert len(shown[plot][0]["content"]["data"]["values"]) == 3 * 3, (
            plot
        )  # 3 curves x 3 epochs
    grid = shown["mlp_grid_val_acc"][0]["content"]["data"]["values"]
    assert len({row["filename"] for row in grid}) == 7  # the seven cells on one chart
    assert "mlp_epochs.json" in dvc(repo, "metrics", "show").stdout


def test_nothing_changed_means_nothing_reruns(repo: Path) -> None:
    assert "up to date" in dvc(repo, "status").stdout


def test_changing_one_stage_params_reruns_that_stage_only(repo: Path) -> None:
    before = (repo / "metrics/mlp_epochs.json").read_text()
    report_before = sections((repo / "report/REPORT.md").read_text())
    set_params(repo, lambda p: p["mlp_epochs"].update(epochs=2) or p)
    out = dvc(repo, "repro").stdout
    ran = sorted(
        line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")
    )
    assert ran == ["mlp_epochs", "report"], out
    report_after = sections((repo / "report/REPORT.md").read_text())
    changed = [title for title in report_before if report_before[title] != report_after[title]]
    assert "## 6.1 Q2: epochs" in changed
    assert set(changed) <= {"header", "## 6.1 Q2: epochs"}  # the header: Q2's training time
    assert (repo / "metrics/mlp_epochs.json").read_text() != before
    assert len((repo / "plots/mlp_epochs/history.csv").read_text().splitlines()) == 1 + 2


def sections(report: str) -> dict[str, str]:
    parts, title = {"header": []}, "header"
    for line in report.splitlines():
        if line.startswith("## "):
            title = line
            parts[title] = []
        parts[title].append(line)
    return {title: "\n".join(lines) for title, lines in parts.items()}


def test_report_covers_every_section(repo: Path) -> None:
    report = (repo / "report/REPORT.md").read_text()
    titles = [t for t in sections(report) if t != "header"]
    assert titles == ["## Data", "## 6.1 Q1: learning rate", "## 6.1 Q2: epochs", "## 6.1 Q3: batch norm",
                      "## 6.1 Q4: batch size", "## 6.2 Q1-Q4: depth and width",
                      "## 6.2 Q5-Q6: gradients of a 100-layer network", "## 6.2 Q7: implicit (sine) encoding",
                      "## 7.1: deepfake baselines", "## 7.2: error analysis"]  # fmt: skip
    assert "are missing" not in report
    assert "**standin**: a synthetic stand-in" in report
    for link in [
        line.split("](")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")
    ]:
        assert (repo / "report" / link).resolve().is_file(), link


def test_grid_and_selection(repo: Path) -> None:
    cells = yaml.safe_load((repo / "params.yaml").read_text())["mlp_grid"]["cells"]
    for cell in cells:
        metrics = json.loads((repo / f"metrics/mlp_grid/{cell}.json").read_text())
        assert metrics["seeds"] == [0, 1] and len(metrics["final_val_acc_per_seed"]) == 2
        assert {"val_acc_mean", "val_acc_std", "test_acc_mean", "train_acc_std"} <= set(metrics)
        assert (repo / f"models/mlp_grid/{cell}.pt").exists()
    select = json.loads((repo / "metrics/mlp_select.json").read_text())
    assert select["best"]["cell"] in cells and select["worst"]["cell"] in cells
    assert select["best"]["val_acc_mean"] >= select["worst"]["val_acc_mean"]
    assert select["best"]["verdict"] in ("overfitting", "underfitting", "good fit")
    assert 0.9 < select["nearest_neighbour"]["val_acc"] <= 1
    assert "overfitting if" in select["fit_rule"]["rule"]
    assert list(select["cells"]) == list(cells)
    depth = (repo / "plots/mlp_select/depth.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in depth[1:]] == ["d1_w16", "d2_w16", "d6_w16", "d10_w16"]
    for png in ("depth_width", "best_worst_curves", "boundaries"):
        assert (repo / f"plots/mlp_select/{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_deep_network_studies(repo: Path) -> None:
    plain = json.loads((repo / "metrics/gradient_study.json").read_text())
    residual = json.loads((repo / "metrics/residual_study.json").read_text())
    assert set(plain["last_epoch"]) == {f"layer_{i}" for i in (0, 30, 60, 90, 95, 99)}
    assert "bias not included" in plain["magnitude"]
    assert "pre-activation" in residual["network"]["block"]
    header = (repo / "plots/residual_study/gradients.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch"] + [f"layer_{i}" for i in range(100)]
    for png in ("gradient_study/gradients", "gradient_study/heatmap", "residual_study/comparison"):
        assert (repo / f"plots/{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_implicit_encoding_and_sweep(repo: Path) -> None:
    implicit = json.loads((repo / "metrics/implicit_encoding.json").read_text())
    assert implicit["seeds"] == [0, 1] and len(implicit["frequencies"]) == 10
    assert {"val_acc_mean", "val_acc_std"} <= set(implicit["sine"]) and "raw" in implicit
    assert implicit["difference_sine_minus_raw"]["val_acc"] == pytest.approx(
        implicit["sine"]["val_acc_mean"] - implicit["raw"]["val_acc_mean"]
    )
    summary = json.loads((repo / "metrics/encoding_summary.json").read_text())
    settings = yaml.safe_load((repo / "params.yaml").read_text())["encoding_sweep"]["settings"]
    assert summary["goal_setting"] in settings and isinstance(summary["goal_met"], bool)
    assert summary["nearest_neighbour"]["val_acc"] > 0.9
    sweep = (repo / "plots/encoding_summary/sweep.csv").read_text().splitlines()
    assert len(sweep) == 1 + len(settings)


def test_faces_standin_then_course_folder(repo: Path) -> None:
    from PIL import Image

    standin = json.loads((repo / "metrics/prepare_faces.json").read_text())
    assert standin["dataset"] == "standin" and standin["backbone"] in (
        "resnet18",
        "efficientnet_lite0",
    )
    assert standin["counts"]["test"] == {"0_real": 3, "1_fake": 3}
    course = repo / "data/raw/whichfaceisreal"
    for split in ("train", "val", "test"):
        for label, name in enumerate(("0_real", "1_fake")):
            (course / split / name).mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (40, 40), (100 * label, i, 50)).save(
                    course / split / name / f"{i}.jpg"
                )
    try:
        dvc(repo, "repro", "prepare_faces")
        metrics = json.loads((repo / "metrics/prepare_faces.json").read_text())
        assert metrics["dataset"] == "course"
        assert metrics["counts"]["val"] == {"0_real": 2, "1_fake": 2}
    finally:
        for split in ("train", "val", "test"):
            shutil.rmtree(course / split)
        dvc(repo, "repro", "prepare_faces")
    assert json.loads((repo / "metrics/prepare_faces.json").read_text())["dataset"] == "standin"


def test_deepfake_baselines_and_error_analysis(repo: Path) -> None:
    strategies = yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]["strategies"]
    for strategy in strategies:
        metrics = json.loads((repo / f"metrics/deepfake/{strategy}.json").read_text())
        assert metrics["dataset"] == "standin"
        assert (metrics["backbone"] is None) == (strategy in ("xgboost", "scratch"))
        assert all(0 <= r["test_acc"] <= 1 for r in metrics["runs"].values())
        probs = (repo / f"plots/deepfake/{strategy}/test_probs.csv").read_text().splitlines()
        assert probs[0].startswith("file,label,") and len(probs) == 1 + 6
    assert (
        "reused for every run"
        in json.loads((repo / "metrics/deepfake/linear_probe.json").read_text())["notes"][
            "features"
        ]
    )
    assert (
        "converged"
        in json.loads((repo / "metrics/deepfake/sklearn_logreg.json").read_text())["notes"]
    )
    analysis = json.loads((repo / "metrics/error_analysis.json").read_text())
    assert analysis["dataset"] == "standin" and set(analysis["table"]) == set(strategies)
    assert analysis["best"]["test_acc"] >= analysis["worst"]["test_acc"]
    assert len(analysis["shown_test_indices"]) <= 5
    assert analysis["fewer_than_five"] == (len(analysis["shown_test_indices"]) < 5)
    for png in ("test_acc_vs_lr", "best_right_worst_wrong"):
        assert (repo / f"plots/error_analysis/{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_editing_one_grid_cell_reruns_that_cell_and_the_selection_only(repo: Path) -> None:
    set_params(repo, lambda p: p["mlp_grid"]["cells"]["d2_w16"].update(epochs=1) or p)
    out = dvc(repo, "repro").stdout
    ran = sorted(
        line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")
    )
    assert ran == ["mlp_grid@d2_w16", "mlp_select", "report"]


def test_same_params_reproduce_the_same_metrics(repo: Path) -> None:
    """Eager and compiled training, replicas, encodings and every kind of deepfake model alike
    (the timing sections aside, which are wall times)."""
    stages = ("mlp_epochs", "mlp_batch_size", "mlp_grid/d6_w16", "implicit_encoding", "deepfake/xgboost",
              "deepfake/scratch", "deepfake/sklearn_logreg", "deepfake/finetune")  # fmt: skip

    def without_timing() -> dict:
        metrics = {s: json.loads((repo / f"metrics/{s}.json").read_text()) for s in stages}
        return {s: {k: v for k, v in m.items() if k != "timing"} for s, m in metrics.items()}

    first = without_timing()
    dvc(repo, "repro", "--force", *(s.replace("/", "@") for s in stages))
    assert without_timing() == first


@pytest.mark.parametrize(
    ("stage", "edit", "message"),
    [
        ("mlp_epochs", {"lr": -0.1}, "mlp_epochs.lr: expected a positive number, got -0.1"),
        ("mlp_learning_rate", {"lrs": [0.01, 0]}, "mlp_learning_rate.lrs[1]: expected a positive number, got 0"),
        ("mlp_batchnorm", {"epochs": 0}, "mlp_batchnorm.epochs: expected a positive integer, got 0"),
        ("mlp_batchnorm", {"optimizer": "adamax"}, "mlp_batchnorm.optimizer: expected one of ['adam', 'sgd'], got 'adamax'"),
        ("mlp_batch_size", {"runs": [{"batch_size": 0, "epochs": 1}]}, "mlp_batch_size.runs[0].batch_size: expected a positive integer, got 0"),
        ("mlp_batch_size", {"runs": [{"batch_size": 8, "epochs": 1}, {"batch_size": 5000, "epochs": 1}]}, "mlp_batch_size.runs[1].batch_size: expected at most the training set size 3000, got 5000"),
    ],
)  # fmt: skip
def test_bad_param_fails_before_training_naming_the_key(repo: Path, stage, edit, message) -> None:
    original = yaml.safe_load((repo / "params.yaml").read_text())[stage]
    set_params(repo, lambda p: p[stage].update(edit) or p)
    try:
        failed = sh(repo, sys.executable, f"pipeline/{stage}.py", check=False)
    finally:
        set_params(repo, lambda p: p.update({stage: original}) or p)
    assert failed.returncode == 1
    assert failed.stderr.strip() == f"error: params.yaml: {message}"

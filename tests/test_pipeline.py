"""End to end: the real dvc.yaml on shrunk params in a temporary copy of the repository."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from mlpcnn.faces.analysis import q2_pairs

ROOT = Path(__file__).resolve().parents[1]
COPIED = [
    "dvc.yaml",
    "params.yaml",
    ".dvcignore",
    "pipeline",
    "src",
    "data/raw/cities",
    "data/raw/whichfaceisreal/README.md",
    "data/references",
]
ROWS = 2000  # per split
DEEP = 40  # hidden layers of the deep studies
CELLS = ("d1_w16", "d6_w16", "d6_w8")  # a depth sweep and a width sweep, two points each
SETTINGS = ("raw", "rff_f2")  # the raw coordinates and a Fourier kind (unit tests cover the rest)
SEEDS = [0, 1]

pytestmark = pytest.mark.e2e


def shrink(params: dict) -> dict:
    params["device"] = "cpu"
    params["prepare_cities"]["max_rows"] = ROWS
    # Compiling costs seconds a stage: the unit tests cover the compiled step.
    params["mlp_epochs"].update(epochs=3, seeds=SEEDS, compile=False)
    # lr 0.001 / 0.0012: labels stay apart
    params["mlp_learning_rate"].update(
        epochs=2, lrs=[0.01, 0.001, 0.0012], seeds=SEEDS, compile=False
    )
    params["mlp_batchnorm"].update(epochs=2, seeds=SEEDS, compile=False)
    # The same batch sizes as the study, fewer epochs.
    for run in params["mlp_batch_size"]["runs"]:
        run["epochs"] = min(run["epochs"], 2)
    params["mlp_batch_size"].update(seeds=SEEDS, compile=False)
    params["mlp_grid"]["train"].update(seeds=SEEDS, compile=False)
    params["mlp_grid"]["cells"] = {c: params["mlp_grid"]["cells"][c] for c in CELLS}
    for cell in params["mlp_grid"]["cells"].values():
        cell["epochs"] = 2
    params["mlp_select"]["boundary_resolution"] = 60
    for study in ("gradient_study", "residual_study"):  # deep enough for dead layers
        params[study].update(epochs=2, seeds=[0, 1, 2], depth=DEEP, layers_shown=[0, 20, DEEP - 1])
    params["gradient_study"].update(profile_rows=256, simulated_seeds=10)
    params["implicit_encoding"].update(
        epochs=2, seeds=[0, 1], compile=False, boundary_resolution=60
    )
    params["encoding_sweep"]["train"].update(epochs=2, width=16, seeds=SEEDS, compile=False)
    params["prepare_faces"]["standin"].update(counts={"train": 4, "val": 2, "test": 3}, size=32)
    params["deepfake"]["train"]["lrs"] = [0.01, 0.001]
    params["deepfake"]["seeds"] = [0, 1]
    params["deepfake"]["strategies"]["scratch"]["diagnosis_steps"] = 4  # the course's 44: 27 s
    # The course's five baselines only, to keep the suite in its budget (each stage is
    # ~4 s of Python start-up): the extras' runners are tested in test_deepfake and their
    # report sentences in test_report, and the foreach wiring is the same for every
    # strategy.
    for extra in ("finetune_long", "scratch_backbone", "handmade"):
        del params["deepfake"]["strategies"][extra]
    settings = params["encoding_sweep"]["settings"]
    params["encoding_sweep"]["settings"] = {s: settings[s] for s in SETTINGS}
    params["encoding_sweep"]["settings"]["rff_f2"]["features"] = 16
    return params


def environment() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    # TORCHINDUCTOR_CACHE_DIR comes from conftest.py: the checkout's compile cache.
    # The shrunk runs take less than a worker's start-up (importing torch): one process.
    # The pool itself is tested in test_pool.py, a stage's in-process rerun below uses it.
    env.setdefault("MLPCNN_WORKERS", "1")
    return env


def sh(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=repo, env=environment(), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh(repo, sys.executable, "-m", "dvc", *args, check=check)


def set_params(repo: Path, edit) -> None:
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(edit(yaml.safe_load(path.read_text())), sort_keys=False))


class ShrunkRun:
    """The shrunk `dvc repro`, started in the background as soon as the e2e tests are
    collected (conftest.py), so that the slow unit tests run beside it (it is mostly one
    core's work: 26 stage start-ups); the ``repo`` fixture waits for it."""

    def __init__(self, folder: Path) -> None:
        self.repo = folder / "repo"
        for name in COPIED:
            source, target = ROOT / name, self.repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target)
        repo = self.repo
        dvc(repo, "init", "--no-scm", "-q")
        dvc(repo, "config", "core.analytics", "false")
        dvc(repo, "config", "plots.html_template", "../plots/offline.html")
        shutil.copytree(ROOT / ".dvc/plots", repo / ".dvc/plots")  # the templates dvc.yaml names
        set_params(repo, shrink)
        self.log = folder / "repro.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "dvc", "repro"], cwd=repo,
                                            env=environment(), stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

    def wait(self) -> Path:
        if self.process.wait() != 0:
            raise AssertionError(f"dvc repro failed:\n{self.log.read_text()}")
        return self.repo

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = getattr(request.config, "shrunk_run", None)
    if run is None:  # the e2e tests were not reordered (e.g. run by node id): start it now
        run = ShrunkRun(tmp_path_factory.mktemp("shrunk"))
    try:
        return run.wait()
    finally:
        torch.set_num_threads(getattr(request.config, "threads_before", torch.get_num_threads()))


@pytest.fixture(scope="module")
def finished_copy(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared run for the test that reruns DVC in it (a fresh clone with
    changed params)."""
    copy = tmp_path_factory.mktemp("finished") / "repo"
    shutil.copytree(repo, copy, symlinks=True)
    return copy


@pytest.fixture
def own_repo(repo: Path, tmp_path: Path) -> Path:
    """A copy of the shared run (its DVC cache included) for a test that changes it, so
    that no test depends on the order the tests run in."""
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy, symlinks=True)
    return copy


def summary(repo: Path, name: str) -> dict:
    return json.loads((repo / f"plots/{name}/summary.json").read_text())


def test_repro_writes_every_output(repo: Path) -> None:
    """Every output that dvc.lock records for every stage exists (and its hash is the
    file's: `dvc status` says nothing changed); then a few contents by hand."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    declared = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    assert {name.split("@")[0] for name in lock} == set(declared)
    for name, stage in lock.items():
        assert stage.get("outs"), name
        for out in stage["outs"]:
            assert (repo / out["path"]).exists(), (name, out["path"])
    assert out_of_date(repo) == {}
    umask = os.umask(0o022)
    os.umask(umask)
    for regenerated in ("metrics/mlp_epochs.json", "plots/mlp_epochs/history.csv",
                        "plots/mlp_epochs/loss.png", "report/REPORT.md"):  # fmt: skip
        assert (repo / regenerated).stat().st_mode & 0o777 == 0o666 & ~umask, regenerated
    prepared = summary(repo, "prepare_cities")
    assert prepared["rows"] == {"train": ROWS, "val": ROWS, "test": ROWS}
    assert prepared["n_classes"] == 33
    details = summary(repo, "mlp_epochs")
    assert details["steps_per_epoch"] == ROWS // 256 and details["seeds"] == SEEDS
    final = details["final"]["val_acc"]
    assert final["n"] == 2 and final["low"] <= final["mean"] <= final["high"] <= 1
    assert len(details["best_val_loss_epoch"]) == 2
    headline = json.loads((repo / "metrics/mlp_epochs.json").read_text())
    assert headline == {"final_test_acc": details["final"]["test_acc"]["mean"]}
    history = (repo / "plots/mlp_epochs/history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,train_loss,train_acc,val_loss")
    assert len(history) == 1 + 3 * 2
    assert (repo / "plots/mlp_epochs/loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (repo / "models/mlp_epochs.pt").stat().st_size > 0


def test_metrics_keep_the_headline_figures_only(repo: Path) -> None:
    """`dvc exp show` stays readable: about 40 metric columns for the whole pipeline."""
    shown = json.loads(dvc(repo, "metrics", "show", "--json").stdout)
    values = [v for rev in shown.values() for f in rev["data"].values() for v in leaves(f["data"])]
    # The shrunk run has fewer grid cells, sweep settings and deepfake strategies (one
    # headline figure each) than the default.
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    shrunk = yaml.safe_load((repo / "params.yaml").read_text())
    default = (len(values) + len(params["mlp_grid"]["cells"]) - len(CELLS)
               + len(params["encoding_sweep"]["settings"]) - len(SETTINGS)
               + len(params["deepfake"]["strategies"]) - len(shrunk["deepfake"]["strategies"]))  # fmt: skip
    assert default <= 40, default


def leaves(obj) -> list:
    return [v for x in obj.values() for v in leaves(x)] if isinstance(obj, dict) else [obj]


def test_optimisation_studies(repo: Path) -> None:
    lr = summary(repo, "mlp_learning_rate")
    assert list(lr["runs"]) == ["lr 0.01", "lr 0.001", "lr 0.0012"]  # exact labels
    assert {"seeds_diverged", "stuck_at_class_prior", "best_val_loss"} <= set(lr["runs"]["lr 0.01"])
    assert lr["runs"]["lr 0.01"]["final_val_loss"]["n"] == 2
    for criterion in ("final", "best"):  # the winner against each other rate, one family
        verdict = lr["verdicts"][criterion]
        assert verdict["winner"] in lr["runs"] and len(verdict["versus"]) == 2
        assert all(
            t["correction"] == "Holm" and t["family"] == 2 for t in verdict["versus"].values()
        )
    curves = (repo / "plots/mlp_learning_rate/curves.csv").read_text().splitlines()
    assert curves[0] == "series,epoch,val_loss_mean,val_acc_mean" and len(curves) == 1 + 3 * 2
    bn = summary(repo, "mlp_batchnorm")
    assert list(bn["arms"]) == ["base", "batchnorm", "standardised"]
    assert len(bn["verdicts"]["accuracy"]) == 3 and set(bn["gain_over_base"]) == {
        "batchnorm",
        "standardised",
    }
    sizes = summary(repo, "mlp_batch_size")
    runs = sizes["runs"]
    assert runs["base: batch 1"]["iterations_per_epoch"] == ROWS
    assert runs["base: batch 16"]["iterations_per_epoch"] == ROWS // 16
    assert runs["base: batch 1"]["batchnorm_mode"] is None  # the handout's model: no batch norm
    assert runs["batchnorm: batch 1"]["batchnorm_mode"] == "running statistics (eval mode)"
    assert runs["base: batch 1024"]["iterations_per_epoch"] == ROWS // 1024
    # Windows of 1,024 samples: 1 per 1,024 batches of 1 and per batch of 1,024.
    assert runs["base: batch 1"]["windows"] == ROWS // 1024
    assert runs["base: batch 1024"]["windows"] == 2 * (ROWS // 1024)
    assert runs["base: batch 16"]["loss_noise"]["n"] == 2  # 2 x 125 // 64 = 3 windows
    assert runs["base: batch 16"]["batch_loss_noise"]["n"] == 2
    curve = (repo / "plots/mlp_batch_size/batch_loss.csv").read_text().splitlines()
    assert curve[0] == "series,samples,loss_mean"
    assert {line.split(",")[1] for line in curve[1:]} <= {str(1024 * k) for k in range(1, 10)}
    val_acc = (repo / "plots/mlp_batch_size/val_acc.csv").read_text().splitlines()
    # batch 1 trains 1 epoch, the others 2: no row (a gap, not a 0) after batch 1's last epoch
    assert [line.split(",")[:2] for line in val_acc[1:]].count(["base: batch 1", "2"]) == 0
    assert len(val_acc) == 1 + 2 * (1 + 2 + 2 + 2)  # two arms; epochs of batch 1, 16, 128, 1024
    stability = (repo / "plots/mlp_batch_size/stability.csv").read_text().splitlines()
    assert (
        stability[0].startswith("series,batch_size,window_noise_mean") and len(stability) == 1 + 8
    )
    # Noise: each step to the next batch size paired by seed; batch norm at batch 1 (running
    # statistics) left out of its arm's steps.
    noise = sizes["verdicts"]["noise"]
    assert list(noise["base"]["loss_noise"]) == ["batch 16 vs 1", "batch 128 vs 16",
                                                 "batch 1024 vs 128"]  # fmt: skip
    assert list(noise["batchnorm"]["batch_loss_noise"]) == ["batch 128 vs 16", "batch 1024 vs 128"]
    assert len(runs["base: batch 16"]["loss_noise"]["per_seed"]) == len(SEEDS)
    # The batch-norm probe: batch norm at batch 16 with a lower rate, and at 128 in groups
    # of 16; one Holm family of three and a cause from its rule.
    probe = sizes["verdicts"]["probe"]
    assert set(sizes["probes"]) == {"batchnorm: batch 16, lr 0.0001",
                                    "batchnorm: batch 128, groups of 16"}  # fmt: skip
    assert [t["family"] for t in probe["tests"].values()] == [3, 3, 3]
    assert probe["cause"] in ("the step", "the statistics", "both", "not resolved")
    from mlpcnn.report.optimisation import cause_text

    report = (repo / "report/REPORT.md").read_text()
    assert cause_text(probe) in report  # the report says the cause the summary holds


def test_plots_render_and_follow_params(repo: Path) -> None:
    """Every top-level plots entry yields data, coloured by the runs the params asked for."""
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

    def series(plot: str) -> set[str]:
        return {row["series"] for row in shown[plot][0]["content"]["data"]["values"]}

    assert series("mlp_learning_rate_val_loss") == {"lr 0.01", "lr 0.001", "lr 0.0012"}
    assert series("mlp_grid_val_acc") == set(CELLS)
    assert series("encoding_sweep_val_acc") == set(SETTINGS)
    assert series("mlp_batch_size_val_acc") == {
        f"{arm}: batch {b}" for arm in ("base", "batchnorm") for b in (1, 16, 128, 1024)
    }
    assert series("mlp_batch_size_stability") == {"base", "batchnorm"}
    assert series("mlp_batchnorm_val_acc") == {"base", "batchnorm", "standardised"}
    strategies = yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]["strategies"]
    assert series("error_analysis_test_acc") <= set(strategies)
    spec = shown["mlp_learning_rate_val_loss"][0]["content"]
    assert spec["encoding"]["color"]["field"] == "series"


def test_plots_page_loads_no_remote_script(repo: Path, tmp_path: Path) -> None:
    dvc(repo, "plots", "show", "-o", str(tmp_path / "page"))
    page = (tmp_path / "page" / "index.html").read_text()
    from mlpcnn.common.offline_plots import remote_scripts

    assert remote_scripts(page) == [] and "vegaEmbed(" in page and "cdn.jsdelivr" not in page


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
def test_every_chart_draws_offline_in_a_headless_browser(repo: Path, tmp_path: Path) -> None:
    dvc(repo, "plots", "show", "-o", str(tmp_path / "page"))
    page = tmp_path / "page" / "index.html"
    charts = page.read_text().count("vegaEmbed(")
    dom = sh(
        repo, "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000", page.as_uri(),
    ).stdout  # fmt: skip
    assert charts > 10 and dom.count('class="marks"') == charts, (charts, dom.count("marks"))


def out_of_date(repo: Path) -> dict:
    """``dvc status``, less faces_backbone: it looks at the torch hub cache, which DVC
    cannot see, so DVC calls it always changed; it reruns in a second and its record
    (what the faces stages depend on) only changes with the backbone."""
    status = json.loads(dvc(repo, "status", "--json").stdout)
    assert status.pop("faces_backbone", None) in (None, ["always changed"])
    return status


def ran_stages(out: str) -> list[str]:
    return sorted(x.split("'")[1] for x in out.splitlines() if x.startswith("Running stage"))


def test_nothing_changed_means_nothing_reruns(repo: Path) -> None:
    """What a second `dvc repro` would run: faces_backbone only (always changed). That its
    rerun rewrites the same record, so nothing after it reruns, the full `dvc repro` in
    test_changing_params shows."""
    assert ran_stages(dvc(repo, "repro", "--dry").stdout) == ["faces_backbone"]


def test_a_new_backbone_in_the_hub_cache_reruns_the_faces_stages(
    repo: Path, tmp_path: Path
) -> None:
    """auto takes ResNet18 once its weights file is in the hub cache: no network, and the
    record changes, so every stage that reads it is out of date."""
    from mlpcnn.faces.backbones import resnet18_weights_file

    hub = tmp_path / "torch" / "hub"
    weights = hub / "checkpoints" / resnet18_weights_file().name
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"stand-in for the ResNet18 weights")
    before = (repo / "plots/faces_backbone/summary.json").read_text()
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch")}
    try:
        subprocess.run([sys.executable, "pipeline/faces_backbone.py"], cwd=repo, env=env,
                       check=True, capture_output=True)  # fmt: skip
        record = summary(repo, "faces_backbone")
        assert record["backbone"] == "resnet18" and record["requested"] == "auto"
        strategies = yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]["strategies"]
        stale = set(json.loads(dvc(repo, "status", "--json").stdout)) - {"faces_backbone"}
        # the report reads the record too (its plots/ dependency)
        assert stale == {"prepare_faces", "report"} | {f"deepfake@{s}" for s in strategies}
    finally:
        (repo / "plots/faces_backbone/summary.json").write_text(before)


def test_editing_the_faces_library_leaves_every_cities_stage_up_to_date(repo: Path) -> None:
    library = repo / "src/mlpcnn/faces/data.py"
    original = library.read_text()
    library.write_text(original + "\n# an edit\n")
    try:
        status = json.loads(dvc(repo, "status", "--json").stdout)
    finally:
        library.write_text(original)
    assert set(status) == {"faces_backbone", "prepare_faces", "error_analysis"} | {
        f"deepfake@{s}" for s in yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]["strategies"]}  # fmt: skip


def test_the_top_level_seed_makes_only_its_readers_stale(repo: Path) -> None:
    """A stage that never reads the shared ``seed`` does not list it: changing it leaves
    every stage but its reader (prepare_cities) up to date."""
    set_params(repo, lambda p: p.update(seed=1) or p)
    try:
        stale = set(out_of_date(repo))
    finally:
        set_params(repo, lambda p: p.update(seed=0) or p)
    assert stale == {"prepare_cities"}


def test_a_fresh_clone_with_changed_params_reruns_only_what_they_and_git_leave_stale(
    finished_copy: Path,
) -> None:
    """Changing a stage's section, or one grid cell (a foreach item), leaves that stage,
    what reads it (mlp_select) and the report out of date, nothing else. A clone has
    every committed output but none of DVC's cache: with the cell's change kept, one
    `dvc repro` rebuilds the two prepared arrays byte for byte (nothing that reads them
    reruns for that) and reruns the cell and what follows; every other committed output
    stays as it was and everything is then up to date. (One DVC run for both checks.)"""
    repo = finished_copy
    original = yaml.safe_load((repo / "params.yaml").read_text())["mlp_epochs"]
    set_params(repo, lambda p: p["mlp_epochs"].update(epochs=2) or p)
    set_params(repo, lambda p: p["mlp_grid"]["cells"]["d1_w16"].update(epochs=1) or p)
    stale = set(out_of_date(repo))
    assert stale == {"mlp_epochs", "mlp_grid@d1_w16", "mlp_select", "report"}
    set_params(repo, lambda p: p.update({"mlp_epochs": original}) or p)

    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    rerun = ("mlp_grid@d1_w16", "mlp_select", "report")
    may_change = {repo / out["path"] for stage in rerun for out in lock[stage]["outs"]}
    arrays = {p: p.read_bytes() for p in (repo / "data/prepared").rglob("*") if p.is_file()}
    shutil.rmtree(repo / ".dvc/cache")
    shutil.rmtree(repo / "data/prepared")
    committed = {p: p.read_bytes() for d in ("metrics", "plots", "models", "report")
                 for p in (repo / d).rglob("*") if p.is_file()}  # fmt: skip
    report_before = sections((repo / "report/REPORT.md").read_text())
    out = dvc(repo, "repro").stdout
    assert ran_stages(out) == sorted(
        ["faces_backbone", "prepare_cities", "prepare_faces", *rerun]
    ), out
    assert {p: p.read_bytes() for p in arrays} == arrays  # the prepared arrays, byte for byte
    changed = {p for p, b in committed.items() if p.read_bytes() != b}
    assert changed <= may_change, sorted(str(p.relative_to(repo)) for p in changed - may_change)
    assert out_of_date(repo) == {}

    report_after = sections((repo / "report/REPORT.md").read_text())
    changed = [title for title in report_before if report_before[title] != report_after[title]]
    assert "## 6.2 Q1-Q4: depth and width" in changed
    # The headline table at the top holds the grid's best and worst cells; the appendix
    # the stage times.
    assert set(changed) <= {"header", "## Results at a glance", "## 6.2 Q1-Q4: depth and width",
                            "## Appendix: the run"}  # fmt: skip
    assert summary(repo, "mlp_grid/d1_w16")["epochs"] == 1
    assert len((repo / "plots/mlp_grid/d1_w16/history.csv").read_text().splitlines()) == 1 + 2


def sections(report: str) -> dict[str, str]:
    parts, title = {"header": []}, "header"
    for line in report.splitlines():
        if line.startswith("## "):
            title = line
            parts[title] = []
        parts[title].append(line)
    return {title: "\n".join(lines) for title, lines in parts.items()}


def test_every_stage_writes_the_verdicts_the_report_prints(repo: Path) -> None:
    """One truth: each stage's summary holds the verdicts of mlpcnn.verdicts' rule applied
    to the history it wrote, exactly what the report would compute from that history, and
    the report prints what the summaries hold (it reads them)."""
    from mlpcnn.common.io import json_safe
    from mlpcnn.report import answers
    from mlpcnn.report.study import Study
    from mlpcnn.verdicts import cities as rules
    from mlpcnn.verdicts.curves import RULE, classify_run

    history = {s: pd.read_csv(repo / f"plots/{s}/history.csv") for s in
               ("mlp_learning_rate", "mlp_epochs", "mlp_batchnorm", "mlp_batch_size",
                "residual_study", "implicit_encoding", "gradient_study")}  # fmt: skip
    prior = summary(repo, "mlp_learning_rate")["class_prior_val_loss"]
    select, sweep = summary(repo, "mlp_select"), summary(repo, "encoding_summary")
    grid = {c: pd.read_csv(repo / f"plots/mlp_grid/{c}/history.csv") for c in select["cells"]}
    reach = {a: r["epochs_to_threshold"] for a, r in summary(repo, "mlp_batchnorm")["arms"].items()}
    control = summary(repo, "residual_study")["control"]
    expected = {
        "mlp_learning_rate": rules.learning_rate(history["mlp_learning_rate"], prior, RULE),
        "mlp_epochs": classify_run(history["mlp_epochs"], prior, RULE),
        "mlp_batchnorm": rules.batchnorm(history["mlp_batchnorm"], reach, prior, RULE),
        "mlp_batch_size": rules.batch_size(
            history["mlp_batch_size"], prior, RULE, summary(repo, "mlp_batch_size")["runs"],
            pd.read_csv(repo / "plots/mlp_batch_size/probes.csv"),
        ),
        "mlp_select": rules.grid(grid, select["cells"], select["nearest_neighbour"]["val_acc"],
                                 select["fit_margin"], prior, RULE),
        "residual_study": rules.residual_study(history["residual_study"],
                                               history["gradient_study"], control, prior, RULE),
        "implicit_encoding": rules.implicit(history["implicit_encoding"]),
        "encoding_summary": rules.encodings_versus_nearest(sweep["settings"], sweep["alpha"]),
    }  # fmt: skip
    written = {stage: summary(repo, stage)["verdicts"] for stage in expected}
    for stage, verdicts in expected.items():
        assert written[stage] == json.loads(json.dumps(json_safe(verdicts))), stage
    study = Study(written and {stage: summary(repo, stage) for stage in expected})
    assert answers.learning_rate(study) == written["mlp_learning_rate"]
    assert answers.grid(study) == written["mlp_select"]
    assert answers.ablation(study) == written["residual_study"]["ablation"]
    report = (repo / "report/REPORT.md").read_text()
    for cell, fit in written["mlp_select"]["fit"].items():
        assert f"| {cell} |" in report and fit in report


def test_report_covers_every_section(repo: Path) -> None:
    report = (repo / "report/REPORT.md").read_text()
    titles = [t for t in sections(report) if t != "header"]
    assert titles == ["## Findings", "## Results at a glance", "## Data", "## 6.1 Q1: learning rate", "## 6.1 Q2: epochs", "## 6.1 Q3: batch norm",
                      "## 6.1 Q4: batch size", "## 6.2 Q1-Q4: depth and width",
                      f"## 6.2 Q5-Q6: gradients of a {DEEP}-layer network", "## 6.2 Q7: implicit (sine) encoding",
                      "## 7.4: deepfake baselines", "## 7.6: error analysis",
                      "## Appendix: the run"]  # fmt: skip
    assert "are missing" not in report and "is not in this run" not in report
    from mlpcnn.report.readability import measure

    assert measure(report).problems() == []  # DESIGN.md's limits hold on any run's report
    assert "**standin**: a synthetic stand-in" in report
    for link in [
        line.split("](")[1].rstrip(")") for line in report.splitlines() if line.startswith("![")
    ]:
        assert (repo / "report" / link).resolve().is_file(), link


def test_grid_and_selection(repo: Path) -> None:
    cells = yaml.safe_load((repo / "params.yaml").read_text())["mlp_grid"]["cells"]
    for cell in cells:
        details = summary(repo, f"mlp_grid/{cell}")
        assert details["seeds"] == SEEDS and len(details["final_val_acc_per_seed"]) == 2
        assert {"val_acc_mean", "val_acc_low", "val_acc_high", "test_acc_mean"} <= set(details)
        assert (repo / f"models/mlp_grid/{cell}.pt").exists()
    select = summary(repo, "mlp_select")
    assert select["best"]["cell"] in cells and select["worst"]["cell"] in cells
    assert select["best"]["val_acc_mean"] >= select["worst"]["val_acc_mean"]
    assert set(select["verdicts"]["fit"]) == set(cells) and "Holm" in select["verdicts"]["fit_rule"]
    assert 0.9 < select["nearest_neighbour"]["val_acc"] <= 1
    assert list(select["cells"]) == list(cells)
    assert len(select["verdicts"]["versus"]) == 2  # the best cell against each other
    depth = (repo / "plots/mlp_select/depth.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in depth[1:]] == ["d1_w16", "d6_w16"]
    for png in ("depth_width", "best_worst_curves", "boundaries"):
        assert (repo / f"plots/mlp_select/{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_deep_network_studies(repo: Path) -> None:
    plain, fixes = summary(repo, "gradient_study"), summary(repo, "residual_study")
    assert set(plain["last_epoch"]) == {f"layer_{i}" for i in (0, 20, DEEP - 1)}
    assert "bias not included" in plain["magnitude"]
    assert plain["seeds"] == [0, 1, 2] and plain["representative_seed"] in plain["seeds"]
    assert 0 <= plain["seeds_with_dead_layer"]["init"] <= 1 and plain["simulation"]["seeds"] == 10
    per_seed = (repo / "plots/gradient_study/per_seed.csv").read_text().splitlines()
    assert (
        per_seed[0].startswith("seed,topmost_dead_init,topmost_dead_final") and len(per_seed) == 4
    )
    params = yaml.safe_load((repo / "params.yaml").read_text())["residual_study"]
    assert set(fixes["arms"]) == set(params["arms"]) | set(params["controls"])  # every arm ran
    for name, arm in fixes["arms"].items():
        assert len(arm["val_acc"]) == 3 and len(arm["span_per_epoch"]) == 2, name
        assert (
            arm["table"]["val_acc_low"]
            <= arm["table"]["val_acc_mean"]
            <= arm["table"]["val_acc_high"]
        )
    assert fixes["arms"]["shallow"]["hidden_layers"] == 6 and fixes["best_fix"] in params["arms"]
    header = (repo / "plots/residual_study/gradients.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch"] + [f"layer_{i}" for i in range(DEEP)]
    layers = (repo / "plots/residual_study/layers.csv").read_text().splitlines()
    assert layers[0] == "series,epoch,magnitude,zero"
    ratios = (repo / "plots/residual_study/ratios.csv").read_text().splitlines()
    assert ratios[0] == "series,layer,log10_ratio" and len(ratios) == 1 + DEEP * len(params["arms"])
    for png in ("gradient_study/gradients", "gradient_study/profile", "gradient_study/topmost_dead",
                "residual_study/fixes", "residual_study/comparison"):  # fmt: skip
        assert (repo / f"plots/{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_implicit_encoding_and_sweep(repo: Path) -> None:
    implicit = summary(repo, "implicit_encoding")
    assert implicit["seeds"] == [0, 1] and len(implicit["frequencies"]) == 10
    assert {"val_acc_mean", "val_acc_std"} <= set(implicit["sine"]) and "raw" in implicit
    assert implicit["difference_sine_minus_raw"]["val_acc"] == pytest.approx(
        implicit["sine"]["val_acc_mean"] - implicit["raw"]["val_acc_mean"]
    )
    result = summary(repo, "encoding_summary")
    settings = yaml.safe_load((repo / "params.yaml").read_text())["encoding_sweep"]["settings"]
    assert result["best_setting"] in settings and "goal_met" not in result
    assert set(result["verdicts"]["settings"]) == set(settings)
    assert result["nearest_neighbour"]["val_acc"] > 0.9
    sweep = (repo / "plots/encoding_summary/sweep.csv").read_text().splitlines()
    assert len(sweep) == 1 + len(settings)
    raw = summary(repo, "encoding_sweep/raw")
    assert raw["features"] == 2 and raw["highest_frequency_used"] == 0
    paired = raw["versus_nearest_neighbour"]
    assert set(paired["per_seed"]) == {"0", "1"} and paired["per_seed"]["0"]["n"] == ROWS
    # The paired test's counts agree with the accuracies: a_only - b_only = N x difference.
    test = paired["per_seed"]["0"]
    difference = raw["test_acc_per_seed"][0] - paired["nearest_neighbour_test_acc"]
    assert test["a_only"] - test["b_only"] == round(ROWS * difference)


STANDIN_OUTPUTS = ("dvc.lock", "data/prepared/faces.npz", "plots/prepare_faces/summary.json",
                   "plots/prepare_faces/samples.png", "plots/prepare_faces/spectrum.png",
                   "plots/prepare_faces/spectrum.csv")  # fmt: skip


def course_fixture(folder: Path, per_class: int = 2) -> None:
    """A tiny course folder: ``per_class`` images per class and split."""
    from PIL import Image

    for split in ("train", "val", "test"):
        for label, name in enumerate(("0_real", "1_fake")):
            (folder / split / name).mkdir(parents=True)
            for i in range(per_class):
                Image.new("RGB", (40, 40), (100 * label, i, 50)).save(
                    folder / split / name / f"{i}.jpg"
                )


def test_faces_standin_then_course_folder(repo: Path, tmp_path: Path) -> None:
    from PIL import Image

    standin = summary(repo, "prepare_faces")
    assert standin["dataset"] == "standin"
    assert standin["backbone"] == summary(repo, "faces_backbone")["backbone"]
    assert standin["counts"]["test"] == {"0_real": 3, "1_fake": 3}
    # The stand-in's outputs, put back afterwards (as a rerun would write them, faster).
    saved = tmp_path / "standin"
    for name in STANDIN_OUTPUTS:
        (saved / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, saved / name)
    course = repo / "data/raw/whichfaceisreal"
    course_fixture(course)
    for split in ("train", "val", "test"):
        for name in ("0_real", "1_fake"):
            (course / split / name / "._1.jpg").write_bytes(b"\x00\x05\x16\x07")  # macOS
    (course / "val" / "1_fake" / "more").mkdir()
    Image.new("RGB", (40, 40), (9, 9, 9)).save(course / "val" / "1_fake" / "more" / "9.jpg")
    try:
        sh(repo, sys.executable, "pipeline/prepare_faces.py")  # the stage, without DVC
        details = summary(repo, "prepare_faces")
        assert details["dataset"] == "course"
        assert details["counts"]["val"] == {"0_real": 2, "1_fake": 3}
        assert details["skipped_hidden"] == 6 and details["nested_images"] == 1
    finally:
        for split in ("train", "val", "test"):
            shutil.rmtree(course / split)
        for name in STANDIN_OUTPUTS:
            shutil.copy2(saved / name, repo / name)
    assert summary(repo, "prepare_faces")["dataset"] == "standin"
    assert out_of_date(repo) == {}


def test_a_queued_experiment_sees_the_course_images_that_dvc_tracks(own_repo: Path) -> None:
    """The README's way in: `dvc add` of the three split folders, committed; then a
    queued experiment (a temporary copy of the repository) reads the course images, says
    so and records it, where a git-ignored folder would leave it the stand-in."""
    repo = own_repo
    shutil.copy2(ROOT / ".gitignore", repo / ".gitignore")
    (repo / ".dvc/.gitignore").write_text("/config.local\n/tmp\n/cache\n")
    dvc(repo, "config", "--unset", "core.no_scm")
    sh(repo, "git", "init", "-q")
    sh(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
       "-m", "empty")  # fmt: skip
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "run")
    course = repo / "data/raw/whichfaceisreal"
    course_fixture(course)
    dvc(repo, "add", *(f"data/raw/whichfaceisreal/{s}" for s in ("train", "val", "test")))
    sh(repo, "git", "add", "data/raw/whichfaceisreal")
    staged = sh(repo, "git", "diff", "--cached", "--name-only").stdout.split()
    assert sorted(staged) == [f"data/raw/whichfaceisreal/{s}.dvc" for s in ("test", "train", "val")]
    sh(repo, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "course")

    dvc(repo, "exp", "run", "--queue", "prepare_faces")
    dvc(repo, "queue", "start", "-j", "1")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = dvc(repo, "queue", "status").stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(2)
    assert "Success" in status, (
        status + dvc(repo, "queue", "logs", status.split()[4], check=False).stdout
    )
    refs = sh(repo, "git", "for-each-ref", "--format=%(refname)", "refs/exps").stdout.split()
    assert len(refs) == 1, refs
    details = json.loads(
        sh(repo, "git", "show", f"{refs[0]}:plots/prepare_faces/summary.json").stdout
    )
    assert details["dataset"] == "course"
    assert details["counts"]["test"] == {"0_real": 2, "1_fake": 2}
    assert summary(repo, "prepare_faces")["dataset"] == "standin"  # the workspace: untouched

    shutil.rmtree(course / "train")  # a clone with the .dvc files but not the images
    done = run_stage(repo, "prepare_faces")
    assert done.returncode != 0
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "data/raw/whichfaceisreal/train: tracked by DVC (train.dvc) but not in the workspace: "
            "run `dvc checkout` (or `dvc pull`)"
        )
    ), done.stderr


def test_deepfake_baselines_and_error_analysis(repo: Path) -> None:
    strategies = yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]["strategies"]
    backbone = summary(repo, "faces_backbone")
    for strategy in strategies:
        details = summary(repo, f"deepfake/{strategy}")
        assert details["dataset"] == "standin" and details["device"] == "cpu"
        uses_backbone = strategy not in ("xgboost", "scratch", "handmade")
        assert details["backbone"] == (backbone if uses_backbone else None)
        assert (details["training"] is None) == (
            strategy in ("xgboost", "sklearn_logreg", "handmade")
        )
        for run in details["runs"].values():
            assert run["test_acc_low"] <= run["test_acc"] <= run["test_acc_high"]
            assert run["test_n"] == 6 and (run["test_auc"] is None or 0 <= run["test_auc"] <= 1)
            assert isinstance(run["constant"], bool)
        seeds = details["chosen_over_seeds"]
        assert seeds["seeds"] == [0, 1] and seeds["test_acc"]["n"] == 2
        assert details["per_seed"]["values"]["test_acc_mean"] == [
            s["test_acc"] for s in seeds["per_seed"]]  # fmt: skip
        probs = (repo / f"plots/deepfake/{strategy}/test_probs.csv").read_text().splitlines()
        chosen = details["best_run_by_val_acc"]
        assert probs[0].startswith("file,label,") and len(probs) == 1 + 6
        assert probs[0].endswith(f",{chosen} seed 1")  # the chosen rate with the second seed
        assert details["precision"] in ("float32", "bfloat16")
        assert set(details["versions"]) == {"numpy", "scikit-learn", "xgboost"}
        assert all(details["versions"].values()), details["versions"]
    assert "reused by every run" in summary(repo, "deepfake/linear_probe")["notes"]["features"]
    assert "converged" in summary(repo, "deepfake/sklearn_logreg")["notes"]
    analysis = summary(repo, "error_analysis")
    assert analysis["dataset"] == "standin" and set(analysis["chosen_by_val"]) == set(strategies)
    course = {"xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune"}
    assert {r["baseline"] for r in analysis["q1"]["rows"]} == course
    assert set(analysis["ranking"]) == course
    assert len(analysis["comparisons"]) == 10  # every pair of the five, one Holm family
    assert all(c["family"] == 10 and c["p_holm"] >= c["p_value"] for c in analysis["comparisons"])
    first = analysis["q2"][0]
    assert first["best"]["baseline"] == analysis["ranking"][0]
    assert first["worst"]["baseline"] == analysis["ranking"][-1]
    constant = {b: analysis["baselines"][b]["constant"] for b in analysis["ranking"]}
    assert [(q["best"]["baseline"], q["worst"]["baseline"]) for q in analysis["q2"]] == q2_pairs(
        analysis["ranking"], constant)  # fmt: skip
    for q2 in analysis["q2"]:
        assert len(q2["shown_files"]) == min(5, q2["candidates"])
        assert q2["fewer_than_five"] == (len(q2["shown_files"]) < 5)
    for png in ("test_acc_vs_lr", "best_right_worst_wrong"):
        assert (repo / f"plots/error_analysis/{png}.png").read_bytes()[:4] == b"\x89PNG"
    report = sections((repo / "report/REPORT.md").read_text())["## 7.4: deepfake baselines"]
    reference = report.index("### Reference (course data)")
    assert "85.00%" in report[reference:] and "85.00%" not in report[:reference]


def test_deepfake_stages_run_on_the_device_params_name(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert summary(repo, "deepfake/scratch")["precision"] in ("float32", "bfloat16")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: asking for it is no error here")
    set_params(repo, lambda p: p.update(device="cuda") or p)
    try:
        message = param_error(repo, monkeypatch, "deepfake", "scratch")
    finally:
        set_params(repo, lambda p: p.update(device="cpu") or p)
    assert message == (
        "params.yaml: device: 'cuda' was asked for but CUDA is not available on this machine"
    )


def test_a_bad_worker_count_is_one_line_before_training(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPCNN_WORKERS", "two")
    done = run_stage(repo, "mlp_batchnorm")
    assert done.returncode == 1
    assert done.stderr == (
        "error: environment variable MLPCNN_WORKERS: expected a positive integer or 'auto', "
        "got 'two'\n"
    )


def test_same_params_reproduce_the_same_metrics(
    own_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eager training of replicas and XGBoost alike (the timing sections aside, which are
    wall times; a CNN's rerun is test_deepfake's), and runs in worker processes as in the
    calling one: the pipeline ran with one worker, mlp_batchnorm's arms rerun in two.
    Exact: one machine, the same shapes, each run on one thread in either process. The
    stages rerun in this process (no start-up cost), in a copy of the run: their new
    timings leave them out of date."""
    repo = own_repo
    # One stage per kind of training (the compiled step's determinism is a unit test).
    stages = ("mlp_epochs", "deepfake/xgboost", "mlp_batchnorm")
    monkeypatch.setenv("MLPCNN_WORKERS", "2")

    def without_timing() -> dict:
        details = {s: summary(repo, s) for s in stages}
        return {s: {k: v for k, v in m.items() if k != "timing"} for s, m in details.items()}

    first = without_timing()
    monkeypatch.chdir(repo)
    for stage in stages:
        script, *item = stage.split("/")
        monkeypatch.setattr(sys, "argv", [f"pipeline/{script}.py", *item])
        importlib.import_module(script).main()
    assert without_timing() == first


def run_stage(repo: Path, stage: str, *args: str) -> subprocess.CompletedProcess:
    return sh(repo, sys.executable, f"pipeline/{stage}.py", *args, check=False)


def param_error(repo: Path, monkeypatch: pytest.MonkeyPatch, stage: str, *args: str) -> str:
    """The stage's ``main()`` run in this process (no start-up cost): its ParamError,
    raised before any training step (a backward pass fails the test) and before any
    output is written (every file under the outputs' folders keeps its time)."""
    from stage_shared import ParamError

    def trained(*_args, **_kwargs):
        raise AssertionError(f"{stage} started training before checking its params")

    folders = [repo / d for d in ("metrics", "plots", "models")]
    before = {p: p.stat().st_mtime_ns for d in folders for p in d.rglob("*") if p.is_file()}
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", [f"pipeline/{stage}.py", *args])
    monkeypatch.setattr(torch.Tensor, "backward", trained)
    with pytest.raises(ParamError) as caught:
        importlib.import_module(stage).main()
    after = {p: p.stat().st_mtime_ns for d in folders for p in d.rglob("*") if p.is_file()}
    assert after == before, [str(p) for p in after if before.get(p) != after[p]]
    return str(caught.value)


@pytest.mark.parametrize(
    ("stage", "edit", "message"),
    [
        ("mlp_epochs", {"lr": -0.1}, "mlp_epochs.lr: expected a positive number, got -0.1"),
        ("mlp_epochs", {"batchsize": 64}, "mlp_epochs.batchsize: unknown key (known: batch_size, batchnorm, compile, depth, drop_last, epochs, flush_denormal, lr, lr_schedule, optimizer, seeds, width)"),
        ("mlp_learning_rate", {"lrs": [0.01, 0]}, "mlp_learning_rate.lrs[1]: expected a positive number, got 0"),
        ("mlp_learning_rate", {"lrs": [0.01, 0.01]}, "mlp_learning_rate.lrs: expected distinct values, got 0.01 twice in [0.01, 0.01]"),
        ("mlp_batchnorm", {"epochs": 0}, "mlp_batchnorm.epochs: expected a positive integer, got 0"),
        ("mlp_batchnorm", {"optimizer": "adamax"}, "mlp_batchnorm.optimizer: expected one of ['adam', 'sgd'], got 'adamax'"),
        ("mlp_batch_size", {"runs": [{"batch_size": 0, "epochs": 1}]}, "mlp_batch_size.runs[0].batch_size: expected a positive integer, got 0"),
        ("mlp_batch_size", {"runs": [{"batch_size": 8, "epochs": 1}, {"batch_size": 5000, "epochs": 1}]}, "mlp_batch_size.runs[1].batch_size: expected at most the training set size 2000, got 5000"),
        ("mlp_batch_size", {"runs": [{"batch_size": 8, "epoch": 1}]}, "mlp_batch_size.runs[0].epoch: unknown key (known: batch_size, epochs)"),
        ("mlp_batch_size", {"samples_per_point": 1000}, "mlp_batch_size.samples_per_point: expected a multiple of every batch size, got 1000 for batch size 16"),
        ("mlp_batch_size", {"noise_tail": 0}, "mlp_batch_size.noise_tail: expected a fraction in (0, 1], got 0"),
        ("mlp_batch_size", {"batchnorm_probe": {"batch_size": 16, "lr": 0.0001, "groups_at": 64}}, "mlp_batch_size.batchnorm_probe.groups_at: expected one of the runs' batch sizes [1, 16, 128, 1024], got 64"),
        ("mlp_batch_size", {"batchnorm_probe": {"batch_size": 16, "rate": 0.0001, "groups_at": 128}}, "mlp_batch_size.batchnorm_probe.rate: unknown key (known: batch_size, groups_at, lr)"),
        ("mlp_batch_size", {"batchnorm_probe": {"batch_size": 16, "lr": 0, "groups_at": 128}}, "mlp_batch_size.batchnorm_probe.lr: expected a positive number, got 0"),
        ("mlp_batch_size", {"batchnorm_probe": {"batch_size": 128, "lr": 0.0001, "groups_at": 16}}, "mlp_batch_size.batchnorm_probe.groups_at: expected a larger multiple of batch_size 128, got 16"),
        ("mlp_batch_size", {"batchnorm_probe": {"batch_size": 16, "lr": 0.01, "groups_at": 128}}, "mlp_batch_size.batchnorm_probe.lr: expected a rate below the runs' 0.001, got 0.01"),
        ("mlp_batch_size", {"arms": {"base": {"batchnorm": False, "bn": True}}}, "mlp_batch_size.arms.base.bn: unknown key (known: batchnorm)"),
        ("mlp_batchnorm", {"arms": {"base": {"standardize": True}}}, "mlp_batchnorm.arms.base.standardize: unknown key (known: batchnorm, standardise)"),
        ("mlp_batchnorm", {"base_arm": "plain"}, "mlp_batchnorm.base_arm: expected one of ['base', 'batchnorm', 'standardised'], got 'plain'"),
        ("implicit_encoding", {"seeds": [0, 0]}, "implicit_encoding.seeds: expected a non-empty list of distinct integers, got [0, 0]"),
        ("mlp_select", {"fit_margin": 0}, "mlp_select.fit_margin: expected a fraction in (0, 1], got 0"),
        ("prepare_faces", {"xgboost_input": "crop"}, "prepare_faces.xgboost_input: expected one of resize, centre_crop, got 'crop'"),
    ],
)  # fmt: skip
def test_bad_param_fails_before_training_naming_the_key(
    repo: Path, monkeypatch: pytest.MonkeyPatch, stage, edit, message
) -> None:
    original = yaml.safe_load((repo / "params.yaml").read_text())[stage]
    set_params(repo, lambda p: p[stage].update(edit) or p)
    try:
        assert param_error(repo, monkeypatch, stage) == f"params.yaml: {message}"
    finally:
        set_params(repo, lambda p: p.update({stage: original}) or p)


@pytest.mark.parametrize(
    ("section", "item", "edit", "message"),
    [
        ("encoding_sweep", "rff_f2", {"seeds": [1, 1]}, "encoding_sweep.settings.rff_f2.seeds: expected a non-empty list of distinct integers, got [1, 1]"),
        ("encoding_sweep", "raw", {"features": 16}, "encoding_sweep.settings.raw.features: not used by kind 'raw'; remove it"),
        ("encoding_sweep", "rff_f2", {"max_freq": 2}, "encoding_sweep.settings.rff_f2.max_freq: unknown key (known: batch_size, batchnorm, compile, depth, drop_last, encoding_seed, epochs, features, flush_denormal, kind, lr, lr_schedule, max_frequency, optimizer, seeds, width)"),
        ("deepfake", "scratch", {"lrs": [0.001, 0.001]}, "deepfake.strategies.scratch.lrs: expected distinct values, got 0.001 twice in [0.001, 0.001]"),
        ("deepfake", "sklearn_logreg", {"lrs": [0.1]}, "deepfake.strategies.sklearn_logreg.lrs: unknown key (known: max_iter, seeds)"),
        ("deepfake", "scratch", {"diagnosis_steps": 0}, "deepfake.strategies.scratch.diagnosis_steps: expected a positive integer, got 0"),
        ("deepfake", "finetune", {"diagnosis_steps": 9}, "deepfake.strategies.finetune.diagnosis_steps: unknown key (known: augment, batch_size, epochs, lrs, schedule, seeds)"),
        ("deepfake", "finetune", {"schedule": "step"}, "deepfake.strategies.finetune.schedule: expected one of constant, cosine, got 'step'"),
        ("deepfake", "handmade", {"epochs": 2}, "deepfake.strategies.handmade.epochs: unknown key (known: seeds)"),
        ("deepfake", "finetune", {"seeds": [1, 1]}, "deepfake.strategies.finetune.seeds: expected distinct non-negative integers, got [1, 1]"),
    ],
)  # fmt: skip
def test_bad_foreach_param_fails_naming_the_item(
    repo: Path, monkeypatch: pytest.MonkeyPatch, section, item, edit, message
) -> None:
    items = "settings" if section == "encoding_sweep" else "strategies"
    original = yaml.safe_load((repo / "params.yaml").read_text())[section]
    set_params(repo, lambda p: p[section][items].setdefault(item, {}).update(edit) or p)
    try:
        assert param_error(repo, monkeypatch, section, item) == f"params.yaml: {message}"
    finally:
        set_params(repo, lambda p: p.update({section: original}) or p)


def test_a_bad_cpu_autocast_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = yaml.safe_load((repo / "params.yaml").read_text())["deepfake"]
    set_params(repo, lambda p: p["deepfake"].update(cpu_autocast="bf16") or p)
    try:
        assert param_error(repo, monkeypatch, "deepfake", "xgboost") == (
            "params.yaml: deepfake.cpu_autocast: expected one of auto, bfloat16, off, got 'bf16'"
        )
    finally:
        set_params(repo, lambda p: p.update({"deepfake": original}) or p)


def test_a_yaml_syntax_error_is_one_line_with_its_place(repo: Path) -> None:
    path = repo / "params.yaml"
    original = path.read_text()
    path.write_text(original.replace("mlp_epochs:\n", "mlp_epochs:\n  depth: [6\n", 1))
    try:
        failed = run_stage(repo, "mlp_epochs")
    finally:
        path.write_text(original)
    assert failed.returncode == 1  # one line on stderr, no traceback
    line = failed.stderr.strip()
    assert "\n" not in line and line.startswith("error: params.yaml:") and "invalid YAML" in line


def test_verdicts_survive_a_rerun_on_another_machine(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """6.1 Q1's verdicts from two reruns that differ as two machines and two draws do
    (thread count, seed list): a comparison one run calls distinguishable with a wide
    margin (Holm-adjusted p < 0.01) is called the same way by the other, no two
    verdicts point opposite ways, and the winners agree where their lead is decisive."""
    import torch

    from mlpcnn.report.markdown import difference

    lrs = [0.01, 0.001, 0.00001]
    runs = {}
    for name, seeds, threads in (("a", [0, 1, 2, 3, 4], 2), ("b", [5, 6, 7, 8, 9], 1)):
        where = tmp_path / name
        (where / "data/prepared").mkdir(parents=True)
        shutil.copy2(repo / "data/prepared/cities.npz", where / "data/prepared/cities.npz")
        params = yaml.safe_load((repo / "params.yaml").read_text())
        params["mlp_learning_rate"].update(lrs=lrs, seeds=seeds, epochs=2)
        (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        monkeypatch.chdir(where)
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            importlib.import_module("mlp_learning_rate").main()
        finally:
            torch.set_num_threads(before)
        runs[name] = summary(where, "mlp_learning_rate")["verdicts"]

    def calls(verdicts: dict) -> dict[tuple[str, str], tuple[bool | None, float]]:
        return {
            (criterion, pair): (t["distinguishable"], np.sign(t["difference"]))
            for criterion in ("final", "best")
            for pair, t in verdicts[criterion]["versus"].items()
        }

    a, b = calls(runs["a"]), calls(runs["b"])
    decisive = 0
    for criterion in ("final", "best"):
        for pair, t in runs["a"][criterion]["versus"].items():
            other = runs["b"][criterion]["versus"].get(pair)
            if t["p_holm"] is not None and t["p_holm"] < 0.01:
                decisive += 1
                assert other is not None, (criterion, pair, runs["b"][criterion])
                assert (other["distinguishable"], np.sign(other["difference"])) == a[
                    (criterion, pair)
                ], (pair, difference(other, percent=False), other["p_holm"])
    shared = set(a) & set(b)
    for key in shared:  # never "higher" in one run and "lower" in the other
        if a[key][0] and b[key][0]:
            assert a[key][1] == b[key][1], key
    assert decisive >= 2, runs["a"]  # lr 0.00001 is far behind: the test has teeth


def test_a_stage_without_a_terminal_prints_progress_lines(
    own_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stderr captured (as under `dvc queue logs`, CI, a redirect): no bar, but a first
    line saying what the stage runs on, then lines naming the run, its step and figures
    (every step here: MLPCNN_PROGRESS_SECONDS=0), and one when each run is done."""
    monkeypatch.setenv("MLPCNN_PROGRESS_SECONDS", "0")
    monkeypatch.setenv("MLPCNN_WORKERS", "2")
    done = run_stage(own_repo, "mlp_batchnorm")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "\r" not in done.stderr  # no bar redrawn in place
    assert lines[0].startswith("mlp_batchnorm: device cpu, float32; independent runs on up to 2 ")
    assert "compile cache" in lines[0]
    assert "3 runs on 2 worker processes of one thread" in lines
    steps = 2 * (ROWS // 256)  # 2 epochs
    for run in (1, 2, 3):
        mine = [line for line in lines if line.startswith(f"run {run} of 3: training 2 replicas")]
        assert f"started: 0/{steps} steps" in mine[0] and len(mine) == steps + 2, mine
        assert f"done: {steps}/{steps} steps, epoch 2, val_acc 0." in mine[-1], mine[-1]
        assert "s left" not in mine[1] and "s left" in mine[2]  # a rate after the first step

"""``mlpcnn diff``: the tests on hand-made per-seed figures, and the command on a git repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest, ttest_ind, ttest_rel

from mlpcnn.compare.cli import main
from mlpcnn.compare.tests import (
    MCNEMAR,
    PAIRED,
    WELCH,
    prediction_change,
    seed_change,
    value_change,
    with_verdicts,
)

SEEDS = [0, 1, 2, 3, 4]
OLD = [0.910, 0.915, 0.905, 0.920, 0.912]


def test_a_paired_change_larger_than_the_seeds_is_higher_with_scipys_p() -> None:
    new = [v + d for v, d in zip(OLD, [0.020, 0.025, 0.018, 0.022, 0.021], strict=True)]
    row = seed_change(dict(zip(SEEDS, OLD, strict=True)), dict(zip(SEEDS, new, strict=True)))
    assert row["test"] == PAIRED and row["n"] == 5
    assert row["p_value"] == pytest.approx(ttest_rel(new, OLD).pvalue)
    assert row["difference"] == pytest.approx(0.0212)
    assert row["difference_low"] < 0.0212 < row["difference_high"]
    assert row["old"]["mean"] == pytest.approx(np.mean(OLD))
    [checked] = with_verdicts([row])
    assert checked["verdict"] == "higher" and checked["p_holm"] == checked["p_value"]


def test_noise_alone_is_not_distinguishable_and_identical_runs_are_unchanged() -> None:
    rng = np.random.default_rng(1)
    new = list(np.array(OLD) + rng.normal(0, 0.005, 5))
    row = seed_change(dict(zip(SEEDS, OLD, strict=True)), dict(zip(SEEDS, new, strict=True)))
    same = seed_change(dict(zip(SEEDS, OLD, strict=True)), dict(zip(SEEDS, OLD, strict=True)))
    checked, unchanged = with_verdicts([row, same])
    assert checked["verdict"].startswith("not distinguishable with 5 seeds")
    assert unchanged["verdict"] == "unchanged" and unchanged["p_holm"] is None
    assert checked["family"] == 1  # an unchanged figure is no test and costs the family nothing


def test_seed_sets_decide_the_test() -> None:
    old = dict(zip(SEEDS, OLD, strict=True))
    disjoint = dict(zip([5, 6, 7, 8, 9], [0.95, 0.96, 0.94, 0.95, 0.97], strict=True))
    welch = seed_change(old, disjoint)
    assert welch["test"] == WELCH
    assert welch["p_value"] == pytest.approx(
        ttest_ind(list(disjoint.values()), OLD, equal_var=False).pvalue
    )
    overlapping = seed_change(old, {0: 0.9, 1: 0.9, 7: 0.9})
    assert overlapping["test"] is None and overlapping["note"] == "seed sets differ (2 shared of 6)"
    single = seed_change({0: 0.9}, {0: 0.95})
    assert single["test"] is None and single["note"].startswith("single seed")
    assert with_verdicts([overlapping])[0]["verdict"] == "seed sets differ (2 shared of 6)"
    diverged = seed_change({0: 0.9, 1: 0.91, 2: None}, {0: 0.95, 1: 0.97, 2: 0.96})
    assert diverged["n"] == 2 and diverged["note"] == "1 seed(s) diverged on one side only"
    # Equal on the seeds that did not diverge is still not "unchanged".
    newly = seed_change({0: 0.9, 1: 0.91, 2: 0.92}, {0: 0.9, 1: 0.91, 2: None})
    assert newly["note"] == "1 seed(s) diverged on one side only" and newly["test"] == PAIRED


def test_predictions_are_compared_image_by_image() -> None:
    old = np.array([True] * 80 + [False] * 20)
    new = old.copy()
    new[80:95] = True  # 15 more right, none lost
    row = prediction_change(old, new)
    assert row["test"] == MCNEMAR and row["difference"] == pytest.approx(0.15)
    assert row["p_value"] == pytest.approx(binomtest(15, 15).pvalue)
    assert with_verdicts([row])[0]["verdict"] == "higher"
    same = prediction_change(old, old)
    assert same["p_value"] is None and with_verdicts([same])[0]["verdict"] == "unchanged"
    assert value_change(0.001, 0.001)["note"] == "unchanged"
    assert value_change(0.001, 0.01)["note"].startswith("changed")


# The command, on a temporary git repository -------------------------------------------


def write_stage(root: Path, name: str, headline: dict, seeds: list[int], values: dict) -> None:
    (root / "metrics" / name).parent.mkdir(parents=True, exist_ok=True)
    (root / f"metrics/{name}.json").write_text(json.dumps(headline))
    (root / f"plots/{name}").mkdir(parents=True, exist_ok=True)
    summary = {"per_seed": {"seeds": seeds, "values": values}}
    (root / f"plots/{name}/summary.json").write_text(json.dumps(summary))


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two commits: the second raises one grid cell by 2 points, adds a stage, and
    leaves the other cell as it was."""
    root = tmp_path / "study"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.org")
    git(root, "config", "user.name", "t")
    write_stage(root, "mlp_grid/d1_w16", {"val_acc_mean": 0.9}, SEEDS, {"val_acc_mean": OLD})
    write_stage(
        root, "mlp_grid/d6_w16", {"val_acc_mean": 0.95}, SEEDS, {"val_acc_mean": [0.95] * 5}
    )
    (root / "metrics/prepare_cities.json").write_text(
        json.dumps({"nearest_neighbour_val_acc": 0.99})
    )
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    new = [v + d for v, d in zip(OLD, [0.020, 0.025, 0.018, 0.022, 0.021], strict=True)]
    write_stage(
        root, "mlp_grid/d1_w16", {"val_acc_mean": float(np.mean(new))}, SEEDS, {"val_acc_mean": new}
    )
    write_stage(root, "mlp_epochs", {"final_test_acc": 0.9}, SEEDS, {"final_test_acc": OLD})
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "two")
    monkeypatch.chdir(root)
    return root


def test_the_command_compares_two_commits(history: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["diff", "HEAD~1", "HEAD", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["stage"], r["metric"]): r for r in out["rows"]}
    assert out["old"] == "HEAD~1" and out["new"] == "HEAD"
    assert rows[("mlp_grid/d1_w16", "val_acc_mean")]["verdict"] == "higher"
    assert rows[("mlp_grid/d6_w16", "val_acc_mean")]["verdict"] == "unchanged"
    assert rows[("prepare_cities", "nearest_neighbour_val_acc")]["verdict"] == "unchanged"
    assert rows[("mlp_epochs", "*")]["verdict"] == "only in HEAD"
    # The workspace by default; a stage filter in DVC's stage@item form; Markdown.
    (history / "metrics/mlp_grid/d6_w16.json").unlink()
    assert main(["diff", "--stage", "mlp_grid@d6_w16", "--md"]) == 0
    md = capsys.readouterr().out.splitlines()
    assert md[0].startswith("| stage | metric | old (HEAD) | new (workspace)")
    assert len(md) == 3 and "only in HEAD" in md[2]
    assert main(["diff", "HEAD~1", "HEAD", "--stage", "mlp_grid"]) == 0
    text = capsys.readouterr().out
    assert "paired t-test over seeds" in text and "+2.12 pt" in text and "mlp_epochs" not in text


def test_an_unknown_revision_is_one_line_and_exit_1(history: Path, capsys) -> None:
    assert main(["diff", "nosuchbranch"]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("error: nosuchbranch: not a git revision or a DVC experiment")
        and err.count("\n") == 1
    )


def test_an_experiment_is_found_by_its_name(history: Path, capsys) -> None:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=history, capture_output=True, text=True
    ).stdout.strip()
    git(history, "update-ref", "refs/exps/ab/cdef/baseline/lucky-cell", head)
    assert main(["diff", "HEAD~1", "lucky-cell", "--stage", "mlp_grid@d1_w16"]) == 0
    assert "higher" in capsys.readouterr().out


def test_seeds_that_change_nothing_are_compared_image_by_image(tmp_path: Path) -> None:
    """XGBoost's defaults give every seed the same fit: a paired t over such seeds would
    call a one-image change certain (no spread); McNemar on the test images decides."""
    from mlpcnn.compare.cli import compare_revisions
    from mlpcnn.compare.revisions import Revision

    labels = [0, 0, 1, 1] * 5
    for side, wrong in (("old", 0), ("new", 1)):
        root = tmp_path / side
        correct = 1 - wrong / len(labels)
        write_stage(root, "deepfake/xgboost", {"test_acc_mean": correct}, [0, 1, 2],
                    {"test_acc_mean": [correct] * 3})  # fmt: skip
        summary = json.loads((root / "plots/deepfake/xgboost/summary.json").read_text())
        summary["best_run_by_val_acc"] = "default"
        (root / "plots/deepfake/xgboost/summary.json").write_text(json.dumps(summary))
        probs = [0.9 if y else 0.1 for y in labels]
        probs[0] = 0.9 if wrong else 0.1
        lines = ["file,label,default"] + [f"{i}.jpg,{y},{p}" for i, (y, p) in
                                          enumerate(zip(labels, probs, strict=True))]  # fmt: skip
        (root / "plots/deepfake/xgboost/test_probs.csv").write_text("\n".join(lines) + "\n")
    (row,) = compare_revisions(Revision(tmp_path / "old", "old", None),
                               Revision(tmp_path / "new", "new", None))  # fmt: skip
    assert row["test"] == "McNemar's exact test" and row["p_value"] == 1.0  # 1 image of 20


def test_the_command_describes_itself_and_checks_alpha(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("mlpcnn ")
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    assert "Holm" in capsys.readouterr().out  # the description, not only the usage line
    for bad in ("0", "1", "1.5", "-0.1", "five", "nan"):
        with pytest.raises(SystemExit) as done:
            main(["diff", "--alpha", bad])
        assert done.value.code == 2
        assert f"expected a level between 0 and 1, got '{bad}'" in capsys.readouterr().err


def test_a_missing_git_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    monkeypatch.chdir(tmp_path)
    assert main(["diff"]) == 1
    assert capsys.readouterr().err == (
        "error: git is not installed: mlpcnn diff reads revisions with it\n"
    )

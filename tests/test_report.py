from __future__ import annotations

import copy

from mlpcnn.report.document import render_report, training_seconds
from mlpcnn.report.study import Study

CITIES = {
    "rows": {"train": 1000, "val": 100, "test": 100},
    "n_classes": 33,
    "classes_present": {"train": 33, "val": 30, "test": 31},
    "nearest_neighbour": {"val_acc": 0.99, "test_acc": 0.98},
}
LEARNING_RATE = {
    "runs": {
        "lr 1e+00": {"lr": 1.0, "diverged": True, "diverged_epoch": 3, "stuck_at_class_prior": False,
                     "final_val_loss": None, "final_val_acc": None, "final_test_acc": None,
                     "best_val_loss": 2.5, "best_val_loss_epoch": 1},
        "lr 1e-03": {"lr": 0.001, "diverged": False, "diverged_epoch": None, "stuck_at_class_prior": False,
                     "final_val_loss": 0.25, "final_val_acc": 0.91, "final_test_acc": 0.9,
                     "best_val_loss": 0.24, "best_val_loss_epoch": 9},
    },
    "class_prior_val_loss": 3.3,
    "best_lr": 0.001,
    "timing": {"train_seconds": 12.5, "replicas": 2},
    "device": "cpu",
    "torch": "2.x",
}  # fmt: skip


def test_renders_from_hand_made_metrics_with_missing_sections_and_a_diverged_run() -> None:
    report = render_report(Study({"prepare_cities": CITIES, "mlp_learning_rate": LEARNING_RATE}))
    assert report.startswith("# The MLP and CNN study, reproduced")
    assert "99.00% validation and 98.00% test accuracy" in report
    assert "lr 1 diverged (loss NaN or infinite) at epoch 3." in report
    assert "| 1.0 | n/a | n/a | 2.5000 | diverged at epoch 3 |" in report
    assert (
        "The lowest final validation loss is lr 0.001's (0.250, 91.00% validation accuracy)."
        in report
    )
    for stage in ("mlp_epochs", "mlp_batchnorm", "mlp_batch_size", "mlp_select", "gradient_study",
                  "implicit_encoding", "error_analysis"):  # fmt: skip
        assert f"the results of `{stage}` are missing" in report
    sections = [line for line in report.splitlines() if line.startswith("## ")]
    assert (
        sections[0] == "## Data"
        and sections[1].startswith("## 6.1 Q1")
        and sections[-1].startswith("## 7.2")
    )
    assert "| mlp_learning_rate | 12.5 |" in report


def test_text_follows_the_numbers() -> None:
    changed = copy.deepcopy(LEARNING_RATE)
    changed["runs"]["lr 1e-03"]["final_val_loss"] = 0.5
    report = render_report(Study({"mlp_learning_rate": changed}))
    assert "lr 0.001's (0.500" in report
    assert (
        "diverged" in report
        and "*Not in this run: the results of `prepare_cities` are missing.*" in report
    )


def test_training_seconds_of_the_different_timing_shapes() -> None:
    assert training_seconds("x", {"timing": {"train_seconds": {"a": 1.0, "b": 2.0}}}) == 3.0
    assert (
        training_seconds("deepfake@finetune", {"timing": {"lr 1e-03": 4.0, "lr 1e-04": 5.0}}) == 9.0
    )
    runs = {"batch 1": {"epochs": 2}}
    assert (
        training_seconds(
            "mlp_batch_size", {"runs": runs, "timing": {"batch 1": {"seconds_per_epoch": 1.5}}}
        )
        == 3.0
    )
    assert training_seconds("x", {}) is None


def test_facts_that_params_control_come_from_the_params() -> None:
    study = Study(
        {},
        params={"mlp_epochs": {"epochs": 7}, "gradient_study": {"depth": 12, "width": 3},
                "implicit_encoding": {"frequencies": [0.5, 2.0]}},
    )  # fmt: skip
    report = render_report(study)
    assert "What happens to the losses over 7 epochs?" in report
    assert "## 6.2 Q5-Q6: gradients of a 12-layer network" in report
    assert "12 layers of width 3" in report
    assert "a = 0.5, 2, beat the raw input" in report
    assert "100 epochs" not in report and "a = 0.1 ... 1.0" not in report


def test_references_are_read_from_the_data_given_with_their_report() -> None:
    grid = {
        "best": {"cell": "d6_w16", "depth": 6, "width": 16, "seeds": 3, "val_acc_mean": 0.95,
                 "val_acc_std": 0.01, "test_acc_mean": 0.94, "test_acc_std": 0.01},
    }  # fmt: skip
    grid["worst"] = dict(grid["best"], cell="d1_w16")
    grid["nearest_neighbour"] = {"val_acc": 0.99, "test_acc": 0.99}
    study = Study(
        {"mlp_select": grid},
        references={
            "grid_best": [{"report": "A", "section": "6.2 Q1", "cell": "d6_w16", "val_acc": 0.5}],
            "grid_worst": [],
        },
    )
    from mlpcnn.report.document import results_table

    rendered = results_table(study)
    assert "best cell, report A: d6_w16 50.00%" in rendered
    assert "worst cell, -" in rendered
    assert "3 seeds" in rendered


def test_a_missing_figure_is_said_not_linked() -> None:
    study = Study({}, figures={"a/b": "../plots/a/b.png"})
    assert study.figure("a/b", "cap") == "![cap](../plots/a/b.png)"
    assert study.figure("a/c", "cap") == "*Figure `a/c` is not in this run.*"

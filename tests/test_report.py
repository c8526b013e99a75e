from __future__ import annotations

from mlpcnn.cities.stats import compare, seed_interval
from mlpcnn.report.document import render_report, training_seconds
from mlpcnn.report.markdown import verdict
from mlpcnn.report.study import Study

CITIES = {
    "rows": {"train": 1000, "val": 100, "test": 100},
    "n_classes": 33,
    "classes_present": {"train": 33, "val": 30, "test": 31},
    "nearest_neighbour": {"val_acc": 0.99, "test_acc": 0.98},
}
NAN = float("nan")


def learning_rate_summary(good_losses: list[float]) -> dict:
    """mlp_learning_rate's summary for two rates over three seeds, built with the stage's
    own statistics: lr 1 diverges in every seed, lr 0.001 ends at ``good_losses``."""
    per_seed = {
        "lr 1": {"final_val_loss": [NAN] * 3, "best_val_loss": [2.5, 2.6, 2.4],
                 "final_val_acc": [NAN] * 3},
        "lr 0.001": {"final_val_loss": good_losses, "best_val_loss": [x - 0.01 for x in good_losses],
                     "final_val_acc": [0.91, 0.90, 0.92]},
    }  # fmt: skip
    runs = {
        name: {"lr": lr, "seeds_diverged": diverged, "diverged_epochs": [3, 3, 4][:diverged],
               "stuck_at_class_prior": False,
               **{k: seed_interval(v) for k, v in per_seed[name].items()}}
        for name, lr, diverged in (("lr 1", 1.0, 3), ("lr 0.001", 0.001, 0))
    }  # fmt: skip
    verdicts = {
        criterion: {"criterion": column, "winner": "lr 0.001", "versus": compare({})}
        for criterion, column in (("final", "final_val_loss"), ("best", "best_val_loss"))
    }
    return {
        "runs": runs,
        "verdicts": verdicts,
        "seeds": [0, 1, 2],
        "class_prior_val_loss": 3.3,
        "timing": {"train_seconds": 12.5, "replicas": 6},
        "device": "cpu",
        "torch": "2.x",
    }


LEARNING_RATE = learning_rate_summary([0.25, 0.26, 0.24])


def test_renders_from_hand_made_metrics_with_missing_sections_and_a_diverged_run() -> None:
    report = render_report(Study({"prepare_cities": CITIES, "mlp_learning_rate": LEARNING_RATE}))
    assert report.startswith("# The MLP and CNN study, reproduced")
    assert "99.00% validation and 98.00% test accuracy" in report
    assert "lr 1 diverged (loss NaN or infinite) in 3 of 3 seeds." in report
    assert (
        "| 1.0 | n/a | 2.500 [" in report
        and "diverged in 3 of 3 seeds (epochs 3, 3, 4) |" in report
    )
    assert "By the final validation loss, lr 0.001 is lowest (0.250 [" in report
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
    report = render_report(Study({"mlp_learning_rate": learning_rate_summary([0.5, 0.5, 0.5])}))
    assert "lr 0.001 is lowest (0.500 [0.500, 0.500])" in report
    assert (
        "diverged" in report
        and "*Not in this run: the results of `prepare_cities` are missing.*" in report
    )


def test_a_verdict_says_not_distinguishable_unless_the_corrected_test_does() -> None:
    tests = compare({
        "a vs b": ([0.950, 0.951, 0.952], [0.9470, 0.9475, 0.9480]),  # p ~ 0.005 alone
        "a vs c": ([0.950, 0.951, 0.952], [0.950, 0.9505, 0.951]),
        "a vs d": ([0.950, 0.951, 0.952], [0.80, 0.81, 0.805]),
    })  # fmt: skip
    assert verdict("a", "d", tests["a vs d"], "val acc").startswith(
        "a has a higher val acc than d (+14.60 points; Welch's t-test, Holm-adjusted over 3 comparisons: p = "
    )
    assert verdict("a", "c", tests["a vs c"], "val acc").startswith(
        "a and c are not distinguishable on val acc with 3 seeds (+0.05 points;"
    )
    untestable = compare({"x vs y": ([0.9], [0.8, 0.81])})["x vs y"]
    assert "not testable with 1 seed(s)" in verdict("x", "y", untestable, "val acc")


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
                 "val_acc_low": 0.94, "val_acc_high": 0.96, "test_acc_mean": 0.94},
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

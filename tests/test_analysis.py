"""7.6's reading of the deepfake runs: Wilson intervals, the Q1 table, the Q2 images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpcnn.faces.analysis import (
    batch_loss_table,
    best_two_and_worst,
    final_loss,
    lr_of,
    overlap,
    pick_examples,
    probs_table,
    q2_examples,
    rank_baselines,
    roc_auc,
    row,
    runs_table,
    score_run,
    score_runs,
    wilson,
)


@pytest.mark.parametrize(
    ("correct", "total", "low", "high"),
    [
        # Wilson's score interval, z = 1.959964, computed by hand from its formula:
        # (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Table I: 81/263 -> 0.2553 to 0.3662
        (15, 148, 0.0624, 0.1605),  # ibid.: 15/148 -> 0.0624 to 0.1605
        (0, 20, 0.0, 0.1611),  # ibid.: 0/20 -> 0 to 0.1611
        (1, 29, 0.0061, 0.1718),  # ibid.: 1/29 -> 0.0061 to 0.1718
        (400, 400, 0.9905, 1.0),
    ],
)
def test_wilson_interval_against_known_values(correct, total, low, high) -> None:
    got = wilson(correct, total)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_score_run_and_auc() -> None:
    labels = np.array([0, 0, 1, 1])
    scored = score_run(labels, np.array([0.2, 0.6, 0.7, 0.9]))
    assert scored["test_acc"] == 0.75 and scored["test_correct"] == 3 and scored["test_n"] == 4
    assert scored["test_auc"] == 1.0  # every fake ranked above every real, one mistake at 0.5
    assert scored["test_acc_low"] < 0.75 < scored["test_acc_high"]
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.9])) is None  # one class only
    assert roc_auc(np.array([0, 1]), np.array([np.nan, np.nan])) is None  # a diverged run


def hand_made_runs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["baseline", "run", "val_acc", "test_acc"]).assign(
        test_acc_low=lambda d: d["test_acc"] - 0.05, test_acc_high=lambda d: d["test_acc"] + 0.05
    )


def test_two_best_and_worst_per_baseline_with_ties_and_short_sweeps() -> None:
    runs = hand_made_runs([
        ("cnn", "lr 0.1", 0.50, 0.50), ("cnn", "lr 0.01", 0.70, 0.80),
        ("cnn", "lr 0.001", 0.75, 0.80), ("cnn", "lr 1e-05", 0.60, 0.50),
        ("cnn", "lr 0.0001", 0.72, 0.78),
        ("xgb", "default", 0.70, 0.72),
        ("two", "lr 0.1", 0.6, 0.6), ("two", "lr 0.01", 0.6, 0.6),
    ])  # fmt: skip
    table = best_two_and_worst(runs)
    cnn = table[table["baseline"] == "cnn"]
    # 0.80 twice: the higher validation accuracy first; 0.50 twice: the lower val is worst
    assert cnn["run"].tolist() == ["lr 0.001", "lr 0.01", "lr 0.1"]
    assert cnn["role"].tolist() == ["best", "second best", "worst"]
    assert cnn["ties"].tolist() == ["lr 0.01", "lr 0.001", "lr 1e-05"]
    assert table[table["baseline"] == "xgb"]["role"].tolist() == ["only run"]
    two = table[table["baseline"] == "two"]
    # a full tie: broken by name, stated in ties
    assert two["run"].tolist() == ["lr 0.01", "lr 0.1"]
    assert two["role"].tolist() == ["best", "second best, worst"]


def test_ranking_by_best_run_with_ties_by_interval_overlap() -> None:
    runs = hand_made_runs([("a", "x", 0.8, 0.80), ("b", "x", 0.8, 0.72), ("c", "x", 0.5, 0.55),
                       ("a", "y", 0.5, 0.50)])  # fmt: skip
    ranking = rank_baselines(runs)
    assert ranking["baseline"].tolist() == ["a", "b", "c"]
    assert ranking["run"].tolist() == ["x", "x", "x"]
    assert ranking["tied_with_best"].tolist() == [True, True, False]  # 0.75-0.85 vs 0.67-0.77
    assert overlap(ranking.iloc[1], ranking.iloc[2]) is False


LABELS = np.array([0, 0, 0, 1, 1, 1, 1, 0])


@pytest.mark.parametrize(
    ("best", "worst", "expected"),
    [
        # every image right for best, wrong for worst: confident mistakes first, classes in turn
        ([0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1],
         [0.6, 0.99, 0.7, 0.45, 0.2, 0.01, 0.3, 0.8], [1, 5, 7, 4, 2]),
        # only fakes qualify: the most confident first, then the rest
        ([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
         [0.9, 0.9, 0.9, 0.3, 0.1, 0.4, 0.2, 0.9], [4, 6, 3, 5]),
        # fewer than five
        ([0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1],
         [0.1, 0.1, 0.6, 0.9, 0.9, 0.9, 0.4, 0.1], [2, 6]),
        # exact ties in confidence: the lower index first
        ([0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1],
         [0.8, 0.8, 0.1, 0.2, 0.9, 0.9, 0.9, 0.1], [0, 3, 1]),
        # none
        ([0.1] * 8, [0.1] * 8, []),
    ],
)  # fmt: skip
def test_q2_pick_rule(best, worst, expected) -> None:
    assert pick_examples(LABELS, np.array(best), np.array(worst)) == expected


def test_q2_with_one_class_only() -> None:
    labels = np.ones(6, dtype=np.int64)
    worst = np.array([0.3, 0.2, 0.1, 0.4, 0.45, 0.9])
    assert pick_examples(labels, np.full(6, 0.9), worst) == [2, 1, 0, 3, 4]


def test_runs_are_scored_and_the_chosen_one_is_read_on_validation() -> None:
    from mlpcnn.faces.baselines import RunResult

    labels = np.array([0, 0, 1, 1])
    runs = {
        "lr 0.1": RunResult(val_acc=0.6, test_acc=1.0, test_probs=np.array([0.1, 0.2, 0.9, 0.8])),
        "lr 0.01": RunResult(val_acc=0.7, test_acc=0.5, test_probs=np.array([0.9, 0.2, 0.9, 0.4]),
                             batch_loss=np.array([0.7, 0.5, 0.3])),
    }  # fmt: skip
    scored, best = score_runs("scratch", runs, labels)
    assert best == "lr 0.01"  # higher validation accuracy, whatever the test says
    assert scored["lr 0.1"]["test_acc"] == 1.0 and scored["lr 0.01"]["test_correct"] == 2
    assert scored["lr 0.01"]["lr"] == 0.01 and not scored["lr 0.01"]["extra"]
    xgb, best = score_runs(
        "xgboost", {"default": runs["lr 0.01"], "lr 0.1": runs["lr 0.1"]}, labels
    )
    assert best == "default" and xgb["lr 0.1"]["extra"]  # the sweep beside the defaults
    assert lr_of("default") is None and lr_of("lr 1e-05") == 1e-05
    probs = probs_table(np.array(["a", "b", "c", "d"]), labels, runs)
    assert probs.columns.tolist() == ["file", "label", "lr 0.1", "lr 0.01"]
    losses = batch_loss_table(runs)
    assert losses.columns.tolist() == ["batch", "lr 0.01"] and len(losses) == 3
    assert final_loss(losses, "lr 0.01") == pytest.approx(0.3) and final_loss(losses, "x") is None


def test_q2_examples_come_from_the_chosen_runs_never_from_file_order() -> None:
    probs = pd.DataFrame({
        "file": [f"{i}.jpg" for i in range(8)], "label": LABELS,
        "best/lr 0.1": [0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1],
        "worst/lr 1": [0.1, 0.1, 0.6, 0.9, 0.9, 0.9, 0.4, 0.1],
    })  # fmt: skip
    q2 = q2_examples(probs, ("best", "lr 0.1"), ("worst", "lr 1"), 5)
    assert q2["shown_test_indices"] == [2, 6] and q2["shown_files"] == ["2.jpg", "6.jpg"]
    assert q2["candidates"] == 2 and q2["fewer_than_five"]
    assert q2["best_p_fake"] == [0.1, 0.9] and q2["worst_p_fake"] == [0.6, 0.4]
    same = q2_examples(probs, ("best", "lr 0.1"), ("best", "lr 0.1"), 5)
    assert same["shown_test_indices"] == [] and same["candidates"] == 0


def test_the_runs_table_marks_course_runs_and_their_final_loss() -> None:
    summaries = {
        "xgboost": {"runs": {"default": {"extra": False, "test_acc": 0.7}, "lr 0.1": {"extra": True, "test_acc": 0.6}}},
        "handmade": {"runs": {"default": {"extra": False, "test_acc": 0.9}}},
    }  # fmt: skip
    losses = {"xgboost": pd.DataFrame({"batch": []}), "handmade": pd.DataFrame({"batch": []})}
    table = runs_table(summaries, losses, course=("xgboost",))
    assert table["course"].tolist() == [True, False, False]
    assert table["final_train_loss"].isna().all()
    assert row(table, "xgboost", "lr 0.1")["test_acc"] == 0.6

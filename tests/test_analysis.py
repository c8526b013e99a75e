"""7.6's reading of the deepfake runs: Wilson intervals, the Q1 table, the Q2 images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpcnn.faces.analysis import (
    auc_interval,
    auc_p_value,
    batch_loss_table,
    best_two_and_worst,
    choose_run,
    chosen_probs,
    distinct,
    explain_constant,
    extra_pairs,
    final_loss,
    image_traits,
    is_constant,
    lr_of,
    majority,
    mismatched_test_images,
    paired_comparisons,
    pick_examples,
    probs_table,
    q2_examples,
    q2_pairs,
    rank_baselines,
    ranking_verdict,
    roc_auc,
    row,
    runs_table,
    score_run,
    score_runs,
    seed_summary,
    tied_runs,
    verdict,
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


def test_ranking_uses_the_mean_over_seeds_of_the_chosen_rate() -> None:
    def chosen(test: list[float], val: float) -> dict:
        return seed_summary({k: {"test_acc": t, "val_acc": val, "constant": False}
                             for k, t in enumerate(test)})  # fmt: skip

    ranking = rank_baselines({"a": chosen([0.7, 0.9, 0.8], 0.8), "b": chosen([0.82, 0.82], 0.7),
                              "c": chosen([0.8, 0.8, 0.8], 0.9)})  # fmt: skip
    assert ranking == ["b", "c", "a"]  # 0.82 > 0.80 = 0.80, the tie to validation (0.9 > 0.8)
    diverged = {"test_acc": {"mean": None}, "val_acc": {"mean": None}}
    assert rank_baselines({"d": diverged, "a": chosen([0.7], 0.8)}) == ["a", "d"]
    summary = chosen([0.7, 0.9, 0.8], 0.8)
    assert summary["test_acc"]["mean"] == pytest.approx(0.8) and summary["test_acc"]["n"] == 3
    # t(0.975, 2) = 4.3027 times sd 0.1 / sqrt(3)
    assert summary["test_acc"]["high"] - 0.8 == pytest.approx(4.3027 * 0.1 / 3**0.5, abs=1e-4)


def test_constant_flag_on_a_constant_and_on_a_working_classifier() -> None:
    labels = np.array([0] * 200 + [1] * 200)
    rng = np.random.default_rng(0)
    constant = 0.30 + 0.02 * (np.arange(400) % 7) / 7  # every image real, the same in both classes
    assert is_constant(labels, constant) and score_run(labels, constant)["constant"]
    assert is_constant(labels, np.ones(400))  # p(fake) = 1.0 everywhere (lr 0.1)
    working = np.where(labels == 1, 0.7, 0.3) + 0.25 * rng.standard_normal(400)
    assert not is_constant(labels, working)
    # one class throughout, but ranking well: informative, not constant
    assert not is_constant(labels, np.where(labels == 1, 0.45, 0.2))
    assert not is_constant(labels, np.full(400, np.nan))  # diverged, not constant
    low, high = auc_interval(labels, constant)
    assert low < 0.5 < high and auc_p_value(labels, constant) > 0.5
    assert (
        auc_p_value(labels, np.ones(400)) == 1.0
        and auc_p_value(labels[:200], constant[:200]) is None
    )
    from scipy.stats import mannwhitneyu

    p = auc_p_value(labels, working)
    assert p == mannwhitneyu(working[200:], working[:200]).pvalue and p < 1e-6
    # Hanley-McNeil at AUC 0.75 with 200 + 200: SE from their formula, by hand = 0.02410
    p = np.where(labels == 1, 1.0, 0.0)
    p[:100], p[200:250] = 1.0, 0.0  # TPR 0.75, FPR 0.5: AUC = 0.625 by the trapezoid
    got = auc_interval(labels, p)
    a = 0.625
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + 199 * (q1 - a * a) + 199 * (q2 - a * a)) / (200 * 200))
    assert got == pytest.approx((a - 1.959964 * se, a + 1.959964 * se), abs=1e-5)


def test_a_ranking_of_rounding_noise_is_constant_and_one_class_is_flagged() -> None:
    labels = np.array([0] * 200 + [1] * 200)
    tiny = np.where(labels == 1, 2e-29, 1e-29)  # "ranks" perfectly, in the 29th decimal
    assert is_constant(labels, tiny) and score_run(labels, tiny)["one_class"]
    ranking = np.where(labels == 1, 0.45, 0.2)  # one class, but a real ranking
    scored = score_run(labels, ranking)
    assert scored["one_class"] and not scored["constant"]
    assert not score_run(labels, np.where(labels == 1, 0.9, 0.1))["one_class"]


def test_deterministic_seeds_count_once_and_extras_meet_the_seed_they_share() -> None:
    labels = np.array([0] * 50 + [1] * 50)
    good = np.where(labels == 1, 0.9, 0.1)
    worse = good.copy()
    worse[:10] = 0.9
    other = good.copy()
    other[60:90] = 0.1  # 30 fakes missed
    probs = {"fixed": {0: worse, 1: worse, 2: worse}, "varied": {0: good, 1: other, 2: good},
             "extra": {0: other}}  # fmt: skip
    assert distinct(probs["fixed"]) == 1 and distinct(probs["varied"]) == 2
    fixed, extra = paired_comparisons(labels, probs, [("varied", "fixed"), ("extra", "varied")])
    assert fixed["seeds"] == 1 and fixed["verdict"].startswith(("higher", "not distinguishable"))
    # the extra's one run meets the partner's seed-0 run (good), not its 3-seed vote
    assert (extra["a_only"], extra["b_only"]) == (0, 30) and extra["seeds"] == 1
    assert extra["verdict"] == "lower" and list(extra["p_holm_per_seed"]) == [0]


def test_pairing_needs_the_same_test_images_in_the_same_order() -> None:
    same = pd.Series(["a.jpg", "b.jpg"])
    assert mismatched_test_images({"x": same, "y": same.copy()}) is None
    assert mismatched_test_images({"x": same, "y": same[::-1].reset_index(drop=True)}) == "y"


def test_mcnemar_pairs_on_hand_made_predictions() -> None:
    labels = np.array([0] * 50 + [1] * 50)
    good = np.where(labels == 1, 0.9, 0.1)  # right on all 100
    worse = good.copy()
    worse[:20] = 0.9  # wrong on 20 real images
    also = good.copy()
    also[50:51] = 0.1  # wrong on one fake
    probs = {"good": {0: good, 1: good, 2: good}, "worse": {0: worse, 1: worse, 2: good},
             "also": {0: also, 1: also, 2: also}}  # fmt: skip
    rows = paired_comparisons(labels, probs, [("good", "worse"), ("good", "also")])
    differ, same = rows
    # majority of worse: seeds 0 and 1 wrong on the 20 images -> the vote is wrong there
    assert (differ["a_only"], differ["b_only"]) == (20, 0)
    assert differ["p_value"] == pytest.approx(2 * 0.5**20)  # exact binomial, two-sided
    assert differ["p_holm"] == pytest.approx(2 * differ["p_value"])  # family of 2
    assert differ["verdict"] == "higher" and differ["seeds"] == 1  # good: one fit, 3 seeds
    assert differ["distinguishable_seeds"] == 2  # seed 2's worse run is the good one
    assert (same["a_only"], same["b_only"]) == (1, 0) and same["p_value"] == 1.0
    assert same["verdict"] == "not distinguishable with 1 seed"
    from scipy.stats import binomtest

    assert differ["p_value"] == pytest.approx(binomtest(20, 20, 0.5).pvalue)


def test_verdict_words_and_majority_vote() -> None:
    assert verdict(0.1, 0.001, 3) == "higher" and verdict(-0.1, 0.04, 3) == "lower (borderline)"
    assert verdict(0.1, 0.06, 3) == "not distinguishable with 3 seeds (borderline)"
    assert verdict(0.1, 0.5, 1) == "not distinguishable with 1 seed"
    votes = majority(np.array([[0.9, 0.2, 0.6], [0.8, 0.7, 0.1], [0.1, 0.6, 0.4]]))
    assert votes.tolist() == [1, 1, 0]
    assert majority(np.array([[0.9, 0.4], [0.2, 0.45]])).tolist() == [1, 0]  # split: the mean


def test_explaining_a_constant_model_asks_two_questions_apart() -> None:
    """What makes the output depend on the image (both classes answered), and whether any
    variant ranks the images better than chance: a model can do the first without the
    second (the committed scratch run: batch statistics spread p(fake), AUC ~ 0.5)."""

    def v(constant: bool, auc: float, p: float, one_class: bool = True) -> dict:
        return {"constant": constant, "test_auc": auc, "test_auc_p": p, "one_class": one_class}

    names = ("as", ["train", "recomputed"], "longer")
    stats = {"as": v(True, 0.5, 1.0), "train": v(False, 0.6, 0.03, one_class=False),
             "recomputed": v(True, 0.55, 0.2), "longer": v(False, 0.7, 0.001)}  # fmt: skip
    found = explain_constant(stats, *names)
    assert found["explanation"] == "running statistics"
    assert found["ranking"] == "better than chance" and found["p_value"] == 0.001
    assert found["ranked_by"] == ["train", "longer"]
    # both classes with batch statistics, but no variant ranks: the output is explained,
    # the weights learnt nothing
    stats |= {"train": v(False, 0.51, 0.8, one_class=False), "longer": v(True, 0.3, 0.001)}
    found = explain_constant(stats, *names)
    assert (found["explanation"], found["ranking"]) == (
        "running statistics",
        "no better than chance",
    )
    assert found["p_value"] == 0.2  # the smallest of the variants' above 0.5; below 0.5 is 1
    stats["train"] = v(True, 0.55, 0.08)  # one class still; the longer run answers both
    stats["longer"] = v(False, 0.52, 0.6, one_class=False)
    assert explain_constant(stats, *names)["explanation"] == "too few steps"
    stats["longer"] = v(True, 0.52, 0.6)
    assert explain_constant(stats, *names)["explanation"] == "neither"
    stats["as"] = v(False, 0.8, 0.0)
    assert explain_constant(stats, *names)["explanation"] == "not constant"


def test_ranking_verdict_reads_the_auc_interval_and_score_run_says_where_the_threshold_sits() -> (
    None
):
    assert ranking_verdict(0.52, 0.61) == "better than chance"
    assert ranking_verdict(0.45, 0.55) == "at chance"
    assert ranking_verdict(0.30, 0.41) == "worse than chance"
    assert ranking_verdict(None, None) is None
    labels = np.array([0] * 50 + [1] * 50)
    ranked = np.linspace(0.01, 0.45, 100)  # a perfect ranking, every image called real
    scored = score_run(labels, ranked)
    assert scored["test_acc"] == 0.5 and scored["test_auc"] == 1.0
    assert scored["called_fake"] == 0.0 and scored["ranking"] == "better than chance"
    assert score_run(labels, np.where(labels == 1, 0.9, 0.2))["called_fake"] == 0.5


def test_tied_runs_are_the_others_at_the_chosen_validation_accuracy() -> None:
    val = {"lr 0.1": 0.5, "lr 0.01": 0.5, "lr 0.001": 0.7, "lr 0.0001": 0.5}
    assert tied_runs(val, "lr 0.1") == ["lr 0.01", "lr 0.0001"]
    assert tied_runs(val, "lr 0.001") == []


def test_image_traits_place_each_image_within_its_class() -> None:
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    energy = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0])
    cues = np.full((8, 4), np.nan)
    cues[4:] = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5], [0.9, 0.9, 0.9, 0.9], [1, 1, 1, 1]]
    traits = image_traits([0, 4], labels, energy, cues)
    assert traits["energy_percentile"] == [12.5, 12.5]  # the lowest of four, in its class
    assert traits["cues"] == [None, [0.1, 0.2, 0.3, 0.4]]
    assert traits["cue_median_of_test_fakes"] == [0.7, 0.7, 0.7, 0.7]
    assert "cues" not in image_traits([0], labels, energy, None)


def test_q2_pairs_add_the_worst_working_baseline_when_the_worst_is_constant() -> None:
    ranking = ["a", "b", "c", "d"]
    assert q2_pairs(ranking, dict.fromkeys(ranking, False)) == [("a", "d")]
    assert q2_pairs(ranking, {"a": False, "b": False, "c": True, "d": True}) == [
        ("a", "d"), ("a", "b")]  # fmt: skip
    assert q2_pairs(["a", "d"], {"a": False, "d": True}) == [("a", "d")]  # no other left
    course = ("xgboost", "scratch", "finetune")
    assert extra_pairs(["finetune", "finetune_long", "handmade", "scratch"], course) == [
        ("finetune_long", "finetune"), ("handmade", "scratch"), ("handmade", "finetune")]  # fmt: skip


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


def test_q2_against_a_constant_worst_is_ordered_by_the_best_never_by_file() -> None:
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    worst = np.full(8, 0.9)  # constant: calls everything fake, wrong on every real image
    best = np.array([0.45, 0.3, 0.05, 0.2, 0.01, 0.1, 0.9, 0.9])
    assert pick_examples(labels, best, worst, 5, by="best") == [4, 2, 5, 3, 1]
    probs = pd.DataFrame({"file": [f"{i:04d}.jpg" for i in range(8)], "label": labels,
                          "best/x": best, "worst/y": worst})  # fmt: skip
    q2 = q2_examples(probs, ("best", "x"), ("worst", "y"), 5)
    assert q2["worst_constant"] and q2["ordered_by"] == "best baseline's confidence"
    assert q2["shown_test_indices"] == [4, 2, 5, 3, 1]  # not 0, 1, 2, 3, 4


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
        "lr 0.001": RunResult(val_acc=0.7, test_acc=1.0, test_probs=np.array([0.1, 0.2, 0.9, 0.8])),
    }  # fmt: skip
    # higher validation accuracy, whatever the test says; a tie goes to the params' order
    assert choose_run("scratch", runs) == "lr 0.01"
    scored = score_runs("scratch", runs, labels)
    assert scored["lr 0.1"]["test_acc"] == 1.0 and scored["lr 0.01"]["test_correct"] == 2
    assert scored["lr 0.01"]["lr"] == 0.01 and not scored["lr 0.01"]["extra"]
    both = {"default": runs["lr 0.01"], "lr 0.1": runs["lr 0.1"]}
    assert choose_run("xgboost", both) == "default"  # the sweep beside the defaults
    assert score_runs("xgboost", both, labels)["lr 0.1"]["extra"]
    assert lr_of("default") is None and lr_of("lr 1e-05") == 1e-05
    assert lr_of("lr 0.001 seed 2") == 0.001 and lr_of("default seed 1") is None
    probs = probs_table(np.array(["a", "b", "c", "d"]), labels, runs)
    assert probs.columns.tolist() == ["file", "label", "lr 0.1", "lr 0.01", "lr 0.001"]
    seeds = chosen_probs({"best_run_by_val_acc": "lr 0.1", "chosen_over_seeds": {"seeds": [3, 5]}},
                         probs.assign(**{"lr 0.1 seed 5": [0.5] * 4}))  # fmt: skip
    assert list(seeds) == [3, 5] and seeds[5].tolist() == [0.5] * 4
    assert seeds[3].tolist() == [0.1, 0.2, 0.9, 0.8]
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


@pytest.mark.parametrize(
    ("probs", "constant"),
    [
        ([0.9, 0.8, 0.7, 0.2, 0.6, 0.1, 0.3, 0.4], False),  # a ranking, two classes predicted
        ([0.7] * 8, True),  # one class, no ranking at all
        ([0.6, 0.62, 0.61, 0.6, 0.61, 0.6, 0.62, 0.6], True),  # one class, ranking near chance
    ],
)
def test_score_run_agrees_with_sklearn_and_scipy(probs, constant) -> None:
    """Each figure of score_run against the libraries directly (not the module's helpers)."""
    from scipy.stats import mannwhitneyu
    from sklearn.metrics import roc_auc_score

    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    probs = np.array(probs)
    scored = score_run(labels, probs)
    auc = roc_auc_score(labels, probs)
    assert scored["test_auc"] == pytest.approx(auc)
    assert scored["test_auc_low"] <= auc <= scored["test_auc_high"]
    expected_p = 1.0 if np.ptp(probs) == 0 else mannwhitneyu(probs[:4], probs[4:]).pvalue
    assert scored["test_auc_p"] == pytest.approx(expected_p)
    assert scored["constant"] is constant


def test_score_run_of_a_diverged_run_or_one_class_of_labels() -> None:
    nan = score_run(np.array([1, 0, 1, 0]), np.array([float("nan")] * 4))
    assert nan["test_auc"] is None and nan["test_auc_p"] is None and nan["constant"] is False
    one = score_run(np.array([1, 1, 1, 1]), np.array([0.9, 0.8, 0.7, 0.6]))
    assert one["test_auc"] is None and one["test_auc_low"] is None and one["test_auc_p"] is None

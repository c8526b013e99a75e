"""The verdict rules of mlpcnn.verdicts on synthetic curves and hand-made seeds, and the
committed report's verdicts checked against the committed histories."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_1samp, ttest_ind, ttest_rel

from mlpcnn.verdicts import cities
from mlpcnn.verdicts.curves import (
    CONVERGED,
    DIVERGED,
    IMPROVING,
    OSCILLATING,
    OVERFITTING,
    STUCK,
    TOO_SHORT,
    UNRESOLVED,
    UNSTABLE,
    VERDICTS,
    WORSENING,
    classify_run,
)
from mlpcnn.verdicts.paired import paired_compare, strength, trend

ROOT = Path(__file__).resolve().parents[1]
PRIOR = 3.0
EPOCHS = np.arange(1, 51)


def run(train, val, seeds: int = 5, noise: float = 0.0) -> pd.DataFrame:
    """A history of ``seeds`` copies of one curve, each with its own small noise."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        wobble = 1 + noise * rng.standard_normal(len(train))
        for e, t, v, w in zip(range(1, len(train) + 1), train, val, wobble, strict=True):
            rows.append({"epoch": e, "seed": seed, "train_loss": t * w, "val_loss": v * w})
    return pd.DataFrame(rows)


FALLING = 0.2 + 2.0 * np.exp(-EPOCHS / 4)  # levelled off well before epoch 40
SLOW = 2.5 - 0.03 * EPOCHS  # still falling steadily at epoch 50
U_SHAPE = 0.3 + 0.0008 * (EPOCHS - 20) ** 2  # lowest at epoch 20, then back up 150%
CURVES = {
    DIVERGED: (np.where(EPOCHS > 10, np.nan, FALLING), FALLING),
    STUCK: (np.full(50, PRIOR), np.full(50, PRIOR * 1.01)),
    UNSTABLE: (U_SHAPE, U_SHAPE),  # the training loss climbs back too
    OVERFITTING: (FALLING, U_SHAPE),  # only the validation loss climbs back
    OSCILLATING: (FALLING * (1 + np.exp(-(((EPOCHS - 25) / 3) ** 2))), FALLING),  # a swing, back
    IMPROVING: (SLOW, SLOW),
    WORSENING: (FALLING, FALLING * (1 + 0.004 * np.clip(EPOCHS - 40, 0, None))),  # +4%, late
    CONVERGED: (FALLING, FALLING),
}


@pytest.mark.parametrize("expected", list(CURVES))
def test_each_curve_verdict_is_reachable(expected: str) -> None:
    train, val = CURVES[expected]
    assert classify_run(run(train, val, noise=0.01), PRIOR)["verdict"] == expected


def test_too_short_unresolved_and_every_verdict_named() -> None:
    assert classify_run(run(FALLING[:1], FALLING[:1]), PRIOR)["verdict"] == TOO_SHORT
    # seeds whose last ten epochs go both ways by 8%: no trend either way is resolved
    seeds = []
    for seed, sign in enumerate([1, -1, 1, -1, 1]):
        tail = 0.3 * (1 - sign * 0.008 * np.arange(10))
        curve = np.concatenate([np.full(40, 0.3), tail])
        seeds.append(run(curve, curve, seeds=1).assign(seed=seed))
    out = classify_run(pd.concat(seeds), PRIOR)
    assert out["verdict"] == UNRESOLVED and out["p"] > 0.05 and out["p_level"] > 0.05
    assert set(CURVES) | {TOO_SHORT, UNRESOLVED} == set(VERDICTS)


def test_the_majority_of_seeds_decides_and_noise_alone_is_not_instability() -> None:
    mixed = pd.concat([run(*CURVES[UNSTABLE], seeds=2),
                       run(*CURVES[CONVERGED], seeds=3).assign(seed=lambda d: d.seed + 2)])  # fmt: skip
    # 2 unstable seeds of 5: no majority, so the trend test over every seed decides, and
    # the two swinging seeds keep it from calling the run levelled
    out = classify_run(mixed, PRIOR)
    assert out["counts"] == {UNSTABLE: 2} and out["verdict"] == UNRESOLVED
    assert out["p_level"] >= 0.05
    # 3 of 5: the majority's flag is the verdict
    flipped = pd.concat([run(*CURVES[UNSTABLE], seeds=3),
                         run(*CURVES[CONVERGED], seeds=2).assign(seed=lambda d: d.seed + 3)])  # fmt: skip
    assert classify_run(flipped, PRIOR)["verdict"] == UNSTABLE
    # 10% epoch-to-epoch noise on a levelled curve: running means and the majority of
    # seeds keep the run from "unstable" (a seed may still trip the 20% alone)
    noisy = classify_run(run(*CURVES[CONVERGED], noise=0.1), PRIOR)
    assert noisy["counts"].get(UNSTABLE, 0) <= 1 and noisy["verdict"] != UNSTABLE


def test_paired_compare_matches_scipy_and_finds_what_welch_misses() -> None:
    a = np.array([0.90, 0.92, 0.94, 0.91, 0.93])
    b = a - np.array([0.010, 0.012, 0.011, 0.009, 0.010])  # a consistent small gain
    out = paired_compare({"a vs b": (a, b)})["a vs b"]
    assert out["p_value"] == pytest.approx(ttest_rel(a, b).pvalue)
    assert out["difference"] == pytest.approx(0.0104)
    assert out["low"] < 0.0104 < out["high"] and out["family"] == 1
    assert out["distinguishable"] and ttest_ind(a, b, equal_var=False).pvalue > 0.05
    family = paired_compare({"a vs b": (a, b), "a vs a": (a, a)})
    assert family["a vs a"]["p_value"] == 1.0 and family["a vs b"]["p_holm"] <= 2 * out["p_value"]
    with pytest.raises(ValueError, match="one per shared seed"):
        paired_compare({"x": ([1.0, 2.0], [1.0])})


@pytest.mark.parametrize(
    ("p", "says"),
    [(0.001, "distinguishable"), (0.03, "borderline"), (0.07, "borderline"),
     (0.2, "not distinguishable"), (None, "not testable")],
)  # fmt: skip
def test_strength_calls_p_between_001_and_01_borderline(p, says) -> None:
    assert strength(p) == says


def test_trend_reads_per_seed_slopes() -> None:
    x = np.log2([8, 16, 32, 64])
    values = np.array([[0.90, 0.91, 0.92, 0.93], [0.89, 0.905, 0.915, 0.93]])
    out = trend(x, values)
    assert out["slope"] == pytest.approx((0.01 + 0.013) / 2)  # OLS: 0.065 / 5 for the second
    assert out["p"] == pytest.approx(ttest_1samp([0.01, 0.013], 0.0).pvalue)
    flat = trend(x, np.array([[0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0.9]]))
    assert abs(flat["slope"]) < 1e-12


def test_fit_verdicts_of_the_grid_rule_reach_each_verdict() -> None:
    improving, levelled = {"verdict": IMPROVING}, {"verdict": CONVERGED}
    assert cities.fit(improving, 0.90, 0.99, 0.02) == "under-trained"
    assert cities.fit(improving, 0.90, 0.99, 0.02, p_holm=0.01) == "under-trained"
    # a fall that does not survive the family's correction is not a finding
    assert cities.fit(improving, 0.90, 0.99, 0.02, p_holm=0.12) == "not resolved"
    assert cities.fit({"verdict": UNRESOLVED}, 0.90, 0.99, 0.02) == "not resolved"
    assert cities.fit(levelled, 0.90, 0.99, 0.02) == "under-capacity"
    assert cities.fit(levelled, 0.98, 0.99, 0.02) == "good fit"
    assert cities.fit({"verdict": OVERFITTING}, 0.98, 0.99, 0.02) == OVERFITTING


def test_finals_versus_best_and_same_runs() -> None:
    h = pd.DataFrame({"epoch": [1, 2, 1, 2, 1, 2, 1, 2], "seed": [0, 0, 1, 1, 0, 0, 1, 1],
                      "arm": ["a"] * 4 + ["b"] * 4,
                      "val_acc": [0.5, 0.9, 0.5, 0.8, 0.5, 0.7, 0.5, 0.65]})  # fmt: skip
    table = cities.finals(h, "val_acc", lambda r: r["arm"])
    assert table.to_dict() == {"a": {0: 0.9, 1: 0.8}, "b": {0: 0.7, 1: 0.65}}
    best, tests = cities.versus_best(table, higher_is_better=True)
    assert best == "a" and list(tests) == ["a vs b"]
    a, b = h[h.arm == "a"], h[h.arm == "b"]
    assert cities.same_runs(a, a)["identical"]
    assert cities.same_runs(a, b)["max_difference"] == pytest.approx(0.2)


# The committed run: each verdict the report states holds on the histories, read here
# with plain pandas, independently of the rule's code.


def _rise(values: pd.Series, width: int = 5) -> float:
    smooth = values.rolling(width).mean().dropna()
    return smooth.iloc[-1] / smooth.min() - 1


def _still_falling(h: pd.DataFrame, window: int = 10) -> bool:
    """The stated trend rule, written again with numpy and scipy: each seed's OLS fall of
    the validation loss over the last ``window`` epochs relative to the fitted start;
    their mean above 0 by a one-sided t-test (p < 0.05) and at least 2%."""
    drops = []
    for _, g in h.sort_values("epoch").groupby("seed"):
        y = g["val_loss"].to_numpy()[-window:]
        slope, intercept = np.polyfit(np.arange(len(y)), y, 1)
        drops.append(-slope * (len(y) - 1) / intercept)
    return ttest_1samp(drops, 0.0, alternative="greater").pvalue < 0.05 and np.mean(drops) >= 0.02


def _verdict(cell: str) -> str:
    return cell.split(" (", 1)[0]


def test_the_committed_report_states_verdicts_the_histories_bear_out() -> None:
    report = (ROOT / "report/REPORT.md").read_text()
    lr = pd.read_csv(ROOT / "plots/mlp_learning_rate/history.csv")
    prior = json.loads((ROOT / "plots/mlp_learning_rate/summary.json").read_text())[
        "class_prior_val_loss"
    ]
    for rate, h in lr.groupby("lr"):
        seeds = [g.sort_values("epoch") for _, g in h.groupby("seed")]
        train_rises = [_rise(g["train_loss"]) for g in seeds]
        says = _verdict(report.split(f"| {rate} |", 1)[1].split("\n", 1)[0].split("|")[-2].strip())
        if says == "unstable":  # the training loss itself climbs back, in most seeds
            assert sum(r > 0.2 for r in train_rises) * 2 > len(seeds)
        if says == "overfitting":  # never while the training loss rises
            assert sum(r > 0.2 for r in train_rises) * 2 <= len(seeds)
        if says == "stuck at the class prior":
            assert all(g["val_loss"].min() >= 0.98 * prior for g in seeds)
        if says == "still improving":
            assert _still_falling(h), rate
    # 6.1 Q3's speed: every seed of the batch-norm arm reaches 90% before the base arm's
    bn = json.loads((ROOT / "plots/mlp_batchnorm/summary.json").read_text())["arms"]
    said = re.search(r"The base model needs ([\d.]+) times the epochs batch norm needs", report)
    assert said and float(said.group(1)) > 1
    never = float("inf")  # a seed that never reached it
    pairs = zip(
        bn["batchnorm"]["epochs_to_threshold"], bn["base"]["epochs_to_threshold"], strict=True
    )
    assert all((a or never) < (b or never) for a, b in pairs)


def test_encoding_rule_needs_the_ensemble_ahead_and_holm_below_alpha() -> None:
    def setting(a_only, b_only, p, val):
        return {"ensemble_vs_nearest": {"a_only": a_only, "b_only": b_only, "p_value": p},
                "val_acc_mean": val}  # fmt: skip

    out = cities.encodings_versus_nearest({
        "ahead": setting(50, 20, 0.001, 0.990),
        "behind": setting(20, 50, 0.001, 0.995),  # significant, the wrong way
        "weak": setting(30, 25, 0.6, 0.991),
    })  # fmt: skip
    v = out["settings"]
    assert v["ahead"]["beats"] and v["ahead"]["p_holm"] == pytest.approx(0.003)
    assert not v["behind"]["beats"] and not v["weak"]["beats"]
    assert out["best_by_validation"] == "behind" and out["family"] == 3


def test_factorial_separates_two_changes_and_their_interaction() -> None:
    base = np.array([0.50, 0.52, 0.48, 0.51, 0.49])
    per_seed = {"neither": base, "first": base + 0.10, "second": base + 0.20,
                "both": base + 0.30 + np.array([0.0, 0.01, -0.01, 0.0, 0.0])}  # fmt: skip
    cells = {(False, False): "neither", (True, False): "first", (False, True): "second",
             (True, True): "both"}  # fmt: skip
    out = cities.factorial(per_seed, cells, ("first", "second"))
    assert out["first"]["difference"] == pytest.approx(0.10)
    assert out["second"]["difference"] == pytest.approx(0.20)
    assert out["first x second"]["difference"] == pytest.approx(0.0)
    assert out["first"]["distinguishable"] and not out["first x second"]["distinguishable"]


def _table_rows(report: str, header_start: str) -> list[list[str]]:
    block = report.split(header_start, 1)[1].split("\n\n", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()[2:]]


def test_the_committed_grid_fit_verdicts_hold_on_the_histories() -> None:
    report = (ROOT / "report/REPORT.md").read_text()
    rows = _table_rows(report, "| cell | depth | width |")
    header = report.split("| cell | depth | width |", 1)[1].split("\n", 1)[0]
    column = ["cell", "depth", "width", *(c.strip() for c in header.strip("|").split("|"))].index(
        "fit"
    )
    fits = {r[0]: r[column] for r in rows}
    nn = json.loads((ROOT / "plots/prepare_cities/summary.json").read_text())["nearest_neighbour"]
    select = json.loads((ROOT / "plots/mlp_select/summary.json").read_text())["verdicts"]
    falling = select["falling_p_holm"]
    assert fits == select["fit"]
    for cell, fit in fits.items():
        h = pd.read_csv(ROOT / f"plots/mlp_grid/{cell}/history.csv")
        last = h[h["epoch"] == h["epoch"].max()]
        if fit == "under-trained":  # the validation loss still falls over the last epochs
            assert _still_falling(h), cell
        if fit == "under-capacity":  # levelled off below what 1-NN shows the data allows
            assert last["train_acc"].mean() < nn["val_acc"] - 0.02, cell
        if fit == "not resolved":  # no fall that survives the cells' Holm family
            assert falling[cell] is None or falling[cell] >= 0.05, cell
    assert set(fits) == set(falling)  # the report prints the summary's verdict for each cell


def test_the_report_opens_with_one_finding_per_question() -> None:
    report = (ROOT / "report/REPORT.md").read_text()
    findings = report.split("## Findings", 1)[1].split("\n## ", 1)[0]
    for question in ("6.1 Q1", "6.1 Q2", "6.1 Q3", "6.1 Q4", "6.2 Q1-Q4", "6.2 Q5", "6.2 Q6",
                     "6.2 Q7", "7.4", "7.6"):  # fmt: skip
        assert f"| **{question}" in findings, question
    assert report.index("## Findings") < report.index("## Results at a glance")


def test_the_printed_interval_excludes_zero_exactly_when_holm_claims_the_difference() -> None:
    from scipy.stats import t as student

    from mlpcnn.verdicts.intervals import holm_interval
    from mlpcnn.verdicts.paired import paired_compare

    rng = np.random.default_rng(0)
    zero = np.zeros(5)
    shifts = {"clear": 3.0, "edge": 1.2, "near": 0.9, "none": 0.0}
    pairs = {name: (shift + rng.normal(size=5), zero) for name, shift in shifts.items()}
    tests = paired_compare(pairs)
    claimed = {name: t["distinguishable"] for name, t in tests.items()}
    assert any(claimed.values()) and not all(claimed.values())
    for name, test in tests.items():
        low, high = holm_interval(test)
        assert (low > 0 or high < 0) == claimed[name], name
        d = pairs[name][0]
        level = 1 - 0.05 * test["p_value"] / test["p_holm"]
        expected = student.interval(level, len(d) - 1, loc=d.mean(), scale=d.std(ddof=1) / 5**0.5)
        np.testing.assert_allclose((low, high), expected, rtol=1e-9)
    alone = paired_compare({"one": pairs["edge"]})["one"]
    assert holm_interval(alone) == (alone["low"], alone["high"])
    assert holm_interval({"low": None, "high": None, "n": 1}) is None


def test_steps_along_an_axis_say_where_the_gains_stop() -> None:
    from mlpcnn.verdicts.cities import steps

    rng = np.random.default_rng(1)
    means = {"d1_w16": 0.91, "d2_w16": 0.93, "d6_w16": 0.944, "d10_w16": 0.9435}
    acc = pd.DataFrame({c: m + 0.001 * rng.standard_normal(5) for c, m in means.items()})
    out = steps(list(means), acc)
    assert list(out["steps"]) == ["d2_w16 vs d1_w16", "d6_w16 vs d2_w16", "d10_w16 vs d6_w16"]
    assert out["gains_up_to"] == "d6_w16"
    last = out["steps"]["d10_w16 vs d6_w16"]
    assert last["family"] == 3 and not last["distinguishable"]
    assert last["p_value"] == pytest.approx(ttest_rel(acc["d10_w16"], acc["d6_w16"]).pvalue)
    flat = pd.DataFrame({c: 0.9 + 0.001 * rng.standard_normal(5) for c in means})
    assert steps(list(means), flat)["gains_up_to"] == "d1_w16"


def test_noise_steps_pair_each_step_and_leave_out_running_statistics() -> None:
    def run(batch: int, noise: list[float], mode: str | None = "batch statistics") -> dict:
        figure = {"per_seed": noise}
        return {"arm": "bn", "batch_size": batch, "batchnorm_mode": mode,
                "loss_noise": figure, "batch_loss_noise": figure}  # fmt: skip

    runs = {"bn: batch 1": run(1, [9.0] * 4, "running statistics (eval mode)"),
            "bn: batch 16": run(16, [0.50, 0.52, 0.48, 0.51]),
            "bn: batch 128": run(128, [0.20, 0.23, 0.19, 0.21])}  # fmt: skip
    out = cities.noise_steps(runs)["bn"]["loss_noise"]
    assert list(out) == ["batch 128 vs 16"]  # batch 1 (running statistics) left out
    assert out["batch 128 vs 16"]["difference"] == pytest.approx(-0.295)
    assert out["batch 128 vs 16"]["distinguishable"] and out["batch 128 vs 16"]["family"] == 1


def _probe_histories(lower: list[float], grouped: list[float]) -> pd.DataFrame:
    rows = [{"epoch": 1, "seed": s, "val_acc": v, "probe": probe, "arm": "bn", "base_arm": "base",
             "batch_size": b, "lr": lr}
            for probe, b, lr, values in (("lower_rate", 16, 1e-4, lower), ("groups", 128, 1e-3, grouped))
            for s, v in enumerate(values)]  # fmt: skip
    return pd.DataFrame(rows)


LOW, HIGH = [0.70, 0.71, 0.69, 0.70, 0.72], [0.90, 0.91, 0.89, 0.92, 0.90]
MID = [0.80, 0.82, 0.79, 0.81, 0.80]
PLAIN_128 = [0.94, 0.95, 0.93, 0.94, 0.95]


@pytest.mark.parametrize(
    ("lower", "grouped", "cause", "partial"),
    [
        (LOW, MID, "the statistics", False),  # a smaller step does not help; groups cost
        (HIGH, PLAIN_128, "the step", False),  # the smaller step closes the gap
        (HIGH, MID, "both", False),
        (MID, PLAIN_128, "not resolved", True),  # helps, but batch norm still trails
        (LOW, PLAIN_128, "not resolved", False),
    ],
)  # fmt: skip
def test_the_batchnorm_probe_names_the_cause_its_rule_gives(lower, grouped, cause, partial) -> None:
    acc = pd.DataFrame({"base: batch 16": [0.90, 0.89, 0.91, 0.90, 0.91],
                        "bn: batch 16": [0.70, 0.70, 0.71, 0.69, 0.70],
                        "bn: batch 128": [0.94, 0.95, 0.94, 0.93, 0.95]})  # fmt: skip
    out = cities.batchnorm_probe(acc, _probe_histories(lower, grouped))
    assert (out["cause"], out["step_helps_in_part"]) == (cause, partial)
    assert [t["family"] for t in out["tests"].values()] == [3, 3, 3]
    assert out["arms"] == ["base", "bn"] and (out["batch_size"], out["group_batch"]) == (16, 128)
    assert out["lower_lr"] == pytest.approx(1e-4)

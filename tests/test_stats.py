"""The statistics behind every reported comparison, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlpcnn.cities.stats import equal_sample_windows, tail_noise
from mlpcnn.common.params import InvalidParam
from mlpcnn.common.stats import holm, mcnemar, seed_interval, t_quantile, welch_p


def test_holm_adjusts_a_hand_made_family() -> None:
    # Sorted: 0.01 (x3), 0.02 (x2), 0.04 (x1); then made non-decreasing.
    adjusted = holm({"a": 0.04, "b": 0.01, "c": 0.02, "untested": None})
    assert adjusted.pop("untested") is None
    assert adjusted == pytest.approx({"b": 0.03, "c": 0.04, "a": 0.04})
    # The step-down keeps the adjusted values monotone: 0.3 x 1 would be below 0.02 x 2.
    assert holm({"a": 0.001, "b": 0.3, "c": 0.011}) == pytest.approx(
        {"a": 0.003, "c": 0.022, "b": 0.3}
    )
    assert holm({"a": 0.9, "b": 0.8}) == {"a": 1.0, "b": 1.0}  # capped at 1


def test_welch_p_is_scipys_welch_test_and_none_without_two_seeds_a_side() -> None:
    a, b = [0.950, 0.951, 0.952], [0.9470, 0.9475, 0.9480]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert welch_p([0.9], [0.8, 0.81]) is None


def test_seed_interval_is_the_student_t_interval() -> None:
    values = [0.90, 0.92, 0.94, 0.93, 0.91]
    got = seed_interval(values)
    half = stats.t.ppf(0.975, 4) * np.std(values, ddof=1) / np.sqrt(5)
    assert got["mean"] == pytest.approx(0.92)
    assert (got["low"], got["high"]) == pytest.approx((0.92 - half, 0.92 + half))
    one = seed_interval([0.5, float("nan")])
    assert one["mean"] == 0.5 and one["low"] is None and one["diverged"] == 1


def test_t_quantile_gives_the_printed_tables_values() -> None:
    """Student's t table (two-sided 80%, 95%, 99%), as printed in statistics textbooks."""
    table = {
        0.9: [3.077684, 1.885618, 1.533206, 1.327728, 1.282399],
        0.975: [12.706205, 4.302653, 2.776445, 2.093024, 1.962339],
        0.995: [63.656741, 9.924843, 4.604095, 2.860935, 2.580755],
    }
    df = np.array([1, 2, 4, 19, 1000])
    for q, expected in table.items():
        np.testing.assert_allclose(t_quantile(q, df), expected, rtol=2e-6)


def test_mcnemar_counts_only_discordant_examples() -> None:
    a = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0], bool)
    b = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0], bool)
    result = mcnemar(a, b)
    assert (result["a_only"], result["b_only"]) == (6, 1)
    # Exact two-sided binomial test of 6 successes in 7 fair flips: 2 x (7 + 1) / 128.
    assert result["p_value"] == pytest.approx(16 / 128)
    assert result["difference"] == pytest.approx(5 / 12)
    assert mcnemar(a, a)["p_value"] == 1.0
    with pytest.raises(ValueError, match="equal 1-d arrays"):
        mcnemar(a, b[:-1])


def test_windows_hold_the_same_number_of_samples_for_every_batch_size() -> None:
    losses = np.arange(12, dtype=float)[:, None]  # 12 batches, one replica
    seen, means = equal_sample_windows(losses, batch_size=2, samples_per_point=8)
    assert seen.tolist() == [8, 16, 24]  # 4 batches of 2 per window
    assert means[:, 0].tolist() == [1.5, 5.5, 9.5]
    seen, means = equal_sample_windows(losses, batch_size=8, samples_per_point=8)
    assert len(means) == 12 and seen[-1] == 96  # one batch per window: unsmoothed
    seen, means = equal_sample_windows(losses, batch_size=1, samples_per_point=5)
    assert means[:, 0].tolist() == [2.0, 7.0]  # the incomplete last window is dropped
    with pytest.raises(InvalidParam, match="samples_per_point: expected a multiple"):
        equal_sample_windows(losses, batch_size=3, samples_per_point=8)


def test_tail_noise_is_the_detrended_sd_of_the_last_points() -> None:
    # The last 3 of 30 points: 1, 3, 2 -> differences 2, -1 -> sd 2.1213 / sqrt(2) = 1.5.
    series = np.stack([np.r_[np.zeros(27), 1.0, 3.0, 2.0], np.full(30, 2.0)], axis=1)
    assert tail_noise(series, tail=0.1) == pytest.approx([1.5, 0.0])
    # A loss that is still falling steadily is not noise; white noise is measured as such.
    ramp = np.linspace(3.0, 1.0, 1000)[:, None]
    assert tail_noise(ramp, 0.5) == pytest.approx([0.0], abs=1e-12)
    noise = np.random.default_rng(0).normal(0.0, 0.2, size=(20000, 1))
    assert tail_noise(ramp.repeat(20, axis=0) + noise, 0.5) == pytest.approx([0.2], rel=0.03)
    assert np.isnan(tail_noise(series[:2], 0.1)).all()
    with pytest.raises(InvalidParam, match="tail"):
        tail_noise(series, 0.0)

"""Comparisons of runs that share their seeds, and how strong a verdict is.

Where runs share their seeds (rates, arms, batch sizes, grid cells), a seed draws the
same batches in the same order for each, and the same initial weights where the
architecture is the same: the seeds pair them. The test is a paired t-test on the
per-seed differences, its interval the differences' Student-t interval (per comparison,
not adjusted; the p-values are). A family of
comparisons, as the question defines it, is corrected with Holm's method.

Strength: a Holm-adjusted p below 0.01 is a finding, at or above 0.1 no difference is
resolved, and in between the verdict is **borderline**: with a handful of seeds, a rerun
on another CPU can move it across 0.05 (measured: four verdicts flipped that way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mlpcnn.common.stats import ALPHA, HOLM, holm, seed_interval

PAIRED_T = "paired t-test"
BORDERLINE = (0.01, 0.1)  # Holm-adjusted p in [low, high): borderline


def paired_p(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided paired t-test p of a - b over shared seeds; None with fewer than two.

    Differences with no spread give 1.0 when they are all 0 and 0.0 otherwise.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return None
    if d.std() == 0:
        return 1.0 if d.mean() == 0 else 0.0
    from scipy.stats import ttest_1samp  # 0.7 s to import: only where a test is run

    return float(ttest_1samp(d, 0.0).pvalue)


def strength(p_holm: float | None, alpha: float = ALPHA) -> str:
    """``distinguishable``, ``borderline`` (either side of alpha) or ``not distinguishable``."""
    if p_holm is None:
        return "not testable"
    if BORDERLINE[0] <= p_holm < BORDERLINE[1]:
        return "borderline"
    return "distinguishable" if p_holm < alpha else "not distinguishable"


def paired_compare(
    pairs: Mapping[str, tuple[Sequence[float], Sequence[float]]], alpha: float = ALPHA
) -> dict[str, dict]:
    """A paired t-test for each named pair ``(a per seed, b per seed)`` (same seed order),
    Holm-corrected as one family.

    Each result: ``difference`` (mean of a - b) with its ``low``/``high`` interval,
    ``p_value``, ``p_holm``, ``distinguishable`` (p_holm < alpha), ``strength``, ``n``,
    ``test``, ``correction``, ``family`` (its size) and ``alpha``.
    """
    diffs = {}
    for name, (a, b) in pairs.items():
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(
                f"{name}: paired values need one per shared seed, got {a.shape} and {b.shape}"
            )
        diffs[name] = a - b
    raw = {name: paired_p(d, np.zeros_like(d)) for name, d in diffs.items()}
    adjusted = holm(raw)
    family = sum(p is not None for p in raw.values())
    out = {}
    for name, d in diffs.items():
        ci = seed_interval(d)
        out[name] = {
            "difference": ci["mean"],
            "low": ci["low"],
            "high": ci["high"],
            "p_value": raw[name],
            "p_holm": adjusted[name],
            "distinguishable": None if adjusted[name] is None else bool(adjusted[name] < alpha),
            "strength": strength(adjusted[name], alpha),
            "n": ci["n"],
            "test": PAIRED_T,
            "correction": HOLM,
            "family": family,
            "alpha": alpha,
        }
    return out


def trend(x: Sequence[float], values: np.ndarray) -> dict:
    """The trend of a quantity along ``x`` (e.g. log2 of width), seed by seed.

    ``values``: shape (seeds, len(x)). Each seed's OLS slope against ``x``; their mean
    with a t-interval, and a two-sided one-sample t-test of the slopes against 0
    (seeds are the replicates: they share nothing but the configuration).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    slopes = np.array([np.polyfit(x, row, 1)[0] for row in y])
    ci = seed_interval(slopes)
    p = paired_p(slopes, np.zeros_like(slopes))
    return {
        "slope": ci["mean"],
        "low": ci["low"],
        "high": ci["high"],
        "p": p,
        "n": ci["n"],
        "strength": strength(p),
        "test": "one-sample t-test of the per-seed OLS slopes",
    }

"""Statistics both studies report: seed intervals, corrected comparisons, paired tests.

- A figure over seeds is a mean with a 95% Student-t interval (``seed_interval``).
- Two sets of seeds are compared with Welch's t-test (``welch_p``), and a family of
  p-values is corrected with Holm's step-down method (``holm``): a difference is called
  distinguishable only when its Holm-adjusted p-value is below alpha.
- Two classifiers on one test set are compared per example with McNemar's exact test
  (``mcnemar``): the examples exactly one of them gets right decide it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

CONFIDENCE = 0.95
ALPHA = 0.05
WELCH = "Welch's t-test"
HOLM = "Holm"


def t_quantile(q: float, df: ArrayLike) -> ArrayLike:
    """Student's t quantile: scipy's ``stdtrit``, what ``scipy.stats.t.ppf`` computes,
    without importing ``scipy.stats`` (0.7 s, in every stage that reports seeds)."""
    return special.stdtrit(df, q)


def seed_interval(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> dict:
    """Mean over seeds with a Student-t interval: ``mean``, ``low``, ``high``, ``sd``, ``n``.

    NaN values (a diverged seed) are left out and counted in ``diverged``; with fewer
    than two finite values the interval is undefined (``low`` and ``high`` are None).
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    n = len(finite)
    out = {
        "mean": float(finite.mean()) if n else None,
        "low": None,
        "high": None,
        "sd": float(finite.std(ddof=1)) if n > 1 else None,
        "n": n,
        "diverged": int(len(values) - n),
    }
    if n > 1:
        half = t_quantile(0.5 + confidence / 2, n - 1) * finite.std(ddof=1) / np.sqrt(n)
        out["low"], out["high"] = float(out["mean"] - half), float(out["mean"] + half)
    return out


def welch_p(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided Welch's t-test p-value; None with fewer than two values on a side.

    Two sets with no spread at all give 1.0 when their means agree and 0.0 otherwise.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        return None
    if a.std() == 0 and b.std() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    from scipy.stats import ttest_ind  # 0.7 s to import: only where a test is run

    return float(ttest_ind(a, b, equal_var=False).pvalue)


def holm(p_values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Holm-adjusted p-values of a family (None stays None and is not counted).

    Sorted ascending, the i-th smallest of m is multiplied by m - i (i from 0), then
    made non-decreasing; a comparison is significant at alpha when its adjusted p is.
    """
    tested = sorted((p, name) for name, p in p_values.items() if p is not None)
    m = len(tested)
    adjusted: dict[str, float | None] = {name: None for name in p_values}
    running = 0.0
    for i, (p, name) in enumerate(tested):
        running = max(running, min(1.0, (m - i) * p))
        adjusted[name] = running
    return adjusted


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> dict:
    """McNemar's exact test of two classifiers on the same examples (two-sided).

    ``correct_a``, ``correct_b``: boolean ``(N,)``, whether each got example i right.
    Only discordant examples count: ``a_only`` (a right, b wrong) and ``b_only``; under
    the null each is a fair coin flip, so p is a binomial test of a_only in a_only + b_only.
    """
    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if correct_a.shape != correct_b.shape or correct_a.ndim != 1:
        raise ValueError(
            f"mcnemar: expected two equal 1-d arrays, got {correct_a.shape} and {correct_b.shape}"
        )
    a_only = int((correct_a & ~correct_b).sum())
    b_only = int((~correct_a & correct_b).sum())
    from scipy.stats import binomtest  # 0.7 s to import: only where a test is run

    p = binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    return {
        "test": "McNemar's exact test",
        "n": len(correct_a),
        "a_only": a_only,
        "b_only": b_only,
        "difference": (a_only - b_only) / len(correct_a),
        "p_value": float(p),
    }

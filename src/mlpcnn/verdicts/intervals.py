"""Intervals that agree with a Holm-adjusted verdict.

A paired comparison's 95% interval is per comparison; its verdict is Holm-adjusted over
the family. Printed side by side, an interval that excludes 0 can sit beside "not
distinguishable". Holm multiplies each p by a factor m (its step's divisor, or a
larger p's): the comparison is claimed when m p < alpha. The t-interval at confidence
1 - alpha / m excludes 0 exactly when p < alpha / m, that is, exactly when the verdict
claims the difference: that is the interval to print beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlpcnn.common.stats import CONFIDENCE, t_quantile


def holm_interval(test: Mapping, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The difference's Student-t interval at the confidence its Holm step used.

    ``test``: a paired comparison (``difference``, ``low`` and ``high`` at
    ``confidence``, ``n``, ``p_value``, ``p_holm``; see ``paired_compare``). None where
    it has no interval. With a family of one, or a p of 0 or 1, it is the interval given.
    """
    low, high, n = test.get("low"), test.get("high"), test.get("n") or 0
    p, adjusted = test.get("p_value"), test.get("p_holm")
    if low is None or high is None or n < 2 or p is None or adjusted is None:
        return None
    if p <= 0 or adjusted <= p:
        return low, high
    level = 1 - (1 - confidence) * p / adjusted  # 1 - alpha / m
    scale = t_quantile(0.5 + level / 2, n - 1) / t_quantile(0.5 + confidence / 2, n - 1)
    middle, half = (low + high) / 2, (high - low) / 2 * scale
    return middle - half, middle + half

"""Whether a headline figure moved between two runs of the study, more than its seeds do.

A headline figure of a stage (``metrics/<stage>.json``) is a mean over seeds, and the
stage's summary keeps each seed's value (``per_seed``). Two runs are compared:

- **paired** (Student's t on the per-seed differences) when both ran the same seeds:
  a seed starts both runs from the same weights and batches, so the difference of a
  seed is the change's effect on that draw;
- **Welch's t-test** when the seed sets are disjoint (independent groups);
- **not compared** when the seed sets overlap only in part, or a side has one seed;
- **McNemar's exact test** on the test images for a single-run figure whose runs kept
  their predictions (the deepfake baselines).

The p-values of one comparison of two revisions form one family, Holm-adjusted. A
verdict is "higher" or "lower" when the adjusted p is below alpha, "not distinguishable
with N seeds" otherwise, and "borderline" when the adjusted p lies in [0.01, 0.1) (a rerun
on another CPU can move such a p across 0.05).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from mlpcnn.common.stats import (
    CONFIDENCE,
    WELCH,
    holm,
    mcnemar,
    seed_interval,
    t_quantile,
    welch_p,
)
from mlpcnn.verdicts.paired import BORDERLINE, paired_p

ALPHA = 0.05
PAIRED = "paired t-test over seeds"
MCNEMAR = "McNemar's exact test"


def seed_change(old: Mapping[int, float | None], new: Mapping[int, float | None]) -> dict:
    """One figure's per-seed values (seed -> value; None = diverged) at two revisions:
    the means with their 95% intervals, the difference (new - old) with its interval,
    the test that fits the seeds, and its raw p-value (``p_value``; None when not
    compared, with the reason in ``note``)."""
    row = {
        "old": seed_interval(_values(old.values())),
        "new": seed_interval(_values(new.values())),
        "difference": None, "difference_low": None, "difference_high": None,
        "test": None, "p_value": None, "n": None, "note": None,
    }  # fmt: skip
    shared = set(old) & set(new)
    if row["old"]["n"] == 0 or row["new"]["n"] == 0:
        return row | {"note": "no finite value on one side"}
    if set(old) == set(new):
        pairs = [(old[s], new[s]) for s in sorted(shared)]
        kept = [(a, b) for a, b in pairs if _finite(a) and _finite(b)]
        # A seed that diverged on one side only is a change, never left out in silence.
        lost = [a for a, b in pairs if _finite(a) != _finite(b)]
        note = f"{len(lost)} seed(s) diverged on one side only" if lost else None
        diff = np.array([b - a for a, b in kept])
        row |= {
            "difference": float(diff.mean()) if len(diff) else None,
            "n": len(diff),
            "note": note,
        }
        if len(diff) < 2:
            return row | {"note": f"single seed ({len(diff)} paired)"}
        if np.all(diff == 0) and not lost:
            return row | {"difference_low": 0.0, "difference_high": 0.0, "note": "unchanged"}
        interval = seed_interval(diff)  # the t-interval of the per-seed differences
        return row | {
            "difference_low": interval["low"], "difference_high": interval["high"],
            "test": PAIRED, "p_value": paired_p(diff, np.zeros_like(diff)),
        }  # fmt: skip
    if shared:
        return row | {
            "note": f"seed sets differ ({len(shared)} shared of {len(set(old) | set(new))})"
        }
    a, b = _values(old.values()), _values(new.values())
    row |= {"difference": float(b.mean() - a.mean()), "n": min(len(a), len(b))}
    if len(a) < 2 or len(b) < 2:
        return row | {"note": "single seed"}
    low, high = _welch_interval(a, b)
    return row | {"difference_low": low, "difference_high": high, "test": WELCH,
                  "p_value": welch_p(b, a)}  # fmt: skip


def prediction_change(old_correct: np.ndarray, new_correct: np.ndarray) -> dict:
    """One run's test predictions at two revisions, image by image: McNemar's exact test
    (``old_correct``, ``new_correct``: whether each test image was classified right)."""
    test = mcnemar(new_correct, old_correct)
    same = bool(np.array_equal(old_correct, new_correct))  # no test: it costs the family
    return {
        "old": {"mean": float(np.mean(old_correct))}, "new": {"mean": float(np.mean(new_correct))},
        "difference": test["difference"], "difference_low": None, "difference_high": None,
        "test": None if same else MCNEMAR, "p_value": None if same else test["p_value"],
        "n": test["n"], "note": "unchanged" if same else None,
    }  # fmt: skip


def value_change(old: object, new: object) -> dict:
    """A figure with no per-seed values (a chosen learning rate, 1-NN's accuracy)."""
    return {
        "old": {"mean": old}, "new": {"mean": new}, "difference": None, "difference_low": None,
        "difference_high": None, "test": None, "p_value": None, "n": None,
        "note": "unchanged" if old == new else "changed (no per-seed values: not testable)",
    }  # fmt: skip


def with_verdicts(rows: Sequence[dict], alpha: float = ALPHA) -> list[dict]:
    """Holm-adjust the tested rows' p-values as one family and give every row its verdict."""
    adjusted = holm({i: r["p_value"] for i, r in enumerate(rows)})
    family = sum(p is not None for p in adjusted.values())
    return [r | {"p_holm": adjusted[i], "family": family, "alpha": alpha,
                 "verdict": verdict(r, adjusted[i], alpha)}
            for i, r in enumerate(rows)]  # fmt: skip


def verdict(row: Mapping, p_holm: float | None, alpha: float = ALPHA) -> str:
    """The row's verdict in the report's words (its note, if any, after a semicolon)."""
    if p_holm is None:
        return row["note"] or "not compared"
    unit = "test images" if row["test"] == MCNEMAR else "seeds"
    borderline = " (borderline)" if BORDERLINE[0] <= p_holm < BORDERLINE[1] else ""
    if p_holm < alpha:
        words = ("higher" if row["difference"] > 0 else "lower") + borderline
    else:
        words = f"not distinguishable with {row['n']} {unit}{borderline}"
    return f"{words}; {row['note']}" if row["note"] else words


def _welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return float(b.mean() - a.mean()), float(b.mean() - a.mean())
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * se
    return float(b.mean() - a.mean() - half), float(b.mean() - a.mean() + half)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _values(values) -> np.ndarray:
    return np.array([v for v in values if _finite(v)], dtype=np.float64)

"""What a run's training curves did, by a stated rule that can return each verdict.

A run is one configuration trained with several seeds; each seed gives per-epoch
training and validation losses. Epoch-to-epoch noise of Adam is 5-15% of the loss
here, so levels are read on running means of ``smooth`` epochs. The rule reads, in
this order, and stops at the first that holds:

1. **diverged**: a loss is NaN or infinite in most seeds.
2. **stuck at the class prior**: in most seeds the lowest validation loss never falls
   more than ``prior_tolerance`` (relative) below the loss of predicting the class
   frequencies.
3. **unstable**: in most seeds the training loss ends more than ``rise`` (relative)
   above its own lowest level: the optimiser undoes its progress on the data it trains
   on, which is not overfitting.
4. **overfitting**: in most seeds the validation loss ends more than ``rise`` above its
   lowest level while the training loss does not.
5. **oscillating**: in most seeds the training loss rose more than ``rise`` above its
   lowest level so far at some epoch, and came back down by the end.
6. **still improving**: over the last ``window`` epochs the validation loss falls: the
   seeds' relative drops over the window (from each seed's OLS slope) are above 0 by a
   one-sided one-sample t-test, p < ``alpha``, and their mean is at least ``min_drop``.
   More epochs would still help: under-trained.
7. **worsening**: the mirror image: the drops are below 0 by the opposite one-sided
   test and their mean is a rise of at least ``min_drop``.
8. **converged**: the seeds' mean drop is within ``min_drop`` either way, by two
   one-sided tests (both p < ``alpha``; the larger is the p printed): the loss has
   levelled off.
9. **trend not resolved**: none of these holds with these seeds.

A run of fewer than ``2 x window`` epochs reads its trend over its last ``epochs // 2``
epochs (at least 3).
A run with fewer than three epochs is **too short** to read a trend from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

DIVERGED = "diverged"
STUCK = "stuck at the class prior"
UNSTABLE = "unstable"
OVERFITTING = "overfitting"
OSCILLATING = "oscillating"
IMPROVING = "still improving"
WORSENING = "worsening"
CONVERGED = "converged"
UNRESOLVED = "trend not resolved"
TOO_SHORT = "too short"
VERDICTS = (DIVERGED, STUCK, UNSTABLE, OVERFITTING, OSCILLATING, IMPROVING, WORSENING,
            CONVERGED, UNRESOLVED, TOO_SHORT)  # fmt: skip
SEED_FLAGS = (DIVERGED, STUCK, UNSTABLE, OVERFITTING, OSCILLATING)  # per seed, then by majority


@dataclass(frozen=True)
class CurveRule:
    """The thresholds of the rule (module docstring); the defaults are the report's."""

    rise: float = 0.2  # relative rise of a smoothed end level above its lowest level
    smooth: int = 5  # epochs in a running mean
    prior_tolerance: float = 0.02  # relative distance from the class-prior loss
    window: int = 10  # last epochs the trend is read over
    alpha: float = 0.05  # one-sided p of the trend
    min_drop: float = 0.02  # mean relative fall of the validation loss over the window

    def text(self) -> str:
        """The rule in one sentence, as the report states it."""
        return (
            f"levels are running means of {self.smooth} epochs; diverged if a loss is not finite; "
            f"stuck if the lowest validation loss never falls {self.prior_tolerance:.0%} below the "
            f"class-prior loss; unstable if the training loss ends over {self.rise:.0%} above its "
            f"lowest level; overfitting if instead only the validation loss does; oscillating "
            f"if the training loss rose over {self.rise:.0%} above its lowest level so far and "
            f"came back (each in most seeds); still improving if over the last {self.window} "
            f"epochs the seeds' relative falls of the validation loss (OLS slope; the second "
            f"half of a shorter run) are above 0 by a one-sided t-test (p < {self.alpha:g}) and "
            f"{self.min_drop:.0%} on average; worsening if instead they are below 0 and a rise "
            f"of {self.min_drop:.0%} on average; converged if they are within "
            f"{self.min_drop:.0%} either way by two one-sided tests; otherwise the trend is "
            "not resolved"
        )


RULE = CurveRule()


def running_mean(values: Sequence[float], width: int) -> np.ndarray:
    """Means of ``width`` consecutive values (all of them when there are fewer)."""
    y = np.asarray(values, dtype=np.float64)
    width = max(1, min(width, len(y)))
    return np.convolve(y, np.ones(width) / width, mode="valid")


def relative_drop(values: Sequence[float], window: int) -> float:
    """How far the OLS line through the last ``window`` values falls over them, relative
    to where it starts (0.1: the fitted loss falls by 10% of its level at the window's
    start; at most 1)."""
    y = np.asarray(values, dtype=np.float64)[-window:]
    if len(y) < 3:
        return float("nan")
    x = np.arange(len(y), dtype=np.float64)
    b = np.polyfit(x, y, 1)[0]
    start = y.mean() - b * x.mean()
    return float(-b * x[-1] / start) if start > 0 else float("nan")


def seed_flags(
    train_loss: Sequence[float],
    val_loss: Sequence[float],
    prior_loss: float,
    rule: CurveRule = RULE,
) -> dict:
    """One seed: ``flag`` (the first of SEED_FLAGS that holds, else None) and the
    numbers read: smoothed rises of both losses, the best epoch, the window's drop."""
    train = np.asarray(train_loss, dtype=np.float64)
    val = np.asarray(val_loss, dtype=np.float64)
    if not (np.isfinite(train).all() and np.isfinite(val).all()):
        return {"flag": DIVERGED}
    t, v = running_mean(train, rule.smooth), running_mean(val, rule.smooth)
    out = {
        "train_rise": float(t[-1] / t.min() - 1),
        "train_swing": float(np.max(t / np.minimum.accumulate(t)) - 1),
        "val_rise": float(v[-1] / v.min() - 1),
        "best_epoch": int(np.argmin(val)) + 1,
        "drop": relative_drop(val, rule.window),
    }
    if val.min() >= prior_loss * (1 - rule.prior_tolerance):
        flag = STUCK
    elif out["train_rise"] > rule.rise:
        flag = UNSTABLE
    elif out["val_rise"] > rule.rise:
        flag = OVERFITTING
    elif out["train_swing"] > rule.rise:
        flag = OSCILLATING
    else:
        flag = None
    return {**out, "flag": flag}


def trend_p(drops: Sequence[float], above: float = 0.0, alternative: str = "greater") -> float:
    """One-sided one-sample t-test of the mean drop against ``above``: ``greater`` (it
    still falls) or ``less`` (it falls by less than that); 1.0 if untestable."""
    d = np.asarray(drops, dtype=np.float64)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return 1.0
    if d.std() == 0:
        holds = d.mean() > above if alternative == "greater" else d.mean() < above
        return 0.0 if holds else 1.0
    from scipy.stats import ttest_1samp  # 0.7 s to import: only where a curve is read

    return float(ttest_1samp(d, above, alternative=alternative).pvalue)


def classify_run(history: pd.DataFrame, prior_loss: float, rule: CurveRule = RULE) -> dict:
    """A run's seeds (``history``: epoch, seed, train_loss, val_loss): its ``verdict``,
    the per-seed ``flags`` and their ``counts``, the window's mean ``drop`` and the p of
    each trend hypothesis: ``p`` (it falls), ``p_rise`` (it rises), ``p_level`` (within
    ``min_drop`` either way: the larger of the two one-sided tests)."""
    seeds = {
        int(seed): rows.sort_values("epoch") for seed, rows in history.groupby("seed", sort=True)
    }
    n = len(seeds)
    epochs = min((len(r) for r in seeds.values()), default=0)
    # a short run reads its trend over its second half
    rule = replace(rule, window=min(rule.window, max(3, epochs // 2)))
    per_seed = {s: seed_flags(r["train_loss"], r["val_loss"], prior_loss, rule)
                for s, r in seeds.items()}  # fmt: skip
    counts = Counter(f["flag"] for f in per_seed.values() if f["flag"])
    drops = [f["drop"] for f in per_seed.values() if f["flag"] != DIVERGED]
    out = {
        "seeds": n,
        "epochs": epochs,
        "counts": dict(counts),
        "per_seed": per_seed,
        "drop": float(np.nanmean(drops)) if np.isfinite(drops).any() else None,
        "p": trend_p(drops),
        "p_rise": trend_p(drops, 0.0, "less"),
        "p_level": max(
            trend_p(drops, rule.min_drop, "less"), trend_p(drops, -rule.min_drop, "greater")
        ),
        "window": rule.window,
    }
    majority = next((f for f in SEED_FLAGS if counts.get(f, 0) * 2 > n), None)
    if majority:
        verdict = majority
    elif epochs < 3:
        verdict = TOO_SHORT
    elif out["p"] < rule.alpha and out["drop"] >= rule.min_drop:
        verdict = IMPROVING
    elif out["p_rise"] < rule.alpha and out["drop"] <= -rule.min_drop:
        verdict = WORSENING
    elif out["p_level"] < rule.alpha:
        verdict = CONVERGED
    else:
        verdict = UNRESOLVED
    return {**out, "verdict": verdict}

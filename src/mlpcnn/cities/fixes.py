"""Reading the fixes of the deep network (6.2 Q6): each arm's accuracy, dead layers and
gradient flow, the best fix by a stated rule, and every arm tested against the control.

The flow of an arm is read on the scale-free ratio ||grad W|| / ||W|| of each hidden
layer: per epoch, the *span* is max minus min over layers of log10 of its median over
seeds; an arm keeps the flow when its span stays within ``max_span`` decades at every
epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlpcnn.cities.training import TrainResult
from mlpcnn.common.stats import seed_interval

ARM_KEYS = ("depth", "width", "residual", "zero_branch", "batchnorm", "init", "standardise")
MODEL_OVERRIDES = ("depth", "width", "residual", "zero_branch", "batchnorm", "init")  # of MLPConfig
RATIO = (
    "per batch ||grad W|| / ||W|| of each hidden layer (W before the step; batches where "
    "||W|| = 0 are left out), per epoch the mean over batches"
)
SPAN = (
    "per epoch, max minus min over layers of log10 of the median (over seeds) ratio; "
    "worst_span is its maximum over epochs; a layer whose ratio is 0 in every seed (dead, "
    "or a gradient below float32's smallest normal, 1.2e-38, which training flushes to "
    "zero) is left out, so a span is a lower bound"
)
BEST_FIX_RULE = (
    "among the deep arms with no dead layer in any seed and a span within max_span_decades "
    "at every epoch, the highest mean validation accuracy; else the highest mean validation "
    "accuracy"
)


def log_median(ratios: np.ndarray) -> np.ndarray:
    """``(epochs, layers, R)`` -> ``(epochs, layers)``: log10 of the median over seeds
    of the positive ratios (NaN where none is positive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.nanmedian(np.where(ratios > 0, ratios, np.nan), axis=2))


def spans(ratios: np.ndarray) -> np.ndarray:
    """``(epochs,)``: per epoch, max minus min over layers of :func:`log_median`."""
    median = log_median(ratios)
    return np.nanmax(median, axis=1) - np.nanmin(median, axis=1)


def summarise_arm(
    arm: Mapping, hidden_layers: int, result: TrainResult, ratios: np.ndarray,
    dead: np.ndarray, max_span: float,
) -> dict:  # fmt: skip
    """An arm's figures: validation accuracy with a 95% t-interval, dead layers
    (``dead``: ``(R, layers)``), the span of its ratios (``(epochs, layers, R)``)."""
    val = result.final("val_acc")  # (R,)
    interval = seed_interval(val)
    per_epoch = spans(ratios)
    return {
        "arm": dict(arm),
        "hidden_layers": hidden_layers,
        "val_acc": val.tolist(),
        "table": {
            "hidden_layers": hidden_layers,
            "val_acc_mean": float(val.mean()),
            "val_acc_low": interval["low"],
            "val_acc_high": interval["high"],
            "seeds_with_dead_layer": int(dead.any(axis=1).sum()),
            "dead_layers_total": int(dead.sum()),
            "worst_span_decades": float(np.max(per_epoch)),
            "within_span": bool(np.max(per_epoch) <= max_span),
            "first_epoch_val_loss": float(result.history["val_loss"][0].mean()),
        },
        "span_per_epoch": per_epoch.tolist(),
    }


def pick_best(arms: Mapping[str, dict], deep: Sequence[str]) -> str:
    """The best fix among ``deep`` by :data:`BEST_FIX_RULE` (``arms``: :func:`summarise_arm`'s)."""
    ok = [
        n
        for n in deep
        if arms[n]["table"]["seeds_with_dead_layer"] == 0 and arms[n]["table"]["within_span"]
    ]
    return max(ok or deep, key=lambda n: arms[n]["table"]["val_acc_mean"])


def fixes_summary(arms: Mapping[str, dict], deep: Sequence[str], controls: Sequence[str]) -> dict:
    """The best fix and the best control (the arms' paired tests against it are
    :func:`mlpcnn.verdicts.cities.residual_study`'s)."""
    control = max(controls, key=lambda n: arms[n]["table"]["val_acc_mean"])
    return {
        "ratio": RATIO,
        "span": SPAN,
        "best_fix": pick_best(arms, deep),
        "best_fix_rule": BEST_FIX_RULE,
        "control": control,
        "arms": dict(arms),
    }


def arms_table(arms: Mapping[str, dict]) -> pd.DataFrame:
    """A row per arm: its ``table`` figures."""
    return pd.DataFrame([{"arm": n, **a["table"]} for n, a in arms.items()])


def last_epoch_ratios(ratios: Mapping[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """Per arm, log10 of the median ratio per layer in the last epoch (layer, log10_ratio)."""
    return {
        n: pd.DataFrame({"layer": np.arange(r.shape[1]), "log10_ratio": log_median(r[-1:])[0]})
        for n, r in ratios.items()
    }

"""Reading a grid of trained cells: summaries over seeds, best and worst, fit verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

SPLITS = ("train", "val", "test")


def summarise_cells(histories: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per cell: mean and standard deviation over seeds of the final accuracies.

    ``histories[cell]`` has one row per (seed, epoch) with ``<split>_acc`` columns.
    Columns: ``<split>_acc_mean``, ``<split>_acc_std`` (ddof 1; 0 for one seed), ``seeds``.
    """
    rows = {}
    for cell, history in histories.items():
        final = history[history["epoch"] == history["epoch"].max()]
        row: dict[str, float] = {"seeds": len(final)}
        for split in SPLITS:
            values = final[f"{split}_acc"].to_numpy()
            row[f"{split}_acc_mean"] = float(values.mean())
            row[f"{split}_acc_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        rows[cell] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def best_and_worst(table: pd.DataFrame) -> tuple[str, str]:
    """The cells with the highest and the lowest mean validation accuracy."""
    ranked = table["val_acc_mean"].sort_values(ascending=False, kind="stable")
    return str(ranked.index[0]), str(ranked.index[-1])


def significantly_different(table: pd.DataFrame, a: str, b: str, alpha: float = 0.05) -> dict:
    """Welch's t-test on the two cells' final validation accuracies over seeds."""
    ra, rb = table.loc[a], table.loc[b]
    if min(ra["seeds"], rb["seeds"]) < 2:
        return {
            "difference": float(ra["val_acc_mean"] - rb["val_acc_mean"]),
            "p_value": None,
            "real": None,
            "alpha": alpha,
            "test": "Welch's t-test",
        }
    result = stats.ttest_ind_from_stats(
        ra["val_acc_mean"], ra["val_acc_std"], ra["seeds"],
        rb["val_acc_mean"], rb["val_acc_std"], rb["seeds"], equal_var=False,
    )  # fmt: skip
    p = float(result.pvalue) if np.isfinite(result.pvalue) else 1.0
    return {
        "difference": float(ra["val_acc_mean"] - rb["val_acc_mean"]),
        "p_value": p,
        "real": p < alpha,
        "alpha": alpha,
        "test": "Welch's t-test",
    }


def mean_curves(history: pd.DataFrame) -> pd.DataFrame:
    """Per epoch, mean and standard deviation over seeds of every metric column."""
    metrics = [c for c in history.columns if c not in ("epoch", "seed")]
    grouped = history.groupby("epoch")[metrics]
    means = grouped.mean().add_suffix("_mean")
    stds = grouped.std(ddof=1).fillna(0.0).add_suffix("_std")
    return pd.concat([means, stds], axis=1).reset_index()


@dataclass(frozen=True)
class FitRule:
    """How a verdict is read off the mean curves (stated in the metrics with every verdict).

    - overfitting: final train accuracy exceeds final validation accuracy by more than
      ``overfit_gap`` and the final validation loss is more than ``overfit_rise`` above its
      minimum (relative);
    - underfitting: final train accuracy is more than ``underfit_margin`` below
      ``reference`` (the validation accuracy of 1-nearest-neighbour: what the data allows);
    - otherwise a good fit.
    """

    overfit_gap: float = 0.01
    overfit_rise: float = 0.05
    underfit_margin: float = 0.02

    def describe(self) -> str:
        return (
            f"overfitting if final train acc - final val acc > {self.overfit_gap:g} and final "
            f"val loss > (1 + {self.overfit_rise:g}) x its minimum; underfitting if final train "
            f"acc < reference (1-NN val acc) - {self.underfit_margin:g}; otherwise good fit"
        )

    def as_dict(self) -> dict:
        return asdict(self) | {"rule": self.describe()}


def fit_verdict(curves: pd.DataFrame, reference: float, rule: FitRule) -> dict:
    """The verdict for one cell from its mean curves (see :class:`FitRule`)."""
    last = curves.iloc[-1]
    gap = float(last["train_acc_mean"] - last["val_acc_mean"])
    rise = float(last["val_loss_mean"] / curves["val_loss_mean"].min() - 1)
    shortfall = float(reference - last["train_acc_mean"])
    if gap > rule.overfit_gap and rise > rule.overfit_rise:
        verdict = "overfitting"
    elif shortfall > rule.underfit_margin:
        verdict = "underfitting"
    else:
        verdict = "good fit"
    return {
        "verdict": verdict,
        "train_val_gap": gap,
        "val_loss_rise_from_min": rise,
        "train_acc_below_reference": shortfall,
    }


def representative_seed(history: pd.DataFrame) -> int:
    """The seed whose final validation accuracy is closest to the mean over seeds."""
    final = history[history["epoch"] == history["epoch"].max()].reset_index(drop=True)
    distance = (final["val_acc"] - final["val_acc"].mean()).abs()
    return int(final["seed"].iloc[int(distance.to_numpy().argmin())])

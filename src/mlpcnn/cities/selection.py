"""Reading runs over seeds: final figures with intervals, mean curves, best and worst, fits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlpcnn.cities.stats import seed_interval, t_quantile

SPLITS = ("train", "val", "test")


def summarise_cells(histories: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per cell: the final epoch's accuracies over seeds, as the course reads them.

    ``histories[cell]`` has one row per (seed, epoch) with ``<split>_acc`` columns.
    Columns: ``<split>_acc_mean``, ``<split>_acc_std`` (ddof 1; 0 for one seed),
    ``<split>_acc_low`` and ``_high`` (95% t-interval; the mean for one seed), ``seeds``.
    """
    rows = {}
    for cell, history in histories.items():
        final = history[history["epoch"] == history["epoch"].max()]
        row: dict[str, float] = {"seeds": len(final)}
        for split in SPLITS:
            interval = seed_interval(final[f"{split}_acc"].to_numpy())
            mean = interval["mean"]
            row[f"{split}_acc_mean"] = mean
            row[f"{split}_acc_std"] = interval["sd"] or 0.0
            row[f"{split}_acc_low"] = mean if interval["low"] is None else interval["low"]
            row[f"{split}_acc_high"] = mean if interval["high"] is None else interval["high"]
        rows[cell] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def best_and_worst(table: pd.DataFrame) -> tuple[str, str]:
    """The cells with the highest and the lowest mean validation accuracy."""
    ranked = table["val_acc_mean"].sort_values(ascending=False, kind="stable")
    return str(ranked.index[0]), str(ranked.index[-1])


def mean_curves(history: pd.DataFrame, x: str = "epoch") -> pd.DataFrame:
    """Per ``x``, over seeds: ``<column>_mean``, ``_std``, 95% t-interval ``_low``, ``_high``.

    With one seed the interval collapses to the mean.
    """
    metrics = [c for c in history.columns if c not in (x, "seed")]
    grouped = history.groupby(x)[metrics]
    means = grouped.mean()
    stds = grouped.std(ddof=1).fillna(0.0)
    counts = grouped.count()
    half = stds * t_quantile(0.975, np.maximum(counts - 1, 1)) / np.sqrt(counts)
    half = half.where(counts > 1, 0.0)
    return pd.concat(
        [means.add_suffix("_mean"), stds.add_suffix("_std"),
         (means - half).add_suffix("_low"), (means + half).add_suffix("_high")],
        axis=1,
    ).reset_index()  # fmt: skip


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

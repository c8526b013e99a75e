"""Reading runs over seeds: final figures with intervals, mean curves, best and worst, fits."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlpcnn.common.stats import compare, seed_interval, t_quantile

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


def grid_table(histories: Mapping[str, pd.DataFrame], shapes: Mapping[str, dict]) -> pd.DataFrame:
    """:func:`summarise_cells` with each cell's ``depth`` and ``width`` (from ``shapes``)."""
    table = summarise_cells(histories)
    table.insert(0, "depth", [shapes[c]["depth"] for c in table.index])
    table.insert(1, "width", [shapes[c]["width"] for c in table.index])
    return table


def cell_record(table: pd.DataFrame, cell: str) -> dict:
    """One row of :func:`grid_table` as plain numbers."""
    row = table.loc[cell]
    return {k: (int(v) if k in ("depth", "width", "seeds") else float(v)) for k, v in row.items()}


def selection_summary(
    table: pd.DataFrame,
    histories: Mapping[str, pd.DataFrame],
    curves: Mapping[str, pd.DataFrame],
    reference: float,
    rule: FitRule,
) -> dict:
    """Best and worst cell with their fit verdicts, the ranking, and every pair of cells
    on the final validation accuracy over seeds (one Holm family: best against worst is
    one of its members, so picking the extremes is paid for)."""
    best, worst = best_and_worst(table)
    verdicts = {c: fit_verdict(curves[c], reference, rule) for c in table.index}
    ranked = table.sort_values("val_acc_mean", ascending=False, kind="stable").index.tolist()
    final = {c: h.loc[h["epoch"] == h["epoch"].max(), "val_acc"].to_numpy()
             for c, h in histories.items()}  # fmt: skip
    pairs = compare({f"{a} vs {b}": (final[a], final[b])
                     for a, b in itertools.combinations(ranked, 2)})  # fmt: skip
    return {
        "best": {"cell": best, **cell_record(table, best), **verdicts[best]},
        "worst": {"cell": worst, **cell_record(table, worst), **verdicts[worst]},
        "fit_rule": rule.as_dict(),
        "ranking_by_val_acc": ranked,
        "comparisons": pairs,
        "adjacent": [f"{a} vs {b}" for a, b in itertools.pairwise(ranked)],
        "best_vs_worst": pairs[f"{best} vs {worst}"],
        "not_distinguishable_from_best": [
            c for c in ranked[1:] if not pairs[f"{best} vs {c}"]["distinguishable"]
        ],
        "cells": {
            c: {**cell_record(table, c), "verdict": verdicts[c]["verdict"]} for c in table.index
        },
    }


def encoding_comparison(histories: Mapping[str, pd.DataFrame], new: str, old: str) -> dict:
    """Two inputs to the same network, trained on the same seeds: each one's final
    accuracies (:func:`summarise_cells`, under its name; the frame itself as ``table``),
    ``new`` minus ``old`` per split, and Welch's test on the final validation accuracy."""
    table = summarise_cells(histories)
    final = {n: h.loc[h["epoch"] == h["epoch"].max(), "val_acc"].to_numpy()
             for n, h in histories.items()}  # fmt: skip
    return {
        "table": table,
        **{n: {k: float(v) for k, v in table.loc[n].items() if k != "seeds"} for n in histories},
        f"difference_{new}_minus_{old}": {
            f"{split}_acc": float(
                table.loc[new, f"{split}_acc_mean"] - table.loc[old, f"{split}_acc_mean"]
            )
            for split in SPLITS
        },
        "val_difference_test": compare({f"{new} vs {old}": (final[new], final[old])})[
            f"{new} vs {old}"
        ],
    }

"""Reading runs over seeds: final figures with intervals, mean curves, best and worst, fits."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mlpcnn.common.stats import seed_interval, t_quantile

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


def selection_summary(table: pd.DataFrame) -> dict:
    """Best and worst cell and the ranking by mean final validation accuracy; each cell's
    figures (the tests and fit verdicts are :func:`mlpcnn.verdicts.cities.grid`'s)."""
    best, worst = best_and_worst(table)
    ranked = table.sort_values("val_acc_mean", ascending=False, kind="stable").index.tolist()
    return {
        "best": {"cell": best, **cell_record(table, best)},
        "worst": {"cell": worst, **cell_record(table, worst)},
        "ranking_by_val_acc": ranked,
        "cells": {c: cell_record(table, c) for c in table.index},
    }


def encoding_comparison(histories: Mapping[str, pd.DataFrame], new: str, old: str) -> dict:
    """Two inputs to the same network, trained on the same seeds: each one's final
    accuracies (:func:`summarise_cells`, under its name; the frame itself as ``table``),
    ``new`` minus ``old`` per split (the paired test is
    :func:`mlpcnn.verdicts.cities.implicit`'s)."""
    table = summarise_cells(histories)
    return {
        "table": table,
        **{n: {k: float(v) for k, v in table.loc[n].items() if k != "seeds"} for n in histories},
        f"difference_{new}_minus_{old}": {
            f"{split}_acc": float(
                table.loc[new, f"{split}_acc_mean"] - table.loc[old, f"{split}_acc_mean"]
            )
            for split in SPLITS
        },
    }

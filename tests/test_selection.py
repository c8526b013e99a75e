from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpcnn.cities.selection import (
    best_and_worst,
    cell_record,
    encoding_comparison,
    grid_table,
    mean_curves,
    representative_seed,
    selection_summary,
    summarise_cells,
)


def history(final_val: list[float], epochs: int = 3, train_offset: float = 0.0) -> pd.DataFrame:
    """Per-seed histories whose last epoch has the given validation accuracies."""
    rows = []
    for seed, val in enumerate(final_val):
        for epoch in range(1, epochs + 1):
            acc = val * epoch / epochs
            rows.append({"seed": seed, "epoch": epoch, "train_acc": acc + train_offset,
                         "val_acc": acc, "test_acc": acc - 0.01, "val_loss": 1.0 / epoch})  # fmt: skip
    return pd.DataFrame(rows)


def test_summary_best_and_worst_on_hand_made_histories() -> None:
    table = summarise_cells(
        {"a": history([0.90, 0.92]), "b": history([0.95, 0.97]), "c": history([0.80, 0.82])}
    )
    assert table.loc["b", "val_acc_mean"] == pytest.approx(0.96)
    assert table.loc["b", "val_acc_std"] == pytest.approx(np.std([0.95, 0.97], ddof=1))
    assert table.loc["a", "test_acc_mean"] == pytest.approx(0.90)
    assert best_and_worst(table) == ("b", "c")


def test_one_seed_has_zero_spread_a_collapsed_interval_and_no_test() -> None:
    table = summarise_cells({"a": history([0.9]), "b": history([0.8])})
    assert table.loc["a", "val_acc_std"] == 0.0
    assert table.loc["a", "val_acc_low"] == table.loc["a", "val_acc_high"] == 0.9


def test_interval_of_the_final_epoch() -> None:
    table = summarise_cells({"a": history([0.950, 0.960, 0.955])})
    half = 4.302652729911275 * 0.005 / np.sqrt(3)  # t(0.975, 2) x sd / sqrt(n)
    assert table.loc["a", "val_acc_low"] == pytest.approx(0.955 - half)
    assert table.loc["a", "val_acc_high"] == pytest.approx(0.955 + half)


def curves(train_acc: float, val_acc: float, val_losses: list[float]) -> pd.DataFrame:
    n = len(val_losses)
    return pd.DataFrame({"epoch": range(1, n + 1), "train_acc_mean": [train_acc] * n,
                         "val_acc_mean": [val_acc] * n, "val_loss_mean": val_losses})  # fmt: skip


def test_mean_curves_and_representative_seed() -> None:
    h = history([0.90, 0.96, 0.94])
    c = mean_curves(h)
    assert list(c["epoch"]) == [1, 2, 3]
    assert c["val_acc_mean"].iloc[-1] == pytest.approx(np.mean([0.90, 0.96, 0.94]))
    assert c["val_acc_std"].iloc[-1] == pytest.approx(np.std([0.90, 0.96, 0.94], ddof=1))
    half = 4.302652729911275 * np.std([0.90, 0.96, 0.94], ddof=1) / np.sqrt(3)
    assert c["val_acc_high"].iloc[-1] - c["val_acc_mean"].iloc[-1] == pytest.approx(half)
    assert representative_seed(h) == 2  # 0.94 is closest to the mean 0.9333


def test_selection_summary_names_the_extremes_and_ranks_the_cells() -> None:
    histories = {"a": history([0.90, 0.92]), "b": history([0.95, 0.97]), "c": history([0.80, 0.82])}
    shapes = {"a": {"depth": 1, "width": 16}, "b": {"depth": 6, "width": 16},
              "c": {"depth": 6, "width": 8}}  # fmt: skip
    table = grid_table(histories, shapes)
    assert table.loc["c", "width"] == 8 and cell_record(table, "b")["depth"] == 6
    summary = selection_summary(table)
    assert (summary["best"]["cell"], summary["worst"]["cell"]) == ("b", "c")
    assert summary["ranking_by_val_acc"] == ["b", "a", "c"]
    assert summary["best"]["val_acc_mean"] == pytest.approx(0.96)
    assert summary["cells"]["a"]["width"] == 16  # the tests and verdicts: mlpcnn.verdicts


def test_encoding_comparison_is_new_minus_old() -> None:
    histories = {"raw": history([0.90, 0.92]), "sine": history([0.95, 0.96])}
    comparison = encoding_comparison(histories, "sine", "raw")
    assert comparison["sine"]["val_acc_mean"] == pytest.approx(0.955)
    assert comparison["difference_sine_minus_raw"]["val_acc"] == pytest.approx(0.045)
    assert "val_difference_test" not in comparison  # paired: mlpcnn.verdicts.cities.implicit
    assert list(comparison["table"].index) == ["raw", "sine"]

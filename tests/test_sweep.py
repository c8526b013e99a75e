"""The encoding sweep's comparisons with 1-NN on hand-made predictions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from mlpcnn.cities.sweep import sweep_summary, sweep_table, versus_nearest
from mlpcnn.verdicts.cities import encodings_versus_nearest


def compared(ahead: int, behind: int, seeds=(0, 1)) -> dict:
    """Seeds that get ``ahead`` cities right that 1-NN gets wrong, and ``behind`` the
    other way, of 200 test cities; the first 20 cities sit at a border."""
    n = 200
    nearest = np.ones(n, bool)
    nearest[:ahead] = False
    correct = np.ones((len(seeds), n), bool)
    correct[:, ahead : ahead + behind] = False
    neighbourhood = np.zeros(n, int)
    neighbourhood[:20] = 1
    return versus_nearest(correct, correct[0], nearest, neighbourhood, list(seeds))


def test_versus_nearest_counts_discordant_cities_per_seed_and_by_neighbourhood() -> None:
    v = compared(ahead=15, behind=3)
    test = v["versus_nearest_neighbour"]["per_seed"]["0"]
    assert (test["a_only"], test["b_only"]) == (15, 3)
    assert test["p_value"] == pytest.approx(binomtest(15, 18, 0.5).pvalue)
    assert v["test_acc_per_seed"] == [0.985, 0.985]
    errors = v["errors_by_neighbourhood"]
    assert errors["cities"] == {"inside (none)": 180, "border (some)": 20, "surrounded (all)": 0}
    assert errors["mean_errors_per_seed"]["border (some)"] == 3.0
    assert errors["nearest_neighbour_errors"]["border (some)"] == 15


def run(v: dict, val: float, test: float) -> dict:
    return {**v, "seeds": [0, 1], "kind": "gaussian", "features": 16, "highest_frequency_used": 1,
            "train_acc_mean": val, "val_acc_mean": val, "val_acc_low": val, "val_acc_high": val,
            "test_acc_mean": test, "test_acc_low": test, "test_acc_high": test,
            "ensemble": {"test_acc": test}, "depth": 3, "width": 8, "epochs": 2, "lr": 0.1,
            "lr_schedule": "cosine"}  # fmt: skip


def test_the_summary_carries_the_reports_verdicts_on_the_ensembles() -> None:
    """A setting beats 1-NN when its seeds' ensemble gets more test cities right, McNemar
    Holm-adjusted over the settings (the report's rule, written once by the stage)."""
    strong, weak, behind = compared(30, 2), compared(6, 2), compared(1, 9)
    runs = {"strong": run(strong, 0.99, 0.995), "weak": run(weak, 0.995, 0.99),
            "behind": run(behind, 0.9, 0.9)}  # fmt: skip
    table = sweep_table(runs)
    assert table.loc["weak", "seeds_ahead_of_nearest"] == 2
    assert table.loc["behind", "seeds_ahead_of_nearest"] == 0
    assert table.loc["strong", "max_p_vs_nearest"] == pytest.approx(binomtest(30, 32).pvalue)
    summary = sweep_summary(runs, table, 0.05)
    verdicts = summary["verdicts"]
    assert verdicts == encodings_versus_nearest(summary["settings"], 0.05)
    assert [n for n, v in verdicts["settings"].items() if v["beats"]] == ["strong"]
    assert not verdicts["settings"]["weak"]["beats"]  # ahead, p = 0.29
    assert summary["best_setting"] == verdicts["best_by_validation"] == "weak"
    assert summary["best_errors_by_neighbourhood"] == weak["errors_by_neighbourhood"]
    assert "goal_met" not in summary


def test_the_sweep_figure_leaves_out_a_tick_that_would_print_over_its_neighbour() -> None:
    from mlpcnn.cities.figures import spaced_ticks

    assert spaced_ticks([0.159, 1.3, 1.95, 2.0, 2.6, 5.2, 2.0]) == [0.16, 1.3, 1.95, 2.6, 5.2]
    assert spaced_ticks([1.0, 1.1, 1.2, 1.3]) == [1.0, 1.2]

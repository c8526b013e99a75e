"""6.1's analyses on hand-made histories: values, not keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpcnn.cities.optimisation import (
    arms_summary,
    batch_size_headline,
    batch_size_run,
    diverged_epoch,
    epoch_of_min,
    epochs_summary,
    epochs_to,
    finals,
    learning_rate_summary,
    median_epochs,
    stability_table,
    stacked_histories,
)
from mlpcnn.cities.training import TrainConfig, TrainResult


def runs(curves: dict[int, list[float]], **fixed) -> pd.DataFrame:
    """A history: per seed, its validation losses per epoch (accuracy 1 - loss / 4)."""
    rows = []
    for seed, losses in curves.items():
        for epoch, loss in enumerate(losses, start=1):
            acc = np.nan if np.isnan(loss) else 1 - loss / 4
            rows.append({"epoch": epoch, "val_loss": loss, "val_acc": acc, "test_acc": acc,
                         "train_acc": acc, **fixed, "seed": seed})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_learning_rate_with_the_lowest_loss_wins_and_a_diverged_one_cannot() -> None:
    nan = float("nan")
    history = pd.concat([
        runs({0: [1.0, nan], 1: [0.5, 0.1], 2: [0.6, 0.2]}, lr=1.0),  # best loss, one seed diverged
        runs({0: [1.0, 0.50], 1: [1.0, 0.52], 2: [1.0, 0.48]}, lr=0.01),
        runs({0: [1.0, 0.80], 1: [1.0, 0.82], 2: [1.0, 0.78]}, lr=0.001),
        runs({0: [3.2, 3.20], 1: [3.2, 3.21], 2: [3.2, 3.19]}, lr=1e-5),  # at the class prior
    ])  # fmt: skip
    summary = learning_rate_summary(history, prior_loss=3.3)
    r = summary["runs"]
    assert list(r) == ["lr 1", "lr 0.01", "lr 0.001", "lr 1e-05"]
    assert r["lr 1"]["seeds_diverged"] == 1 and r["lr 1"]["diverged_epochs"] == [2]
    assert r["lr 0.01"]["final_val_loss"]["mean"] == pytest.approx(0.5)
    assert r["lr 0.01"]["best_val_loss_epoch"] == [2, 2, 2]
    assert [r[n]["stuck_at_class_prior"] for n in r] == [False, False, False, True]
    assert "verdicts" not in summary  # the winner and its paired tests: mlpcnn.verdicts


def test_epoch_helpers() -> None:
    frame = runs({0: [3.0, 1.0, 2.0, float("nan")]})
    assert epoch_of_min(frame) == 2 and diverged_epoch(frame) == 4
    assert diverged_epoch(runs({0: [1.0, 0.5]})) is None
    assert epoch_of_min(runs({0: [float("nan")]})) is None
    assert epochs_to(runs({0: [1.0, 0.4, 0.3]}), 0.9) == 2  # val acc 0.75, 0.9, 0.925
    assert epochs_to(runs({0: [1.0, 1.0]}), 0.9) is None
    assert finals(runs({3: [1.0, 2.0], 1: [1.0, 0.4]}), "val_loss") == [2.0, 0.4]


def test_median_epochs_counts_a_seed_that_never_reaches_as_beyond_the_run() -> None:
    assert median_epochs([2, 3, 3, 4, None], never=50) == 3.0
    assert median_epochs([2, None, None], never=50) is None  # the median never got there
    assert median_epochs([40, 50, None, None], never=50) is None


def test_arms_summary_compares_every_pair_and_reads_gains_against_the_base() -> None:
    histories = {
        "base": runs({0: [2.0, 0.8], 1: [2.0, 0.84], 2: [2.0, 0.76]}),  # acc 0.8 at the end
        "bn": runs({0: [0.4, 0.2], 1: [0.4, 0.24], 2: [0.4, 0.16]}),  # acc 0.95, 0.9 at epoch 1
    }
    summary = arms_summary(histories, {"base": {}, "bn": {"batchnorm": True}}, "base", 0.9, 2)
    assert summary["arms"]["bn"]["batchnorm"] is True
    assert summary["arms"]["bn"]["epochs_to_threshold"] == [1, 1, 1]
    assert summary["arms"]["base"]["epochs_to_threshold"] == [None, None, None]
    assert summary["arms"]["base"]["epochs_to_threshold_median"] is None
    assert summary["gain_over_base"]["bn"] == pytest.approx(0.95 - 0.8)
    assert "comparisons" not in summary  # paired, in mlpcnn.verdicts.cities.batchnorm


def result(losses: np.ndarray, epochs: int, val_acc: list[float]) -> TrainResult:
    history = {k: np.tile(val_acc, (epochs, 1)) for k in ("train_acc", "val_acc", "test_acc")}
    return TrainResult(history=history, steps_per_epoch=len(losses) // epochs,
                       train_seconds=np.ones(epochs), seeds=[0, 1], batch_loss=losses)  # fmt: skip


def test_a_batch_size_run_reads_its_noise_over_windows_of_equal_samples() -> None:
    rng = np.random.default_rng(0)
    losses = 1 + rng.normal(0, 0.5, size=(64, 2))  # 64 batches of 16 = 1,024 samples, 2 seeds
    train = TrainConfig(epochs=2, batch_size=16)
    summary, windows = batch_size_run("base", False, train, result(losses, 2, [0.8, 0.9]), 256, 1.0)
    assert summary["iterations_per_epoch"] == 32 and summary["windows"] == 4
    assert summary["batchnorm_mode"] is None
    assert summary["final_val_acc"]["mean"] == pytest.approx(0.85)
    np.testing.assert_allclose(windows["samples"], [256, 512, 768, 1024])
    np.testing.assert_allclose(windows["loss_mean"][0], losses[:16].mean())
    # Noise of each batch's loss: close to the 0.5 it was drawn with; window means of 16
    # batches are 4x quieter.
    assert summary["batch_loss_noise"]["mean"] == pytest.approx(0.5, abs=0.1)
    bn, _ = batch_size_run("bn", True, TrainConfig(epochs=1, batch_size=1),
                           result(losses[:32], 1, [0.5, 0.5]), 16, 1.0)  # fmt: skip
    assert bn["batchnorm_mode"] == "running statistics (eval mode)"


def test_the_stability_table_and_the_stacked_histories() -> None:
    h = {f"{arm}: batch {b}": runs({0: [1.0], 1: [1.1], 2: [0.9 + b / 100]})
         for arm in ("base", "bn") for b in (1, 16, 128)}  # fmt: skip
    runs_ = {n: {"arm": n.split(":")[0], "batch_size": int(n.split()[-1]),
                 "loss_noise": {"mean": 1, "low": 0, "high": 2},
                 "batch_loss_noise": {"mean": 3, "low": 2, "high": 4}} for n in h}  # fmt: skip
    table = stability_table(runs_)
    assert table.columns[:3].tolist() == ["series", "batch_size", "window_noise_mean"]
    assert table["batch_noise_mean"].tolist() == [3] * 6
    stacked = stacked_histories(h, runs_)
    assert stacked.groupby(["arm", "batch_size"]).size().tolist() == [3] * 6


def test_a_long_run_reports_how_far_its_loss_climbed_after_its_best_epoch() -> None:
    val_loss = np.array([[1.0, 1.0], [0.5, 0.6], [0.7, 0.6]])  # seed 0 rises after epoch 2
    history = {"val_loss": val_loss, "train_loss": val_loss - 0.1}
    history |= {f"{s}_{w}": np.full((3, 2), 0.9) for s in ("train", "val", "test")
                for w in ("acc",)} | {"train_loss": val_loss - 0.1, "test_loss": val_loss}  # fmt: skip
    summary = epochs_summary(TrainResult(history, 10, np.ones(3), [0, 1]))
    assert summary["best_val_loss_epoch"] == [2, 2]
    assert summary["val_loss_rise_after_best"]["mean"] == pytest.approx(0.1)
    assert summary["train_minus_val_loss_final"]["mean"] == pytest.approx(-0.1)
    assert summary["final"]["val_acc"]["mean"] == pytest.approx(0.9)


def test_the_batch_size_headline_is_the_first_arms_mean_and_its_seeds() -> None:
    h = {f"{arm}: batch {b}": runs({0: [1.0, 0.4], 1: [1.0, 0.8]}) for arm in ("base", "bn")
         for b in (1, 16)}  # fmt: skip
    summaries = {n: {"arm": n.split(":")[0], "batch_size": int(n.split()[-1]),
                     "final_test_acc": {"mean": 0.85}} for n in h}  # fmt: skip
    headline, per_seed = batch_size_headline(summaries, h, "base")
    assert headline == {"batch_1": 0.85, "batch_16": 0.85}
    assert per_seed == {"batch_1": [0.9, 0.8], "batch_16": [0.9, 0.8]}

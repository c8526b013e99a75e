"""Reading the optimisation studies of section 6.1 (Q1-Q4) off their runs over seeds.

Every function takes histories as the trainer writes them (a row per seed and epoch,
``<split>_loss`` / ``<split>_acc`` columns, NaN from the epoch a run diverged) and returns
plain figures: the learning rate that wins and its tests (Q1), the final figures of a
long run (Q2), the arms' accuracies and speed (Q3), and each batch size's run (Q4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlpcnn.cities.stats import equal_sample_windows, tail_noise
from mlpcnn.cities.training import TrainConfig, TrainResult
from mlpcnn.common.params import number_label
from mlpcnn.common.stats import seed_interval

SPLITS = ("train", "val", "test")
FINAL_FIGURE = "the last epoch's value, per seed; mean and 95% t-interval over seeds"
STUCK = 0.95  # a final validation loss above 95% of the class-prior loss: learnt (almost) nothing


def lr_label(lr: float) -> str:
    return f"lr {number_label(lr)}"


def seed_frames(history: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """One frame per seed, in the order the seeds first appear."""
    return {int(s): history[history["seed"] == s] for s in history["seed"].unique()}


def finals(history: pd.DataFrame, column: str) -> list[float]:
    """Per seed (in order of appearance), ``column`` at the last epoch."""
    return [float(f[column].iloc[-1]) for f in seed_frames(history).values()]


def epoch_of_min(frame: pd.DataFrame, column: str = "val_loss") -> int | None:
    """The epoch of ``column``'s minimum; None when every value is NaN (diverged at once)."""
    values = frame[column].to_numpy()
    return None if np.isnan(values).all() else int(frame["epoch"].iloc[int(np.nanargmin(values))])


def diverged_epoch(frame: pd.DataFrame) -> int | None:
    """The first epoch whose figures are NaN (the trainer blanks a run from there on)."""
    bad = frame["val_loss"].isna().to_numpy()
    return int(frame["epoch"].iloc[int(np.argmax(bad))]) if bad.any() else None


# 6.1 Q1 ----------------------------------------------------------------------------


def learning_rate_summary(history: pd.DataFrame, prior_loss: float) -> dict:
    """Per learning rate (the ``lr`` column) its figures over seeds (the winner and its
    tests are :func:`mlpcnn.verdicts.cities.learning_rate`'s).

    A rate that did not diverge yet ends above
    ``STUCK`` x ``prior_loss`` (predicting the class frequencies) is stuck at the prior.
    """
    runs = {}
    for lr in history["lr"].unique():
        frames = list(seed_frames(history[history["lr"] == lr]).values())
        per_seed = {
            "final_val_loss": [float(f["val_loss"].iloc[-1]) for f in frames],
            "best_val_loss": [float(f["val_loss"].min()) for f in frames],
            "final_val_acc": [float(f["val_acc"].iloc[-1]) for f in frames],
            "final_test_acc": [float(f["test_acc"].iloc[-1]) for f in frames],
        }
        diverged = [e for e in map(diverged_epoch, frames) if e is not None]
        final_loss = seed_interval(per_seed["final_val_loss"])
        runs[lr_label(lr)] = {
            "lr": float(lr),
            "seeds_diverged": len(diverged),
            "diverged_epochs": diverged,
            "stuck_at_class_prior": not diverged
            and final_loss["mean"] is not None
            and final_loss["mean"] >= STUCK * prior_loss,
            **{name: seed_interval(v) for name, v in per_seed.items()},
            "best_val_loss_epoch": [epoch_of_min(f) for f in frames],
        }
    return {"runs": runs}


# 6.1 Q2 ----------------------------------------------------------------------------


def epochs_summary(result: TrainResult) -> dict:
    """A long run's final figures over seeds, and how its validation loss moved after
    its best epoch (the sign of overfitting the handout asks about)."""
    history = result.history
    val_loss = history["val_loss"]  # (epochs, R)
    best_epoch = np.nanargmin(val_loss, axis=0)  # (R,) 0-based
    columns = range(val_loss.shape[1])
    return {
        "final": {
            f"{s}_{w}": seed_interval(history[f"{s}_{w}"][-1])
            for s in SPLITS
            for w in ("loss", "acc")
        },
        "final_figure": FINAL_FIGURE,
        "best_val_loss": seed_interval(val_loss[best_epoch, columns]),
        "best_val_loss_epoch": [int(e) + 1 for e in best_epoch],
        "test_acc_at_best_val_loss": seed_interval(history["test_acc"][best_epoch, columns]),
        # Mean over seeds of (final - best) validation loss: how far the loss climbed back.
        "val_loss_rise_after_best": seed_interval(val_loss[-1] - val_loss[best_epoch, columns]),
        "train_minus_val_loss_final": seed_interval(history["train_loss"][-1] - val_loss[-1]),
    }


# 6.1 Q3 ----------------------------------------------------------------------------


def epochs_to(frame: pd.DataFrame, threshold: float) -> int | None:
    """The first epoch whose validation accuracy reaches ``threshold``, or None if none does."""
    reached = np.flatnonzero(frame["val_acc"].to_numpy() >= threshold)
    return int(frame["epoch"].iloc[reached[0]]) if reached.size else None


def median_epochs(epochs: Sequence[int | None], never: int) -> float | None:
    """Median epoch to the threshold, a seed that never reaches it counted as beyond the
    run (``never`` epochs); None when the median itself lies beyond the run."""
    values = [never + 1 if e is None else e for e in epochs]
    median = float(np.median(values))
    return None if median > never else median


def arms_summary(
    histories: Mapping[str, pd.DataFrame],
    arms: Mapping[str, Mapping],
    base: str,
    threshold: float,
    epochs: int,
) -> dict:
    """Per arm its final figures over seeds and its epochs to ``threshold`` validation
    accuracy; each arm's gain in mean final validation accuracy over ``base`` (the arms'
    tests are :func:`mlpcnn.verdicts.cities.batchnorm`'s)."""
    per_seed, summary = {}, {}
    for name, history in histories.items():
        per_seed[name] = {f"final_{k}": finals(history, k)
                          for k in ("val_acc", "test_acc", "train_acc", "val_loss")}  # fmt: skip
        reached = [epochs_to(f, threshold) for f in seed_frames(history).values()]
        summary[name] = {
            **arms[name],
            **{k: seed_interval(v) for k, v in per_seed[name].items()},
            "epochs_to_threshold": reached,
            "epochs_to_threshold_median": median_epochs(reached, epochs),
            "seeds_reaching_threshold": sum(e is not None for e in reached),
        }
    mean = {n: summary[n]["final_val_acc"]["mean"] for n in histories}
    return {
        "arms": summary,
        "gain_over_base": {n: mean[n] - mean[base] for n in histories if n != base},
    }


# 6.1 Q4 ----------------------------------------------------------------------------

STABILITY = {"window_noise": "loss_noise", "batch_noise": "batch_loss_noise"}  # csv <- summary


def noise_statistic(tail: float, samples: int) -> str:
    return (
        f"per seed, over the last {tail:g} of training, the standard deviation of successive "
        "differences divided by sqrt(2) (a trend is not counted as noise) of the mean "
        f"training loss over windows of {samples} samples (loss_noise) and of the loss of "
        "each batch (batch_loss_noise); mean and 95% t-interval over seeds"
    )


def batch_size_run(
    arm: str, batchnorm: bool, train: TrainConfig, result: TrainResult, samples: int, tail: float
) -> tuple[dict, pd.DataFrame]:
    """One (arm, batch size) run: its summary, and its training loss averaged over
    windows of ``samples`` training samples (mean over seeds; columns samples, loss_mean).

    Its noise is :func:`tail_noise` over the last ``tail`` of training, both of those
    window means and of each batch's loss.
    """
    seen, means = equal_sample_windows(result.batch_loss, train.batch_size, samples)
    summary = {
        "arm": arm,
        "batch_size": train.batch_size,
        "epochs": train.epochs,
        "iterations_per_epoch": result.steps_per_epoch,
        "batchnorm_mode": None if not batchnorm else (
            "batch statistics" if train.batch_size > 1 else "running statistics (eval mode)"
        ),
        **{f"final_{k}": seed_interval(result.final(k))
           for k in ("train_acc", "val_acc", "test_acc")},
        "loss_noise": with_seeds(tail_noise(means, tail)),
        "batch_loss_noise": with_seeds(tail_noise(result.batch_loss, tail)),
        "windows": len(seen),
    }  # fmt: skip
    return summary, pd.DataFrame({"samples": seen, "loss_mean": means.mean(axis=1)})


def with_seeds(values: np.ndarray) -> dict:
    """:func:`seed_interval` of per-seed ``values``, with the values (``per_seed``): runs
    that share their seeds are compared seed by seed."""
    return seed_interval(values) | {"per_seed": [float(v) for v in values]}


def stability_table(runs: Mapping[str, dict]) -> pd.DataFrame:
    """Per run (from :func:`batch_size_run`), its noise statistics with their intervals:
    a row per (arm, batch size), for the stability chart."""
    return pd.DataFrame([
        {"series": s["arm"], "batch_size": s["batch_size"]}
        | {f"{column}_{k}": s[key][k] for column, key in STABILITY.items()
           for k in ("mean", "low", "high")}
        for s in runs.values()
    ])  # fmt: skip


def stacked_histories(
    histories: Mapping[str, pd.DataFrame], runs: Mapping[str, dict]
) -> pd.DataFrame:
    """Every run's history, labelled with its ``arm`` and ``batch_size`` (from ``runs``)."""
    return pd.concat(
        h.assign(arm=runs[n]["arm"], batch_size=runs[n]["batch_size"]) for n, h in histories.items()
    )


def batch_size_headline(
    runs: Mapping[str, dict], histories: Mapping[str, pd.DataFrame], arm: str
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """``arm``'s final test accuracy per batch size (``batch_<size>``): the mean over
    seeds, and each seed's value."""
    names = {f"batch_{r['batch_size']}": n for n, r in runs.items() if r["arm"] == arm}
    return (
        {k: runs[n]["final_test_acc"]["mean"] for k, n in names.items()},
        {k: finals(histories[n], "test_acc") for k, n in names.items()},
    )

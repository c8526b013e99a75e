"""Reading the deepfake baselines' runs (7.6): intervals, the Q1 table, the Q2 images.

A run is one (baseline, learning rate) model scored on one test set, so its accuracy
carries a binomial interval (Wilson's, which stays inside [0, 1] and is honest at the
small test sets of this study), and its ranking quality the ROC AUC. Two baselines are
called tied when their intervals overlap: a conservative reading, since overlapping 95%
intervals can still hide a difference a paired test would find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONFIDENCE = 0.95


def wilson(correct: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion ``correct / total`` (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    interval = binomtest(int(correct), int(total)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def roc_auc(labels: np.ndarray, probs: np.ndarray) -> float | None:
    """ROC AUC of ``probs`` (of class 1) against ``labels``; None when one class only, or
    when a diverged run left non-finite probabilities."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2 or not np.isfinite(probs).all():
        return None
    return float(roc_auc_score(labels, probs))


def score_run(labels: np.ndarray, probs: np.ndarray) -> dict[str, float | int | None]:
    """A run's test accuracy (threshold 0.5) with its Wilson interval, and its ROC AUC."""
    correct = int(((probs > 0.5).astype(np.int64) == labels).sum())
    low, high = wilson(correct, len(labels))
    return {
        "test_acc": correct / len(labels),
        "test_acc_low": low,
        "test_acc_high": high,
        "test_correct": correct,
        "test_n": len(labels),
        "test_auc": roc_auc(labels, probs),
    }


def overlap(a: pd.Series | dict, b: pd.Series | dict) -> bool:
    """Whether two runs' test-accuracy intervals overlap (the two are then called tied)."""
    return bool(a["test_acc_low"] <= b["test_acc_high"] and b["test_acc_low"] <= a["test_acc_high"])


def order_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs from best to worst: test accuracy, then validation accuracy, then the run's
    name (a fixed order for exact ties)."""
    return runs.sort_values(
        ["test_acc", "val_acc", "run"], ascending=[False, False, True], kind="stable"
    )


def best_two_and_worst(runs: pd.DataFrame) -> pd.DataFrame:
    """7.6 Q1: per baseline its two best runs and its worst by test accuracy.

    ``runs`` has one row per run: ``baseline``, ``run``, ``val_acc``, ``test_acc`` (and
    anything else, kept). Returns the chosen rows with ``role`` (best, second best, worst;
    a baseline with one run has one row, ``only run``; with two, the second is ``second
    best, worst``) and ``ties``: the other runs of the baseline with the same test
    accuracy, which the order broke by validation accuracy, then name.
    """
    rows = []
    for _, group in runs.groupby("baseline", sort=False):
        ordered = order_runs(group)
        n = len(ordered)
        roles = (
            ["only run"]
            if n == 1
            else ["best", "second best, worst"]
            if n == 2
            else ["best", "second best", "worst"]
        )
        chosen = [*range(min(n, 2)), *([n - 1] if n > 2 else [])]
        for role, position in zip(roles, chosen, strict=True):
            row = ordered.iloc[position]
            same = ordered[
                (ordered["test_acc"] == row["test_acc"]) & (ordered["run"] != row["run"])
            ]
            rows.append({**row.to_dict(), "role": role, "ties": ", ".join(same["run"])})
    return pd.DataFrame(rows)


def rank_baselines(runs: pd.DataFrame) -> pd.DataFrame:
    """Baselines ranked by their best run (:func:`order_runs`), one row each, with
    ``tied_with_best``: whether its best run's interval overlaps the top baseline's."""
    best = pd.DataFrame([order_runs(g).iloc[0] for _, g in runs.groupby("baseline", sort=False)])
    best = order_runs(best).reset_index(drop=True)
    top = best.iloc[0]
    best["tied_with_best"] = [overlap(row, top) for _, row in best.iterrows()]
    return best


def pick_examples(labels: np.ndarray, best: np.ndarray, worst: np.ndarray, n: int = 5) -> list[int]:
    """7.6 Q2: up to ``n`` test indices the ``best`` model gets right and ``worst`` wrong.

    The rule: among those images, the worst model's most confident mistakes first
    (largest |p(fake) - 0.5| on the wrong side), taking the two classes in turn, starting
    with the class that holds the most confident mistake, so that both classes are shown
    when both occur; exact ties go to the lower index. Fewer than ``n`` such images: all.
    """
    labels = np.asarray(labels)
    right = (np.asarray(best) > 0.5).astype(np.int64) == labels
    wrong = (np.asarray(worst) > 0.5).astype(np.int64) != labels
    confidence = np.abs(np.asarray(worst, dtype=np.float64) - 0.5)
    queues = []
    for label in np.unique(labels):
        found = np.flatnonzero(right & wrong & (labels == label))
        queues.append(list(found[np.lexsort((found, -confidence[found]))]))
    queues = sorted((q for q in queues if q), key=lambda q: (-confidence[q[0]], q[0]))
    picked: list[int] = []
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(int(queue.pop(0)))
    return picked

"""Reading the deepfake baselines' runs (7.6): intervals, the Q1 table, the Q2 images.

A run is one (baseline, learning rate) model scored on one test set, so its accuracy
carries a binomial interval (Wilson's, which stays inside [0, 1] and is honest at the
small test sets of this study), and its ranking quality the ROC AUC. Two baselines are
called tied when their intervals overlap: a conservative reading, since overlapping 95%
intervals can still hide a difference a paired test would find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the baselines import torch; reading their results needs none of it
    from mlpcnn.faces.baselines import RunResult

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


def lr_of(run: str) -> float | None:
    """The learning rate in a run's name (``lr 0.001``); None for ``default``."""
    return None if run == "default" else float(run.removeprefix("lr "))


def score_runs(
    strategy: str, runs: Mapping[str, RunResult], test_labels: np.ndarray
) -> tuple[dict[str, dict], str]:
    """Every run scored on the test set (:func:`score_run`) with its learning rate and
    validation accuracy, and the run chosen on validation accuracy (test accuracy breaks
    ties). XGBoost's learning-rate sweep beside its defaults is an ``extra``, never chosen."""
    scored = {
        name: {"lr": lr_of(name), "extra": strategy == "xgboost" and name != "default",
               "val_acc": r.val_acc, **score_run(test_labels, r.test_probs)}
        for name, r in runs.items()
    }  # fmt: skip
    chosen = [name for name in runs if not scored[name]["extra"]]
    best = max(chosen, key=lambda name: (runs[name].val_acc, runs[name].test_acc))
    return scored, best


def probs_table(
    files: np.ndarray, labels: np.ndarray, runs: Mapping[str, RunResult]
) -> pd.DataFrame:
    """A row per test image: its file, label and every run's p(fake)."""
    return pd.DataFrame(
        {"file": files, "label": labels} | {n: r.test_probs for n, r in runs.items()}
    )


def batch_loss_table(runs: Mapping[str, RunResult]) -> pd.DataFrame:
    """A row per training batch: every run's loss (runs without batches left out)."""
    losses = {name: pd.Series(r.batch_loss) for name, r in runs.items() if len(r.batch_loss)}
    steps = max((len(v) for v in losses.values()), default=0)
    return pd.DataFrame({"batch": np.arange(1, steps + 1)} | losses)


CLASS_NAMES = ("real", "fake")
Q2_RULE = (
    "test images the best baseline gets right and the worst gets wrong; the worst's most "
    "confident mistakes first (largest |p(fake) - 0.5|), real and fake in turn, starting "
    "with the class of the most confident one"
)


def final_loss(batch_loss: pd.DataFrame, run: str) -> float | None:
    """The training loss at the end of a run: the mean of its last 10% of batches (at
    least one); None for runs without batches (XGBoost, scikit-learn)."""
    if run not in batch_loss:
        return None
    loss = batch_loss[run].dropna()
    return float(loss.tail(max(1, len(loss) // 10)).mean()) if len(loss) else None


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (pandas turns numpy scalars into numbers, NaN into null)."""
    return json.loads(frame.to_json(orient="records"))


def row(runs: pd.DataFrame, baseline: str, run: str) -> dict:
    """One run of :func:`runs_table` as a plain mapping."""
    return records(runs[(runs["baseline"] == baseline) & (runs["run"] == run)])[0]


def runs_table(
    summaries: Mapping[str, dict], losses: Mapping[str, pd.DataFrame], course: tuple[str, ...]
) -> pd.DataFrame:
    """A row per (baseline, run): its scores from the baseline's summary, whether it is
    one of the ``course`` baselines' own runs, and its final training loss."""
    return pd.DataFrame([
        {"baseline": s, "run": name, "course": s in course and not r["extra"], **r,
         "final_train_loss": final_loss(losses[s], name)}
        for s, m in summaries.items()
        for name, r in m["runs"].items()
    ])  # fmt: skip


def q2_examples(probs: pd.DataFrame, best: tuple[str, str], worst: tuple[str, str], n: int) -> dict:
    """7.6 Q2: up to ``n`` test images that ``best`` (baseline, run) gets right and
    ``worst`` gets wrong, by :data:`Q2_RULE`; ``probs`` holds ``file``, ``label`` and
    ``<baseline>/<run>`` columns of p(fake)."""
    labels = probs["label"].to_numpy()
    best_p, worst_p = (probs["/".join(b)].to_numpy() for b in (best, worst))
    shown = pick_examples(labels, best_p, worst_p, n) if best[0] != worst[0] else []
    qualifies = ((best_p > 0.5) == labels) & ((worst_p > 0.5) != labels)
    return {
        "rule": Q2_RULE,
        "shown_test_indices": shown,
        "shown_files": [str(probs["file"].iloc[i]) for i in shown],
        "shown_labels": [CLASS_NAMES[labels[i]] for i in shown],
        "best_p_fake": [float(best_p[i]) for i in shown],
        "worst_p_fake": [float(worst_p[i]) for i in shown],
        "candidates": int(qualifies.sum()),
        "candidates_by_class": {
            name: int((qualifies & (labels == i)).sum()) for i, name in enumerate(CLASS_NAMES)
        },
        "fewer_than_five": len(shown) < n,
    }

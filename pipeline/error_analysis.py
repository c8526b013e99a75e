"""Stage error_analysis (7.6): the baselines' runs read as the handout asks.

Q1: per baseline its two best runs and its worst by test accuracy, with the learning
rates and validation accuracies, and the baselines ranked by their best run (tied where
the 95% Wilson intervals overlap). Q2: the best and the worst baseline, each at its
learning rate chosen on validation accuracy, and up to five test images the best gets
right and the worst wrong (the worst's most confident mistakes, both classes in turn).
The extras (several epochs, the backbone from scratch, the hand-made detector) are
reported beside the course's baselines, never ranked with them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from stage_faces import require_face_arrays, run_faces
from stage_shared import PLOTS, read_params, read_summary

from mlpcnn.common.io import write_csv, write_json
from mlpcnn.faces.analysis import best_two_and_worst, overlap, pick_examples, rank_baselines
from mlpcnn.faces.figures import plot_image_grid, plot_lr_sweeps
from mlpcnn.faces.strategies import COURSE

KEY = "error_analysis"
SHOWN = 5
CLASS_NAMES = ("real", "fake")
RULE = ("test images the best baseline gets right and the worst gets wrong; the worst's "
        "most confident mistakes first (largest |p(fake) - 0.5|), real and fake in turn, "
        "starting with the class of the most confident one")  # fmt: skip


def main() -> None:
    strategies = list(read_params()["deepfake"]["strategies"])
    metrics = {s: read_summary(f"deepfake/{s}") for s in strategies}
    probs = {s: pd.read_csv(PLOTS / "deepfake" / s / "test_probs.csv") for s in strategies}
    kind = {m["dataset"] for m in metrics.values()}.pop()
    backbone = next((m["backbone"] for m in metrics.values() if m["backbone"]), None)

    losses = {s: pd.read_csv(PLOTS / "deepfake" / s / "batch_loss.csv") for s in strategies}
    runs = pd.DataFrame(
        [
            {"baseline": s, "run": name, "course": s in COURSE and not r["extra"], **r,
             "final_train_loss": final_loss(losses[s], name)}
            for s, m in metrics.items()
            for name, r in m["runs"].items()
        ]
    )  # fmt: skip
    write_csv(PLOTS / KEY / "runs.csv", runs)
    swept = runs.dropna(subset=["lr"]).rename(columns={"baseline": "series"})
    write_csv(PLOTS / KEY / "test_acc_vs_lr.csv", swept[["series", "lr", "test_acc", "val_acc"]])
    plot_lr_sweeps(
        runs,
        PLOTS / KEY / "test_acc_vs_lr.png",
        title=f"7.4: test accuracy against learning rate, 95% Wilson intervals "
        f"({kind} data, backbone {backbone['backbone'] if backbone else 'none'})",
    )

    course = runs[runs["course"]]
    q1 = best_two_and_worst(course)
    ranking = rank_baselines(course)
    chosen = {s: metrics[s]["best_run_by_val_acc"] for s in strategies}
    best, worst = ranking["baseline"].iloc[0], ranking["baseline"].iloc[-1]
    by_val = {s: row(runs, s, chosen[s]) for s in (best, worst)}

    labels = probs[best]["label"].to_numpy()
    best_p = probs[best][chosen[best]].to_numpy()
    worst_p = probs[worst][chosen[worst]].to_numpy()
    shown = pick_examples(labels, best_p, worst_p, SHOWN) if best != worst else []
    qualifies = ((best_p > 0.5) == labels) & ((worst_p > 0.5) != labels)
    with np.load(require_face_arrays()) as arrays:
        test_images = arrays["test_scratch"]  # one read of the member, not one per image
    titles = [
        f"true: {CLASS_NAMES[labels[i]]}\n{best} p(fake) {best_p[i]:.2f}\n"
        f"{worst} p(fake) {worst_p[i]:.2f}"
        for i in shown
    ]
    note = "" if len(shown) == SHOWN else f" (only {len(shown)} such images)"
    plot_image_grid(
        [test_images[i] for i in shown] or [np.full((3, 8, 8), 255, np.uint8)],
        PLOTS / KEY / "best_right_worst_wrong.png",
        columns=SHOWN,
        titles=titles or ["no test image is right for the best baseline and wrong for the worst"],
        title=f"7.6 Q2 ({kind}): best baseline {best} ({chosen[best]}) right, "
        f"worst {worst} ({chosen[worst]}) wrong{note}",
    )

    write_csv(PLOTS / KEY / "q1_runs.csv", q1)
    write_json(
        PLOTS / KEY / "summary.json",
        {
            "dataset": kind,
            "backbone": backbone,
            "q1": {
                "rule": "per baseline, runs ordered by test accuracy, then validation "
                "accuracy, then name; the first two and the last",
                "rows": records(q1),
            },
            "ranking": records(ranking),
            "tied_with_best": [r["baseline"] for _, r in ranking.iterrows() if r["tied_with_best"]],
            "tied_with_worst": [
                r["baseline"] for _, r in ranking.iterrows() if overlap(r, ranking.iloc[-1])
            ],
            "q2": {
                "best": by_val[best],
                "worst": by_val[worst],
                "rule": RULE,
                "shown_test_indices": shown,
                "shown_files": [str(probs[best]["file"].iloc[i]) for i in shown],
                "shown_labels": [CLASS_NAMES[labels[i]] for i in shown],
                "best_p_fake": [float(best_p[i]) for i in shown],
                "worst_p_fake": [float(worst_p[i]) for i in shown],
                "candidates": int(qualifies.sum()),
                "candidates_by_class": {
                    name: int((qualifies & (labels == i)).sum())
                    for i, name in enumerate(CLASS_NAMES)
                },
                "fewer_than_five": len(shown) < SHOWN,
            },
            "extras": {s: row(runs, s, chosen[s]) for s in strategies if s not in COURSE},
            "chosen_by_val": {s: row(runs, s, chosen[s]) for s in strategies},
        },
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
    """One run as a plain mapping (its baseline, name, lr, accuracies, interval, AUC)."""
    return records(runs[(runs["baseline"] == baseline) & (runs["run"] == run)])[0]


if __name__ == "__main__":
    run_faces(main)

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

import numpy as np
import pandas as pd
from stage_faces import require_face_arrays, run_faces
from stage_shared import PLOTS, read_params, read_summary

from mlpcnn.common.io import write_csv, write_json
from mlpcnn.faces.analysis import (
    best_two_and_worst,
    overlap,
    q2_examples,
    rank_baselines,
    records,
    row,
    runs_table,
)
from mlpcnn.faces.figures import plot_image_grid, plot_lr_sweeps
from mlpcnn.faces.strategies import COURSE

KEY = "error_analysis"
OUT = PLOTS / KEY
SHOWN = 5


def main() -> None:
    strategies = list(read_params()["deepfake"]["strategies"])
    summaries = {s: read_summary(f"deepfake/{s}") for s in strategies}
    read = {f: {s: pd.read_csv(PLOTS / "deepfake" / s / f"{f}.csv") for s in strategies}
            for f in ("test_probs", "batch_loss")}  # fmt: skip
    kind = {m["dataset"] for m in summaries.values()}.pop()
    backbone = next((m["backbone"] for m in summaries.values() if m["backbone"]), None)

    runs = runs_table(summaries, read["batch_loss"], COURSE)
    write_csv(OUT / "runs.csv", runs)
    swept = runs.dropna(subset=["lr"]).rename(columns={"baseline": "series"})
    write_csv(OUT / "test_acc_vs_lr.csv", swept[["series", "lr", "test_acc", "val_acc"]])
    plot_lr_sweeps(runs, OUT / "test_acc_vs_lr.png",
                   title=f"7.4: test accuracy against learning rate, 95% Wilson intervals ({kind} "
                   f"data, backbone {backbone['backbone'] if backbone else 'none'})")  # fmt: skip

    course = runs[runs["course"]]
    q1, ranking = best_two_and_worst(course), rank_baselines(course)
    chosen = {s: summaries[s]["best_run_by_val_acc"] for s in strategies}
    best, worst = ranking["baseline"].iloc[0], ranking["baseline"].iloc[-1]
    probs = pd.DataFrame({"file": read["test_probs"][best]["file"],
                          "label": read["test_probs"][best]["label"]}
                         | {f"{s}/{chosen[s]}": read["test_probs"][s][chosen[s]]
                            for s in (best, worst)})  # fmt: skip
    q2 = q2_examples(probs, (best, chosen[best]), (worst, chosen[worst]), SHOWN)
    shown = q2["shown_test_indices"]
    with np.load(require_face_arrays()) as arrays:
        test_images = arrays["test_scratch"]  # one read of the member, not one per image
    note = "" if len(shown) == SHOWN else f" (only {len(shown)} such images)"
    plot_image_grid(
        [test_images[i] for i in shown] or [np.full((3, 8, 8), 255, np.uint8)],
        OUT / "best_right_worst_wrong.png",
        columns=SHOWN,
        titles=[f"true: {label}\n{best} p(fake) {b:.2f}\n{worst} p(fake) {w:.2f}"
                for label, b, w in zip(q2["shown_labels"], q2["best_p_fake"],
                                       q2["worst_p_fake"], strict=True)]
        or ["no test image is right for the best baseline and wrong for the worst"],
        title=f"7.6 Q2 ({kind}): best baseline {best} ({chosen[best]}) right, "
        f"worst {worst} ({chosen[worst]}) wrong{note}",
    )  # fmt: skip

    write_csv(OUT / "q1_runs.csv", q1)
    write_json(OUT / "summary.json", {
        "dataset": kind,
        "backbone": backbone,
        "q1": {"rule": "per baseline, runs ordered by test accuracy, then validation "
               "accuracy, then name; the first two and the last", "rows": records(q1)},
        "ranking": records(ranking),
        "tied_with_best": [r["baseline"] for _, r in ranking.iterrows() if r["tied_with_best"]],
        "tied_with_worst": [r["baseline"] for _, r in ranking.iterrows()
                            if overlap(r, ranking.iloc[-1])],
        "q2": {"best": row(runs, best, chosen[best]), "worst": row(runs, worst, chosen[worst]),
               **q2},
        "extras": {s: row(runs, s, chosen[s]) for s in strategies if s not in COURSE},
        "chosen_by_val": {s: row(runs, s, chosen[s]) for s in strategies},
    })  # fmt: skip


if __name__ == "__main__":
    run_faces(main)

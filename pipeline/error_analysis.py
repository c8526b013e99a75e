"""Stage error_analysis (7.6): the baselines' runs read as the handout asks.

Q1: per baseline its two best runs and its worst by test accuracy (the learning-rate
sweep, first seed), constant runs flagged. The ranking of the baselines uses only their
validation-chosen rates, by the mean test accuracy over seeds; every pair is compared on
the same test images by McNemar's exact test (the seeds' majority votes, and each seed),
Holm-corrected over the pairs. Q2: the best and the worst baseline (first seed, chosen
rate) and up to five test images the best gets right and the worst wrong; when the worst
is constant, also against the worst baseline that is not. The extras (several epochs, the
backbone from scratch, the hand-made detector) are compared with what they change, in a
family of their own, never ranked with the course's baselines.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import torch
from stage_faces import require_face_arrays, run_faces
from stage_shared import PLOTS, InputError, read_params, read_summary

from mlpcnn.common.io import write_csv, write_json
from mlpcnn.faces.analysis import (
    CONSTANT_RULE,
    best_two_and_worst,
    chosen_probs,
    extra_pairs,
    image_traits,
    mismatched_test_images,
    paired_comparisons,
    q2_pairs,
    q2_rows,
    rank_baselines,
    records,
    row,
    runs_table,
)
from mlpcnn.faces.baselines import residual_energy
from mlpcnn.faces.figures import plot_lr_sweeps, plot_q2_examples
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
    net = backbone["backbone"] if backbone else "none"
    plot_lr_sweeps(runs, OUT / "test_acc_vs_lr.png",
                   title=f"7.4: test accuracy against learning rate, first seed, 95% Wilson "
                   f"intervals ({kind} data, backbone {net})")  # fmt: skip

    course = [s for s in strategies if s in COURSE]
    chosen = {s: summaries[s]["best_run_by_val_acc"] for s in strategies}
    odd = mismatched_test_images({s: read["test_probs"][s]["file"] for s in strategies})
    if odd:
        raise InputError(f"{PLOTS}/deepfake/{odd}/test_probs.csv: other test images than "
                         f"{strategies[0]}'s (or another order); rerun deepfake@{odd}")  # fmt: skip
    labels = read["test_probs"][strategies[0]]["label"].to_numpy()
    probs = {s: chosen_probs(summaries[s], read["test_probs"][s]) for s in strategies}
    ranking = rank_baselines({s: summaries[s]["chosen_over_seeds"] for s in course})
    constant = {s: summaries[s]["runs"][chosen[s]]["constant"] for s in strategies}
    first_seed = {s: p[next(iter(p))] for s, p in probs.items()}
    files = read["test_probs"][strategies[0]]["file"]
    q2 = q2_rows(q2_pairs(ranking, constant), runs, chosen, first_seed, labels, files, SHOWN)
    with np.load(require_face_arrays()) as arrays:
        test_images = arrays["test_scratch"]  # one read of the member, not one per image
        cues = arrays.get("test_cues")  # drawn cue strengths: the stand-in only
    energy = residual_energy(torch.from_numpy(test_images)).mean(axis=1)
    for q in q2:
        q["shown_traits"] = image_traits(q["shown_test_indices"], labels, energy, cues)
    plot_q2_examples(test_images, q2, OUT / "best_right_worst_wrong.png", SHOWN, kind)

    q1 = best_two_and_worst(runs[runs["course"]])
    write_csv(OUT / "q1_runs.csv", q1)
    write_json(OUT / "summary.json", {
        "dataset": kind,
        "backbone": backbone,
        "constant_rule": CONSTANT_RULE,
        "q1": {"rule": "per baseline, the learning-rate sweep's runs (first seed) ordered by "
               "test accuracy, then validation accuracy, then name; the first two and the last",
               "rows": records(q1)},
        "ranking": ranking,
        "baselines": {s: {"run": chosen[s], "lr": m["best_lr_by_val_acc"], "rates": len(m["runs"]),
                          "tied_on_val_acc": m["tied_on_val_acc"], "tie_rule": m["tie_rule"],
                          "constant": constant[s], "precision": m["precision"],
                          "training": m["training"], **m["chosen_over_seeds"]}
                      for s, m in summaries.items()},
        "comparisons": paired_comparisons(labels, {s: probs[s] for s in course},
                                          list(combinations(ranking, 2))),
        "extra_comparisons": paired_comparisons(labels, probs, extra_pairs(strategies, COURSE)),
        "diagnosis": {s: m["diagnosis"] for s, m in summaries.items() if m["diagnosis"]},
        "q2": q2,
        "chosen_by_val": {s: row(runs, s, chosen[s]) for s in strategies},
    })  # fmt: skip


if __name__ == "__main__":
    run_faces(main)

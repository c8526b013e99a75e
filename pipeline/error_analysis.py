"""Stage error_analysis (7.1 summary and 7.2): the baselines ranked, best against worst.

Reads every deepfake@<strategy> output: the table of strategies at their best learning
rate (chosen on validation accuracy), test accuracy against learning rate, the best and
the worst one-epoch run by test accuracy (finetune_long, beyond the course, is in the
table but not in this comparison), and the first five test images the best gets right
and the worst gets wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage_faces import require_face_arrays, run_faces
from stage_shared import PLOTS, read_params, read_summary, write_results

from mlpcnn.common.io import write_csv
from mlpcnn.faces.baselines import first_disagreements
from mlpcnn.faces.figures import plot_image_grid, plot_lr_sweeps

KEY = "error_analysis"
BEYOND = ("finetune_long",)  # beyond the course: reported, but not one of the one-epoch baselines
SHOWN = 5


def main() -> None:
    strategies = list(read_params()["deepfake"]["strategies"])
    metrics = {s: read_summary(f"deepfake/{s}") for s in strategies}
    probs = {s: pd.read_csv(PLOTS / "deepfake" / s / "test_probs.csv") for s in strategies}
    kind = {m["dataset"] for m in metrics.values()}.pop()
    backbone = next((m["backbone"] for m in metrics.values() if m["backbone"]), None)

    runs = pd.DataFrame(
        [
            {"strategy": s, "run": name, **r}
            for s, m in metrics.items()
            for name, r in m["runs"].items()
        ]
    )
    write_csv(PLOTS / KEY / "runs.csv", runs)
    sweep = runs.dropna(subset=["lr"]).pivot_table(
        index="lr", columns="strategy", values="test_acc"
    )
    swept = runs.dropna(subset=["lr"]).rename(columns={"strategy": "series"})
    write_csv(PLOTS / KEY / "test_acc_vs_lr.csv", swept[["series", "lr", "test_acc", "val_acc"]])
    single = runs[runs["lr"].isna()].set_index("strategy")["test_acc"].to_dict()
    heading = f"7.1: test accuracy against learning rate ({kind} data, backbone {backbone})"
    plot_lr_sweeps(sweep, single, PLOTS / KEY / "test_acc_vs_lr.png", title=heading)

    ranking = sorted(strategies, key=lambda s: metrics[s]["best_test_acc"], reverse=True)
    table = {
        s: {k: metrics[s][k] for k in ("best_lr_by_val_acc", "best_val_acc", "best_test_acc")}
        for s in ranking
    }
    one_epoch = [s for s in ranking if s not in BEYOND]
    course_runs = runs[~runs["strategy"].isin(BEYOND)]  # 7.2 compares the course's baselines
    best_run = course_runs.loc[course_runs["test_acc"].idxmax()]
    worst_run = course_runs.loc[course_runs["test_acc"].idxmin()]

    labels = probs[best_run["strategy"]]["label"].to_numpy()
    best_p = probs[best_run["strategy"]][best_run["run"]].to_numpy()
    worst_p = probs[worst_run["strategy"]][worst_run["run"]].to_numpy()
    shown = first_disagreements(labels, best_p, worst_p, SHOWN)
    with np.load(require_face_arrays()) as arrays:
        test_images = arrays["test_scratch"]  # one read of the member, not one per image
    images = [test_images[i] for i in shown]
    names = ("real", "fake")
    titles = [
        f"true: {names[labels[i]]}\nbest p(fake) {best_p[i]:.2f}\nworst p(fake) {worst_p[i]:.2f}"
        for i in shown
    ]
    note = "" if len(shown) == SHOWN else f" (only {len(shown)} such images)"
    plot_image_grid(
        images or [np.full((3, 8, 8), 255, np.uint8)],
        PLOTS / KEY / "best_right_worst_wrong.png",
        columns=SHOWN,
        titles=titles or ["no test image is right for the best run and wrong for the worst"],
        title=f"7.2 ({kind}): best {run_name(best_run)} right, "
        f"worst {run_name(worst_run)} wrong{note}",
    )

    write_results(
        KEY,
        {"best_strategy": one_epoch[0]},
        {
            "dataset": kind,
            "backbone": backbone,
            "ranking_one_epoch": one_epoch,
            "table": table,
            "best": _run(best_run),
            "second_best_strategy": one_epoch[1] if len(one_epoch) > 1 else None,
            "worst": _run(worst_run),
            "shown_test_indices": shown,
            "shown_files": [str(probs[best_run["strategy"]]["file"].iloc[i]) for i in shown],
            "fewer_than_five": len(shown) < SHOWN,
        },
    )


def run_name(row: pd.Series) -> str:
    return f"{row['strategy']} ({row['run']})"


def _run(row: pd.Series) -> dict:
    lr = None if pd.isna(row["lr"]) else float(row["lr"])
    return {
        "strategy": row["strategy"],
        "lr": lr,
        "val_acc": float(row["val_acc"]),
        "test_acc": float(row["test_acc"]),
    }


if __name__ == "__main__":
    run_faces(main)

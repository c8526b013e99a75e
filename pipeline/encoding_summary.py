"""Stage encoding_summary: the encoding sweep against the course's encoding and 1-NN."""

from __future__ import annotations

import math

import pandas as pd
from stage_cities import run_cities
from stage_shared import PLOTS, load_params, read_params, read_summary, write_results

from mlpcnn.cities.figures import plot_frequency_sweep
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv

KEY = "encoding_summary"
SWEEP = "encoding_sweep"


def main() -> None:
    params = load_params(KEY, ("goal_setting",))
    settings = list(read_params()[SWEEP]["settings"])
    goal = params["goal_setting"]
    runs = {n: read_summary(f"{SWEEP}/{n}") for n in settings}
    table = pd.DataFrame.from_dict(runs, orient="index")[
        ["kind", "features", "max_frequency", "val_acc_mean", "val_acc_std", "test_acc_mean",
         "test_acc_std", "train_acc_mean", "seeds"]
    ].rename_axis("setting")  # fmt: skip
    table["seeds"] = table["seeds"].map(len)
    write_csv(PLOTS / KEY / "sweep.csv", table.reset_index())
    curves = {n: pd.read_csv(PLOTS / SWEEP / n / "curves.csv") for n in settings}
    write_csv(PLOTS / KEY / "val_acc_curves.csv", series_table(curves, "epoch", ["val_acc_mean"]))

    nearest = read_summary("prepare_cities")["nearest_neighbour"]
    implicit = read_summary("implicit_encoding")
    course = implicit["sine"]
    course_frequency = max(implicit["frequencies"]) / (2 * math.pi)  # rad/deg -> cycles/deg
    plot_frequency_sweep(
        table,
        PLOTS / KEY / "sweep.png",
        nearest=nearest["val_acc"],
        course=(course_frequency, course["val_acc_mean"]),
        title="Beyond 6.2 Q7: validation accuracy against the highest input frequency",
    )
    best = str(table["val_acc_mean"].idxmax())
    beats = {
        name: bool(
            row["val_acc_mean"] > nearest["val_acc"] and row["test_acc_mean"] > nearest["test_acc"]
        )
        for name, row in table.iterrows()
    }
    write_results(
        KEY,
        {"best_val_acc": float(table.loc[best, "val_acc_mean"])},
        {
            "nearest_neighbour": nearest,
            "course_sine_val_acc": course["val_acc_mean"],
            "best_setting": best,
            "best_val_acc": float(table.loc[best, "val_acc_mean"]),
            "best_test_acc": float(table.loc[best, "test_acc_mean"]),
            "goal_setting": goal,
            "goal": "mean validation and test accuracy above 1-nearest-neighbour's",
            "goal_met": beats.get(goal, False),
            "settings_beating_nearest_neighbour": [n for n, ok in beats.items() if ok],
        },
    )


if __name__ == "__main__":
    run_cities(main)

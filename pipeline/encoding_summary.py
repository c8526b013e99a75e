"""Stage encoding_summary: the encoding sweep against the course's encoding and 1-NN."""

from __future__ import annotations

import json

import pandas as pd
from stage import METRICS, PLOTS, load_params, run

from mlpcnn.encodings import COURSE_FREQUENCIES
from mlpcnn.io import write_csv, write_json
from mlpcnn.plots import plot_frequency_sweep

KEY = "encoding_summary"
SWEEP = "encoding_sweep"


def main() -> None:
    params = load_params(KEY)
    settings = list(load_params(SWEEP)["settings"])
    goal = params["goal_setting"]
    runs = {n: json.loads((METRICS / SWEEP / f"{n}.json").read_text()) for n in settings}
    table = pd.DataFrame.from_dict(runs, orient="index")[
        ["kind", "features", "max_frequency", "val_acc_mean", "val_acc_std", "test_acc_mean",
         "test_acc_std", "train_acc_mean", "seeds"]
    ].rename_axis("setting")  # fmt: skip
    table["seeds"] = table["seeds"].map(len)
    write_csv(PLOTS / KEY / "sweep.csv", table.reset_index())

    nearest = json.loads((METRICS / "prepare_cities.json").read_text())["nearest_neighbour"]
    course = json.loads((METRICS / "implicit_encoding.json").read_text())["sine"]
    course_frequency = max(COURSE_FREQUENCIES) / (2 * 3.141592653589793)  # rad/deg -> cycles/deg
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
    write_json(
        METRICS / f"{KEY}.json",
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
    run(main)

"""Stage encoding_summary: every input encoding at one architecture, against 1-NN.

A setting "beats" 1-nearest-neighbour when every one of its seeds gets more test cities
right than 1-NN does, each with McNemar's exact test p < alpha (an intersection-union
test: no correction is needed for requiring all of them). The goal adds a bar on the
mean test accuracy and a stricter alpha.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import run_cities
from stage_shared import PLOTS, load_params, naming, read_params, read_summary, write_results

from mlpcnn.cities.figures import plot_frequency_sweep
from mlpcnn.cities.sweep import sweep_summary, sweep_table
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam

KEY = "encoding_summary"
SWEEP = "encoding_sweep"


def main() -> None:
    params = load_params(KEY, ("goal_setting", "goal_test_acc", "goal_alpha", "alpha"))
    settings = list(read_params()[SWEEP]["settings"])
    goal = params["goal_setting"]
    with naming(KEY):
        if goal not in settings:
            raise InvalidParam(f"goal_setting: expected one of {settings}, got {goal!r}")
    runs = {n: read_summary(f"{SWEEP}/{n}") for n in settings}
    table = sweep_table(runs)
    write_csv(PLOTS / KEY / "sweep.csv", table.reset_index())
    curves = {n: pd.read_csv(PLOTS / SWEEP / n / "curves.csv") for n in settings}
    write_csv(PLOTS / KEY / "val_acc_curves.csv", series_table(curves, "epoch", ["val_acc_mean"]))

    nearest = read_summary("prepare_cities")["nearest_neighbour"]
    plot_frequency_sweep(
        table,
        PLOTS / KEY / "sweep.png",
        nearest=nearest["test_acc"],
        title="Beyond 6.2 Q7: test error by input encoding, one architecture (95% interval)",
    )
    write_results(
        KEY,
        {"goal_test_acc_mean": float(table.loc[goal, "test_acc_mean"])},
        {
            "nearest_neighbour": nearest,
            **sweep_summary(
                runs, table, goal, params["goal_test_acc"], params["goal_alpha"], params["alpha"]
            ),
        },
        per_seed=(runs[goal]["seeds"], {"goal_test_acc_mean": runs[goal]["test_acc_per_seed"]}),
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage encoding_summary: every input encoding at one architecture, against 1-NN.

A setting "beats" 1-nearest-neighbour when its seeds' ensemble gets more test cities
right than 1-NN does (McNemar's exact test, Holm over the settings, p < alpha): the rule
the report prints, written here as the summary's ``verdicts``.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import run_cities
from stage_shared import PLOTS, load_params, read_params, read_summary, write_results

from mlpcnn.cities.figures import plot_frequency_sweep
from mlpcnn.cities.sweep import sweep_summary, sweep_table
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv

KEY = "encoding_summary"
SWEEP = "encoding_sweep"


def main() -> None:
    params = load_params(KEY, ("alpha",))
    settings = list(read_params()[SWEEP]["settings"])
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
    summary = sweep_summary(runs, table, params["alpha"])
    best = summary["best_setting"]  # by validation accuracy; its test accuracy is reported
    write_results(
        KEY,
        {"best_test_acc_mean": float(table.loc[best, "test_acc_mean"])},
        {"nearest_neighbour": nearest, **summary},
        per_seed=(runs[best]["seeds"], {"best_test_acc_mean": runs[best]["test_acc_per_seed"]}),
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage mlp_select (6.2 Q1-Q4): best and worst grid cell, fit verdicts, depth and width.

Reads every cell's outputs of ``mlp_grid``, and the 1-nearest-neighbour accuracy on the
raw coordinates (from ``prepare_cities``) as the reference of what the data allows.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch
from stage_cities import PREPARED_CITIES, run_cities
from stage_shared import (
    MODELS,
    PLOTS,
    environment,
    load_params,
    naming,
    read_params,
    read_summary,
    write_results,
)

from mlpcnn.cities.boundaries import plot_boundary_panels
from mlpcnn.cities.figures import plot_accuracy_sweeps, plot_mean_curves
from mlpcnn.cities.mlp import load_mlps
from mlpcnn.cities.selection import (
    FitRule,
    best_and_worst,
    fit_verdict,
    representative_seed,
    summarise_cells,
)
from mlpcnn.cities.stats import compare
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_keys

KEY = "mlp_select"
GRID = "mlp_grid"
OUT = PLOTS / KEY


def main() -> None:
    params = load_params(KEY, ("base_depth", "base_width", "boundary_resolution", "fit_rule"))
    cells = list(read_params()[GRID]["cells"])
    with naming(KEY):
        check_keys(params["fit_rule"], FitRule.__dataclass_fields__, "fit_rule")
        rule = FitRule(**params["fit_rule"])

    histories = {c: pd.read_csv(PLOTS / GRID / c / "history.csv") for c in cells}
    curves = {c: pd.read_csv(PLOTS / GRID / c / "curves.csv") for c in cells}
    shapes = {c: read_summary(f"{GRID}/{c}") for c in cells}
    table = summarise_cells(histories)
    table.insert(0, "depth", [shapes[c]["depth"] for c in table.index])
    table.insert(1, "width", [shapes[c]["width"] for c in table.index])

    with np.load(PREPARED_CITIES) as arrays:
        data = {name: arrays[name] for name in ("x_test", "y_test", "n_classes")}
    nearest = read_summary("prepare_cities")["nearest_neighbour"]
    knn = {split: nearest[f"{split}_acc"] for split in ("val", "test")}

    best, worst = best_and_worst(table)
    verdicts = {c: fit_verdict(curves[c], knn["val"], rule) for c in cells}
    write_csv(OUT / "cells.csv", table.rename_axis("cell").reset_index())
    write_csv(OUT / "val_acc_curves.csv", series_table(curves, "epoch", ["val_acc_mean"]))

    # Accuracy against depth (the base width) and against width (the base depth).
    base_depth, base_width = params["base_depth"], params["base_width"]
    by_depth = table[table["width"] == base_width].sort_values("depth")
    by_width = table[table["depth"] == base_depth].sort_values("width")
    write_csv(OUT / "depth.csv", by_depth.rename_axis("cell").reset_index())
    write_csv(OUT / "width.csv", by_width.rename_axis("cell").reset_index())
    plot_accuracy_sweeps(
        {f"width {base_width}": (by_depth, "depth"), f"depth {base_depth}": (by_width, "width")},
        OUT / "depth_width.png",
        title=f"6.2: final accuracy, mean and 95% interval over {int(table['seeds'].max())} seeds",
        reference=(knn["val"], f"1-NN validation accuracy {knn['val']:.4f}"),
    )

    label = {c: f"{c}: depth {table.loc[c, 'depth']}, width {table.loc[c, 'width']}" for c in cells}
    plot_mean_curves(
        {f"best, {label[best]}": curves[best], f"worst, {label[worst]}": curves[worst]},
        {"cross-entropy loss": ["train_loss", "val_loss", "test_loss"],
         "accuracy": ["train_acc", "val_acc", "test_acc"]},
        OUT / "best_worst_curves.png",
        title="6.2 Q1-Q3: best and worst cell by mean validation accuracy (band: 95% interval)",
    )  # fmt: skip

    panels, seeds = {}, {}
    for role, cell in (("best", best), ("worst", worst)):
        models, cell_seeds = load_mlps(MODELS / GRID / f"{cell}.pt")
        seeds[role] = representative_seed(histories[cell])
        model = models[cell_seeds.index(seeds[role])]
        panels[f"{role}: {label[cell]} (seed {seeds[role]})"] = lambda x, m=model: m(x).argmax(
            dim=1
        )
    plot_boundary_panels(
        panels,
        data["x_test"],
        data["y_test"],
        int(data["n_classes"]),
        OUT / "boundaries.png",
        title="6.2 Q4: decision boundaries over the test points (colour: country)",
        resolution=params["boundary_resolution"],
    )

    ranked = table.sort_values("val_acc_mean", ascending=False, kind="stable").index.tolist()
    # Every pair of cells on the final validation accuracy over seeds, one Holm family:
    # best against worst is one of its members, so picking the extremes is paid for.
    final = {c: h.loc[h["epoch"] == h["epoch"].max(), "val_acc"].to_numpy()
             for c, h in histories.items()}  # fmt: skip
    pairs = compare({f"{a} vs {b}": (final[a], final[b])
                     for a, b in itertools.combinations(ranked, 2)})  # fmt: skip
    tied_with_best = [c for c in ranked[1:] if not pairs[f"{best} vs {c}"]["distinguishable"]]
    write_results(
        KEY,
        {"best_val_acc_mean": float(table.loc[best, "val_acc_mean"])},
        {
            "best": {
                "cell": best,
                **_cell(table, best),
                **verdicts[best],
                "boundary_seed": seeds["best"],
            },
            "worst": {
                "cell": worst,
                **_cell(table, worst),
                **verdicts[worst],
                "boundary_seed": seeds["worst"],
            },
            "fit_rule": rule.as_dict(),
            "nearest_neighbour": {f"{s}_acc": a for s, a in knn.items()},
            "ranking_by_val_acc": ranked,
            "final_figure": "the last epoch's value, per seed; mean and 95% t-interval over seeds",
            "comparisons": pairs,
            "adjacent": [f"{a} vs {b}" for a, b in itertools.pairwise(ranked)],
            "best_vs_worst": pairs[f"{best} vs {worst}"],
            "not_distinguishable_from_best": tied_with_best,
            "cells": {c: {**_cell(table, c), "verdict": verdicts[c]["verdict"]} for c in cells},
            **environment(torch.device("cpu")),
        },
    )


def _cell(table: pd.DataFrame, cell: str) -> dict:
    row = table.loc[cell]
    return {k: (int(v) if k in ("depth", "width", "seeds") else float(v)) for k, v in row.items()}


if __name__ == "__main__":
    run_cities(main)

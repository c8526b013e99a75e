"""Stage mlp_select (6.2 Q1-Q4): best and worst grid cell, fit verdicts, depth and width.

Reads every cell's outputs of ``mlp_grid``, and the 1-nearest-neighbour accuracy on the
raw coordinates (from ``prepare_cities``) as the reference of what the data allows.
"""

from __future__ import annotations

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

from mlpcnn.cities.baselines import class_prior_loss
from mlpcnn.cities.boundaries import plot_boundary_panels
from mlpcnn.cities.figures import plot_grid_study
from mlpcnn.cities.mlp import load_mlps
from mlpcnn.cities.optimisation import FINAL_FIGURE, finals
from mlpcnn.cities.selection import grid_table, representative_seed, selection_summary
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_fraction
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "mlp_select"
GRID = "mlp_grid"
OUT = PLOTS / KEY


def main() -> None:
    params = load_params(KEY, ("base_depth", "base_width", "boundary_resolution", "fit_margin"))
    cells = list(read_params()[GRID]["cells"])
    with naming(KEY):
        margin = check_fraction(params["fit_margin"], "fit_margin")

    histories = {c: pd.read_csv(PLOTS / GRID / c / "history.csv") for c in cells}
    curves = {c: pd.read_csv(PLOTS / GRID / c / "curves.csv") for c in cells}
    table = grid_table(histories, {c: read_summary(f"{GRID}/{c}") for c in cells})
    nearest = read_summary("prepare_cities")["nearest_neighbour"]
    knn = {split: nearest[f"{split}_acc"] for split in ("val", "test")}
    summary = selection_summary(table)
    best, worst = summary["best"]["cell"], summary["worst"]["cell"]
    cells_of = summary["cells"]

    write_csv(OUT / "cells.csv", table.rename_axis("cell").reset_index())
    write_csv(OUT / "val_acc_curves.csv", series_table(curves, "epoch", ["val_acc_mean"]))
    by_depth = table[table["width"] == params["base_width"]].sort_values("depth")
    by_width = table[table["depth"] == params["base_depth"]].sort_values("width")
    write_csv(OUT / "depth.csv", by_depth.rename_axis("cell").reset_index())
    write_csv(OUT / "width.csv", by_width.rename_axis("cell").reset_index())
    label = {c: f"{c}: depth {table.loc[c, 'depth']}, width {table.loc[c, 'width']}" for c in cells}
    plot_grid_study(
        {f"width {params['base_width']}": (by_depth, "depth"),
         f"depth {params['base_depth']}": (by_width, "width")},
        {f"best, {label[best]}": curves[best], f"worst, {label[worst]}": curves[worst]},
        OUT, seeds=int(table["seeds"].max()), reference=knn["val"],
    )  # fmt: skip

    panels = {}
    for role, cell in (("best", best), ("worst", worst)):
        models, cell_seeds = load_mlps(MODELS / GRID / f"{cell}.pt")
        seed = summary[role]["boundary_seed"] = representative_seed(histories[cell])
        model = models[cell_seeds.index(seed)]
        panels[f"{role}: {label[cell]} (seed {seed})"] = lambda x, m=model: m(x).argmax(dim=1)
    with np.load(PREPARED_CITIES) as arrays:
        x_test, y_test, n_classes = (arrays[k] for k in ("x_test", "y_test", "n_classes"))
        prior_loss = class_prior_loss(arrays["y_train"], arrays["y_val"], int(n_classes))
    plot_boundary_panels(
        panels, x_test, y_test, int(n_classes), OUT / "boundaries.png",
        title="6.2 Q1-Q2: decision boundaries over the test points (colour: country; each "
        "panel's seed: final validation accuracy closest to its cell's mean)",
        resolution=params["boundary_resolution"],
    )  # fmt: skip

    write_results(
        KEY,
        {"best_val_acc_mean": float(table.loc[best, "val_acc_mean"])},
        {
            **summary,
            # the report's rules, on the cells' histories as written (as the report reads them)
            "verdicts": rules.grid(histories, cells_of, knn["val"], margin, prior_loss, RULE),
            "fit_margin": margin,
            "nearest_neighbour": {f"{s}_acc": a for s, a in knn.items()},
            "final_figure": FINAL_FIGURE,
            **environment(torch.device("cpu")),
        },
        per_seed=(histories[best]["seed"].unique(),
                  {"best_val_acc_mean": finals(histories[best], "val_acc")}),
    )  # fmt: skip


if __name__ == "__main__":
    run_cities(main)

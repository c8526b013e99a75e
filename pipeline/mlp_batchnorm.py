"""Stage mlp_batchnorm (6.1 Q3): the base MLP with and without batch norm."""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage_cities import TRAIN_KEYS, load_prepared_cities, mlp_config, run_cities, train_config
from stage_shared import PLOTS, device_from, environment, load_params, write_results

from mlpcnn.cities.figures import plot_runs
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv

KEY = "mlp_batchnorm"
OUT = PLOTS / KEY
KEYS = ("depth", "width", *TRAIN_KEYS, "accuracy_threshold")
RUNS = {"with batch norm": True, "without batch norm": False}


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seed, threshold = params["seed"], params["accuracy_threshold"]
    configs = {
        name: mlp_config(KEY, params, data.n_classes, batchnorm=bn) for name, bn in RUNS.items()
    }
    train = train_config(KEY, params, len(data.train[1]), batchnorm=True)

    runs, seconds = {}, {}
    for name, config in configs.items():
        model = stacked_mlps(config, [seed]).to(device)  # same seed: same Linear weights
        result = train_replicas(model, data.train, data.splits, train, seeds=[seed])
        runs[name], seconds[name] = result.frame(0), float(result.train_seconds.sum())

    write_csv(
        OUT / "history.csv", pd.concat([f.assign(batchnorm=RUNS[n]) for n, f in runs.items()])
    )
    write_csv(OUT / "curves.csv", series_table(runs, "epoch", ["val_acc", "val_loss"]))
    plot_runs(
        runs,
        {"validation accuracy": "val_acc", "validation loss": "val_loss"},
        OUT / "batchnorm.png",
        title=f"6.1 Q3: batch norm before each ReLU (depth {params['depth']}, width "
        f"{params['width']}, lr {train.lr:g}, batch {train.batch_size})",
        logy=["validation loss"],
    )

    summary = {
        name: {
            "batchnorm": RUNS[name],
            "epochs_to_threshold": epochs_to(frame, threshold),
            **{
                f"final_{k}": float(frame[k].iloc[-1])
                for k in ("train_acc", "val_acc", "test_acc", "val_loss")
            },
            "best_val_acc": float(frame["val_acc"].max()),
        }
        for name, frame in runs.items()
    }
    write_results(
        KEY,
        {
            "final_val_acc": {
                name.replace(" ", "_"): run["final_val_acc"] for name, run in summary.items()
            }
        },
        {
            "accuracy_threshold": threshold,
            "epochs": train.epochs,
            "runs": summary,
            "timing": {"train_seconds": seconds},
            **environment(device),
        },
    )


def epochs_to(frame: pd.DataFrame, threshold: float) -> int | None:
    """The first epoch whose validation accuracy reaches ``threshold``, or None if none does."""
    reached = np.flatnonzero(frame["val_acc"].to_numpy() >= threshold)
    return int(frame["epoch"].iloc[reached[0]]) if reached.size else None


if __name__ == "__main__":
    run_cities(main)

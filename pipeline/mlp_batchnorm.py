"""Stage mlp_batchnorm (6.1 Q3): the base MLP with and without batch norm, over seeds.

An arm changes only what it names: ``batchnorm`` (BatchNorm1d before each ReLU) and
``standardise`` (inputs centred and scaled by the training split's statistics). The
control with standardised inputs and no batch norm says how much of batch norm's gain
is the scaling of the raw coordinates, which batch norm's first layer also does.
Arms share their seeds, so a seed's Linear layers start from the same weights in every arm.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from stage_cities import (
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import PLOTS, device_from, environment, load_params, naming, write_results

from mlpcnn.cities.encodings import standardiser
from mlpcnn.cities.figures import plot_seed_runs
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.stats import compare, seed_interval
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam, check_keys

KEY = "mlp_batchnorm"
OUT = PLOTS / KEY
KEYS = ("depth", "width", *TRAIN_KEYS, "seeds", "arms", "base_arm", "accuracy_threshold")
ARM_KEYS = ("batchnorm", "standardise")


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds, threshold, arms = seeds_of(KEY, params), params["accuracy_threshold"], params["arms"]
    with naming(KEY):
        if not isinstance(arms, dict) or not arms:
            raise InvalidParam(f"arms: expected a mapping of arm name to settings, got {arms!r}")
        for name, arm in arms.items():
            check_keys(arm, ARM_KEYS, f"arms.{name}")
        if params["base_arm"] not in arms:
            raise InvalidParam(
                f"base_arm: expected one of {list(arms)}, got {params['base_arm']!r}"
            )
    base = params["base_arm"]
    standardise = standardiser(data.train[0])
    train = train_config(KEY, params, len(data.train[1]), batchnorm=True)

    histories, seconds = {}, {}
    for name, arm in arms.items():
        config = mlp_config(f"{KEY}.arms.{name}", params, data.n_classes,
                            batchnorm=bool(arm.get("batchnorm", False)))  # fmt: skip
        scale = standardise if arm.get("standardise", False) else (lambda x: x)
        splits = {s: (scale(x), y) for s, (x, y) in data.splits.items()}
        model = stacked_mlps(config, seeds).to(device)
        result = train_replicas(model, splits["train"], splits, train, seeds=seeds)
        histories[name] = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
        seconds[name] = float(result.train_seconds.sum())

    curves = {name: mean_curves(h) for name, h in histories.items()}
    write_csv(OUT / "history.csv", pd.concat([h.assign(arm=n) for n, h in histories.items()]))
    write_csv(OUT / "curves.csv", series_table(curves, "epoch", ["val_acc_mean", "val_loss_mean"]))
    plot_seed_runs(
        curves,
        {"validation accuracy": "val_acc", "validation loss": "val_loss"},
        OUT / "batchnorm.png",
        title=f"6.1 Q3: batch norm before each ReLU (depth {params['depth']}, width "
        f"{params['width']}, lr {train.lr:g}, batch {train.batch_size}; mean and 95% interval "
        f"over {len(seeds)} seeds)",
        logy=["validation loss"],
    )

    per_seed, summary = {}, {}
    for name, history in histories.items():
        frames = [history[history["seed"] == s] for s in seeds]
        per_seed[name] = {
            "final_val_acc": [float(f["val_acc"].iloc[-1]) for f in frames],
            "final_test_acc": [float(f["test_acc"].iloc[-1]) for f in frames],
            "final_train_acc": [float(f["train_acc"].iloc[-1]) for f in frames],
            "final_val_loss": [float(f["val_loss"].iloc[-1]) for f in frames],
        }
        reached = [epochs_to(f, threshold) for f in frames]
        summary[name] = {
            **arms[name],
            **{k: seed_interval(v) for k, v in per_seed[name].items()},
            "epochs_to_threshold": reached,
            "epochs_to_threshold_median": _median(reached, params["epochs"]),
            "seeds_reaching_threshold": sum(e is not None for e in reached),
        }
    # Every pair of arms on the final validation accuracy, one Holm family.
    comparisons = compare({
        f"{a} vs {b}": (per_seed[a]["final_val_acc"], per_seed[b]["final_val_acc"])
        for a, b in itertools.combinations(arms, 2)
    })  # fmt: skip
    gains = {n: summary[n]["final_val_acc"]["mean"] - summary[base]["final_val_acc"]["mean"]
             for n in arms if n != base}  # fmt: skip
    write_results(
        KEY,
        {"final_val_acc": {name: summary[name]["final_val_acc"]["mean"] for name in arms}},
        {
            "accuracy_threshold": threshold,
            "epochs": train.epochs,
            "seeds": seeds,
            "base_arm": base,
            "arms": summary,
            "comparisons": comparisons,
            "gain_over_base": gains,
            "final_figure": "the last epoch's value, per seed; mean and 95% t-interval over seeds",
            "timing": {"train_seconds": seconds, "replicas": len(seeds)},
            **environment(device),
        },
    )


def epochs_to(frame: pd.DataFrame, threshold: float) -> int | None:
    """The first epoch whose validation accuracy reaches ``threshold``, or None if none does."""
    reached = np.flatnonzero(frame["val_acc"].to_numpy() >= threshold)
    return int(frame["epoch"].iloc[reached[0]]) if reached.size else None


def _median(epochs: list[int | None], never: int) -> float | None:
    """Median epoch to the threshold, a seed that never reaches it counted as beyond the run."""
    values = [never + 1 if e is None else e for e in epochs]
    median = float(np.median(values))
    return None if median > never else median


if __name__ == "__main__":
    run_cities(main)

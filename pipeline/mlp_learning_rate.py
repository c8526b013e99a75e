"""Stage mlp_learning_rate (6.1 Q1): the base MLP at several learning rates, over seeds.

Every (learning rate, seed) pair is one replica of a single batched run: for a given
seed every rate starts from the same initial weights and sees the same batches, so the
learning rate is the only difference between the curves of one seed, and the seeds say
how much of a difference between rates is the draw of weights and batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import PLOTS, device_from, environment, load_params, naming, write_results

from mlpcnn.cities.baselines import class_prior_loss
from mlpcnn.cities.figures import plot_seed_runs
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.stats import compare, seed_interval
from mlpcnn.cities.training import check_lr, train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam, check_distinct, number_label

KEY = "mlp_learning_rate"
OUT = PLOTS / KEY
KEYS = MODEL_KEYS + tuple(k for k in TRAIN_KEYS if k != "lr") + ("lrs", "seeds")
STUCK = 0.95  # a final validation loss above 95% of the class-prior loss: learnt (almost) nothing
CRITERIA = {"final": "final_val_loss", "best": "best_val_loss"}  # lower wins


def lr_label(lr: float) -> str:
    return f"lr {number_label(lr)}"


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    lrs, seeds = params["lrs"], seeds_of(KEY, params)
    with naming(KEY):
        if not isinstance(lrs, list) or not lrs:
            raise InvalidParam(f"lrs: expected a non-empty list of learning rates, got {lrs!r}")
        for i, lr in enumerate(lrs):
            check_lr(f"lrs[{i}]", lr)
        check_distinct(lrs, "lrs")
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, {**params, "lr": lrs[0]}, len(data.train[1]), config.batchnorm)

    # Replica (i, j) = (lrs[i], seeds[j]), lr-major.
    pairs = [(lr, seed) for lr in lrs for seed in seeds]
    model = stacked_mlps(config, [s for _, s in pairs]).to(device)
    result = train_replicas(model, data.train, data.splits, train,
                            seeds=[s for _, s in pairs], lrs=[lr for lr, _ in pairs])  # fmt: skip

    prior_loss = class_prior_loss(
        data.train[1].cpu().numpy(), data.splits["val"][1].cpu().numpy(), data.n_classes
    )
    diverged = result.diverged_epoch
    history = pd.concat(
        [result.frame(r).assign(lr=lr, seed=seed) for r, (lr, seed) in enumerate(pairs)]
    )
    write_csv(OUT / "history.csv", history)
    curves = {lr_label(lr): mean_curves(history[history["lr"] == lr].drop(columns="lr"))
              for lr in lrs}  # fmt: skip
    write_csv(OUT / "curves.csv", series_table(curves, "epoch", ["val_loss_mean", "val_acc_mean"]))
    plot_seed_runs(
        curves,
        {"validation loss": "val_loss", "validation accuracy": "val_acc"},
        OUT / "val_loss.png",
        title=f"6.1 Q1: learning rate (depth {config.depth}, width {config.width}, batch "
        f"{train.batch_size}, {train.epochs} epochs; mean and 95% interval over "
        f"{len(seeds)} seeds)",
        logy=["validation loss"],
        references={"validation loss": (prior_loss, "predicting the class frequencies")},
    )

    runs, values = {}, {}
    for i, lr in enumerate(lrs):
        rows = range(i * len(seeds), (i + 1) * len(seeds))
        frames = [history[(history["lr"] == lr) & (history["seed"] == s)] for s in seeds]
        per_seed = {
            "final_val_loss": [float(f["val_loss"].iloc[-1]) for f in frames],
            "best_val_loss": [float(f["val_loss"].min()) for f in frames],
            "final_val_acc": [float(f["val_acc"].iloc[-1]) for f in frames],
            "final_test_acc": [float(f["test_acc"].iloc[-1]) for f in frames],
            "best_val_loss_epoch": [_epoch_of_min(f) for f in frames],
        }
        values[lr_label(lr)] = per_seed
        n_diverged = sum(diverged[r] is not None for r in rows)
        final_loss = seed_interval(per_seed["final_val_loss"])
        runs[lr_label(lr)] = {
            "lr": lr,
            "seeds_diverged": n_diverged,
            "diverged_epochs": [diverged[r] for r in rows if diverged[r] is not None],
            # Not diverged, yet no better than predicting the class frequencies.
            "stuck_at_class_prior": n_diverged == 0
            and final_loss["mean"] is not None
            and final_loss["mean"] >= STUCK * prior_loss,
            **{
                name: seed_interval(v)
                for name, v in per_seed.items()
                if name != "best_val_loss_epoch"
            },
            "best_val_loss_epoch": per_seed["best_val_loss_epoch"],
        }

    # Which rate wins by each criterion, and is its lead over every other rate more than
    # seed noise? One family per criterion: the winner against each other rate. A rate
    # with a diverged seed is out of the running.
    verdicts = {}
    for criterion, column in CRITERIA.items():
        eligible = [n for n, r in runs.items() if r["seeds_diverged"] == 0]
        winner = min(eligible, key=lambda n: runs[n][column]["mean"]) if eligible else None
        tests = (
            compare(
                {
                    f"{winner} vs {n}": (values[winner][column], values[n][column])
                    for n in eligible
                    if n != winner
                }
            )
            if winner
            else {}
        )
        verdicts[criterion] = {"criterion": column, "winner": winner, "versus": tests}

    final_winner = verdicts["final"]["winner"]
    write_results(
        KEY,
        # the rate with the lowest mean final validation loss (a diverged rate cannot win)
        {"best_lr": runs[final_winner]["lr"] if final_winner else None},
        {
            "runs": runs,
            "verdicts": verdicts,
            "final_figure": "the last epoch's value, per seed; mean and 95% t-interval over seeds",
            "class_prior_val_loss": prior_loss,
            "seeds": seeds,
            "epochs": train.epochs,
            "timing": {"train_seconds": float(result.train_seconds.sum()), "replicas": len(pairs)},
            **environment(device),
        },
    )


def _epoch_of_min(frame: pd.DataFrame) -> int | None:
    values = frame["val_loss"].to_numpy()
    return None if np.isnan(values).all() else int(frame["epoch"].iloc[int(np.nanargmin(values))])


if __name__ == "__main__":
    run_cities(main)

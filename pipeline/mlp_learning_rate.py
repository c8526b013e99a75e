"""Stage mlp_learning_rate (6.1 Q1): the base MLP at several learning rates, over seeds.

Every (learning rate, seed) pair is one replica of a single batched run: for a given
seed every rate starts from the same initial weights and sees the same batches, so the
learning rate is the only difference between the curves of one seed, and the seeds say
how much of a difference between rates is the draw of weights and batches.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_stage, run_cities
from stage_shared import PLOTS, naming

from mlpcnn.cities.figures import plot_seed_runs
from mlpcnn.cities.optimisation import FINAL_FIGURE, learning_rate_summary, lr_label
from mlpcnn.cities.selection import mean_curves
from mlpcnn.cities.training import check_lrs
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import RULE

KEY = "mlp_learning_rate"
OUT = PLOTS / KEY
KEYS = MODEL_KEYS + tuple(k for k in TRAIN_KEYS if k != "lr") + ("lrs", "seeds")


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    with naming(KEY):
        lrs = check_lrs(stage.params["lrs"])
    config = stage.mlp()
    train = stage.training(config.batchnorm)
    # Replica (i, j) = (lrs[i], seeds[j]), lr-major.
    pairs = [(lr, seed) for lr in lrs for seed in stage.seeds]
    _, result = stage.train(config, train, seeds=[s for _, s in pairs],
                            lrs=[lr for lr, _ in pairs])  # fmt: skip

    prior_loss = stage.prior_loss()
    history = result.table(lr=[lr for lr, _ in pairs])
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
        f"{len(stage.seeds)} seeds)",
        logy=["validation loss"],
        references={"validation loss": (prior_loss, "predicting the class frequencies")},
    )

    summary = learning_rate_summary(history, prior_loss)
    # the report's rule, on the history as written (the report reads the same file)
    verdicts = rules.learning_rate(pd.read_csv(OUT / "history.csv"), prior_loss, RULE)
    winner = verdicts["final"]["winner"]
    stage.write(
        # the rate with the lowest mean final validation loss (a diverged rate cannot win)
        {"best_lr": summary["runs"][winner]["lr"] if winner else None},
        {
            **summary,
            "verdicts": verdicts,
            "final_figure": FINAL_FIGURE,
            "class_prior_val_loss": prior_loss,
            "seeds": stage.seeds,
            "epochs": train.epochs,
        },
        {"all rates and seeds": result.train_seconds.sum()},
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage mlp_epochs (6.1 Q2): the base MLP trained for 100 epochs over seeds; loss per epoch."""

from __future__ import annotations

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_stage, run_cities
from stage_shared import MODELS, PLOTS

from mlpcnn.cities.figures import plot_mean_curves
from mlpcnn.cities.optimisation import SPLITS, epochs_summary
from mlpcnn.cities.replicas import save_replicas
from mlpcnn.cities.selection import mean_curves
from mlpcnn.common.io import write_csv
from mlpcnn.verdicts.curves import RULE, classify_run

KEY = "mlp_epochs"
OUT = PLOTS / KEY


def main() -> None:
    stage = cities_stage(KEY, (*MODEL_KEYS, *TRAIN_KEYS, "seeds"))
    config = stage.mlp()
    train = stage.training(config.batchnorm)
    model, result = stage.train(config, train)

    history = result.table()
    curves = mean_curves(history)
    write_csv(OUT / "history.csv", history)
    write_csv(OUT / "curves.csv", curves)
    plot_mean_curves(
        {f"mean and 95% interval over {len(stage.seeds)} seeds": curves},
        {
            "cross-entropy loss": [f"{s}_loss" for s in SPLITS],
            "accuracy": [f"{s}_acc" for s in SPLITS],
        },
        OUT / "loss.png",
        title=(
            f"6.1 Q2: depth {config.depth}, width {config.width}, lr {train.lr:g}, "
            f"batch {train.batch_size}, {train.epochs} epochs"
        ),
    )
    save_replicas(MODELS / f"{KEY}.pt", model)

    summary = epochs_summary(result)
    # the report's curve rule, on the history as written (the report reads the same file)
    verdicts = classify_run(pd.read_csv(OUT / "history.csv"), stage.prior_loss(), RULE)
    stage.write(
        {"final_test_acc": summary["final"]["test_acc"]["mean"]},
        {
            **summary,
            "verdicts": verdicts,
            "seeds": stage.seeds,
            "epochs": train.epochs,
            "lr": train.lr,
            "batch_size": train.batch_size,
            "depth": config.depth,
            "width": config.width,
            "steps_per_epoch": result.steps_per_epoch,
        },
        {"all seeds": result.train_seconds},
        {"final_test_acc": result.final("test_acc")},
    )


if __name__ == "__main__":
    run_cities(main)

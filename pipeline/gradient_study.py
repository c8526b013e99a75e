"""Stage gradient_study (6.2 Q5): vanishing gradients, and dead layers, in a plain deep MLP.

Every seed is a replica of one batched run of the course's network (100 hidden layers of
width 4, ReLU, PyTorch's default init, raw coordinates, Adam). Per seed and layer: the
course's measure per epoch, the profile at initialisation in float64, and whether the
layer is dead (all its units output 0 for every training input) at init and after
training. An exact zero in the course's measure is either a dead layer at or above it
or a gradient that vanished below float32: the dead-layer flags tell which.
"""

from __future__ import annotations

from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_stage, run_cities
from stage_shared import PLOTS, naming, worker_count

from mlpcnn.cities.figures import plot_plain_study
from mlpcnn.cities.gradients import (
    DeepRun,
    PlainStudy,
    check_layers,
    gradient_frame,
    layer_series,
    quantile_profile,
    run_deep_all,
    simulate_default_init,
)
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv

KEY = "gradient_study"
OUT = PLOTS / KEY
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "seeds", "layers_shown", "log_floor", "profile_rows",
        "simulated_seeds")  # fmt: skip
BLOCK = "h_{i+1} = ReLU(W_i h_i + b_i), PyTorch's default init"
MAGNITUDE = (
    "per batch, the squared L2 norm of a hidden layer's weight gradient (bias not "
    "included); per epoch, the mean over its batches"
)
DEAD = "every unit's ReLU output is 0 for every training input (eval mode)"
# The seeds train in two blocks, side by side where two workers are free. The number is
# fixed, not the machine's: blocks round the loss means and gradient records differently
# in the last digit (tests/test_pool.py), and a stage's figures must not depend on cores.
SEED_BLOCKS = 2


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params, seeds = stage.params, stage.seeds
    config = stage.mlp()
    train = stage.training(config.batchnorm)
    floor, rows = params["log_floor"], params["profile_rows"]
    with naming(KEY):
        shown = check_layers(params["layers_shown"], config.depth)

    x_train = stage.data.train[0]
    workers = worker_count(stage.device)
    run = DeepRun(config, train, stage.data.splits, seeds, str(stage.device), rows)
    (done,) = run_deep_all([run], workers, blocks=SEED_BLOCKS)
    result, profile_init = done.result, done.profile_init
    study = PlainStudy(
        seeds=seeds,
        dead_init=done.dead_init,  # (R, layers)
        dead_final=done.dead_final,
        profile_init=profile_init,
        magnitudes=done.magnitudes,  # (epochs, layers, R)
        final_val_acc=result.final("val_acc"),
        simulated=simulate_default_init(x_train[:rows].cpu().numpy(), config.depth,
                                        config.width, params["simulated_seeds"]),
    )  # fmt: skip

    rep = study.magnitudes[:, :, study.representative]  # (epochs, layers)
    profiles = {
        "at initialisation (float64)": quantile_profile(profile_init),
        "last epoch (course measure, float32)": quantile_profile(study.profile_last()),
    }
    write_csv(OUT / "history.csv", result.table())
    write_csv(OUT / "gradients.csv", gradient_frame(rep))
    write_csv(OUT / "layers.csv", layer_series(rep, shown, floor))
    quantiles = ["median", "q25", "q75", "zero_fraction"]
    write_csv(OUT / "profile.csv", series_table(profiles, "layer", quantiles))
    write_csv(OUT / "per_seed.csv", study.per_seed())
    plot_plain_study(study, profiles, shown, OUT, floor=floor,
                     label=f"plain, {config.depth} layers of width {config.width}")  # fmt: skip

    summary = study.summary(shown, rows)
    stage.write(
        {"seeds_with_dead_layer": summary["seeds_with_dead_layer"]["after_training"],
         "final_val_acc_mean": summary["final_val_acc"]["mean"]},
        {
            "network": {"hidden_layers": config.depth, "width": config.width, "block": BLOCK},
            "magnitude": MAGNITUDE,
            "dead_layer": DEAD,
            "epochs": train.epochs,
            "seeds": seeds,
            **summary,
        },
        {"all seeds": result.train_seconds},
        {"seeds_with_dead_layer": study.per_seed()["topmost_dead_final"].ge(0).astype(float),
         "final_val_acc_mean": study.final_val_acc},
        workers=workers,
    )  # fmt: skip


if __name__ == "__main__":
    run_cities(main)

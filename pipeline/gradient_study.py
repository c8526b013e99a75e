"""Stage gradient_study (6.2 Q5): vanishing gradients, and dead layers, in a plain deep MLP.

Every seed is a replica of one batched run of the course's network (100 hidden layers of
width 4, ReLU, PyTorch's default init, raw coordinates, Adam). Per seed and layer: the
course's measure per epoch, the profile at initialisation in float64, and whether the
layer is dead (all its units output 0 for every training input) at init and after
training. An exact zero in the course's measure is either a dead layer at or above it
or a gradient that vanished below float32: the dead-layer flags tell which.
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

from mlpcnn.cities.figures import (
    plot_gradient_heatmaps,
    plot_gradient_magnitudes,
    plot_gradient_profile,
    plot_topmost_dead,
)
from mlpcnn.cities.gradients import (
    alive_units,
    check_layers,
    dead_layers,
    decay_per_layer,
    gradient_frame,
    initial_profile,
    layer_series,
    quantile_profile,
    representative,
    simulate_default_init,
    topmost,
    train_recording_gradients,
    zero_below,
)
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv

KEY = "gradient_study"
OUT = PLOTS / KEY
KEYS = (
    *MODEL_KEYS,
    *TRAIN_KEYS,
    "seeds",
    "layers_shown",
    "log_floor",
    "profile_rows",
    "simulated_seeds",
)
BLOCK = "h_{i+1} = ReLU(W_i h_i + b_i), PyTorch's default init"
MAGNITUDE = (
    "per batch, the squared L2 norm of a hidden layer's weight gradient (bias not "
    "included); per epoch, the mean over its batches"
)
DEAD = "every unit's ReLU output is 0 for every training input (eval mode)"


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds = seeds_of(KEY, params)
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, params, len(data.train[1]), config.batchnorm)
    floor, rows = params["log_floor"], params["profile_rows"]
    with naming(KEY):
        shown = check_layers(params["layers_shown"], config.depth)

    x_train, y_train = data.train
    model = stacked_mlps(config, seeds).to(device)
    dead_init = dead_layers(alive_units(model, x_train))  # (R, layers)
    profile_init = initial_profile(model, x_train[:rows].cpu(), y_train[:rows].cpu())
    result, recorder = train_recording_gradients(model, data.train, data.splits, train, seeds)
    magnitudes = recorder.epoch_means()  # (epochs, layers, R)
    dead_final = dead_layers(alive_units(model, x_train))
    with np.errstate(divide="ignore"):
        profile_last = np.log10(magnitudes[-1].T)  # (R, layers), -inf at exact zeros

    history = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
    final_val = result.history["val_acc"][-1]
    top_init, top_final = topmost(dead_init), topmost(dead_final)
    rep = representative(top_final, final_val)
    zero_last = (magnitudes[-1] == 0).sum(axis=0)  # (R,)
    simulated = simulate_default_init(
        x_train[: params["profile_rows"]].cpu().numpy(),
        config.depth,
        config.width,
        params["simulated_seeds"],
    )
    decay = decay_per_layer(profile_init, dead_init)

    write_csv(OUT / "history.csv", history)
    write_csv(OUT / "gradients.csv", gradient_frame(magnitudes[:, :, rep]))
    write_csv(OUT / "layers.csv", layer_series(magnitudes[:, :, rep], shown, floor))
    profiles = {
        "at initialisation (float64)": quantile_profile(profile_init),
        "last epoch (course measure, float32)": quantile_profile(profile_last),
    }
    write_csv(
        OUT / "profile.csv",
        series_table(profiles, "layer", ["median", "q25", "q75", "zero_fraction"]),
    )
    per_seed = pd.DataFrame(
        {
            "seed": seeds,
            "topmost_dead_init": top_init,
            "topmost_dead_final": top_final,
            "dead_layers_init": dead_init.sum(axis=1),
            "dead_layers_final": dead_final.sum(axis=1),
            "zero_layers_last_epoch": zero_last,
            "decay_decades_per_layer_init": decay,
            "final_val_acc": final_val,
        }
    )
    write_csv(OUT / "per_seed.csv", per_seed)

    seed = seeds[rep]
    name = f"plain, {config.depth} layers of width {config.width}, seed {seed}"
    plot_gradient_magnitudes(
        {name: magnitudes[:, :, rep]},
        shown,
        OUT / "gradients.png",
        floor=floor,
        title=f"6.2 Q5: gradient magnitude per epoch (seed {seed}: median topmost dead layer)",
    )
    plot_gradient_heatmaps(
        {name: magnitudes[:, :, rep]},
        OUT / "heatmap.png",
        floor=floor,
        title=f"gradient magnitude of every hidden layer, seed {seed}",
    )
    plot_gradient_profile(
        profiles,
        {"at init": dead_init, "after training": dead_final},
        OUT / "profile.png",
        title=f"6.2 Q5: gradient profile over {len(seeds)} seeds",
    )
    plot_topmost_dead(
        {"at initialisation": top_init, "after training": top_final},
        config.depth,
        OUT / "topmost_dead.png",
        title=f"topmost dead layer over {len(seeds)} seeds",
    )

    n = len(seeds)
    with_dead = float(np.mean(top_final >= 0))
    write_results(
        KEY,
        {"seeds_with_dead_layer": with_dead, "final_val_acc_mean": float(final_val.mean())},
        {
            "network": {"hidden_layers": config.depth, "width": config.width, "block": BLOCK},
            "magnitude": MAGNITUDE,
            "dead_layer": DEAD,
            "epochs": train.epochs,
            "seeds": seeds,
            "representative_seed": seed,
            "representative_topmost_dead": int(top_final[rep]),
            "representative_zero_layers_last_epoch": int(zero_last[rep]),
            "representative_rule": "the seed whose topmost dead layer after training is the "
            "(lower) median among seeds with a dead layer",
            "layers_shown": shown,
            "last_epoch": {f"layer_{i}": float(magnitudes[-1, i, rep]) for i in shown},
            "seeds_with_dead_layer": {
                "init": float(np.mean(top_init >= 0)),
                "after_training": with_dead,
            },
            "seeds_all_zero_last_epoch": float(np.mean(zero_last == config.depth)),
            "seeds_all_layers_dead_below": float(np.mean(zero_below(dead_final) == config.depth)),
            "topmost_dead_init": _quartiles(top_init[top_init >= 0]),
            "topmost_dead_after_training": _quartiles(top_final[top_final >= 0]),
            "zero_layers_explained_by_dead": int(np.sum(zero_below(dead_final) <= zero_last)),
            "decay_decades_per_layer_init": _quartiles(decay[np.isfinite(decay)]),
            "simulation": {
                "what": "independent float64 numpy draws of the default init on the first "
                f"{rows} training rows",
                "seeds": len(simulated),
                "with_dead_layer": float(simulated.any(axis=1).mean()),
                "all_zero": float(np.mean(zero_below(simulated) == config.depth)),
                "study_at_init_with_dead_layer": float(np.mean(top_init >= 0)),
                "study_at_init_all_zero": float(np.mean(zero_below(dead_init) == config.depth)),
                "study_seeds": n,
            },
            "profile_rows": rows,
            "final_val_acc": {"mean": float(final_val.mean()), "per_seed": final_val.tolist()},
            "final_val_acc_representative": float(final_val[rep]),
            "timing": {"train_seconds": float(result.train_seconds.sum()), "replicas": n},
            **environment(device),
        },
    )


def _quartiles(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"n": 0, "q25": None, "median": None, "q75": None}
    q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75])
    return {"n": len(values), "q25": float(q25), "median": float(median), "q75": float(q75)}


if __name__ == "__main__":
    run_cities(main)

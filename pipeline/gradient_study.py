"""Stage gradient_study (6.2 Q5): gradient magnitudes of a plain 100-layer MLP.

Each hidden layer is h_{i+1} = ReLU(W_i h_i + b_i); per epoch, the mean over batches of
each layer's squared weight-gradient norm.
"""

from __future__ import annotations

import numpy as np
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    train_config,
)
from stage_shared import PLOTS, device_from, environment, load_params, naming, write_results

from mlpcnn.cities.figures import plot_gradient_heatmaps, plot_gradient_magnitudes
from mlpcnn.cities.gradients import gradient_frame, layer_series, train_recording_gradients
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam

KEY = "gradient_study"
OUT = PLOTS / KEY
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "layers_shown", "log_floor")
BLOCK = "h_{i+1} = ReLU(W_i h_i + b_i)"
MAGNITUDE = (
    "per batch, the squared L2 norm of a hidden layer's weight gradient (bias not "
    "included); per epoch, the mean over its batches"
)


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    config = mlp_config(KEY, params, data.n_classes)
    train = train_config(KEY, params, len(data.train[1]), config.batchnorm)
    shown, floor, seed = params["layers_shown"], params["log_floor"], params["seed"]
    with naming(KEY):
        if not shown or any(not 0 <= layer < config.depth for layer in shown):
            expected = f"expected layers in [0, {config.depth - 1}]"
            raise InvalidParam(f"layers_shown: {expected}, got {shown}")

    model = stacked_mlps(config, [seed]).to(device)
    result, magnitudes = train_recording_gradients(model, data.train, data.splits, train, [seed])
    magnitudes = magnitudes[:, :, 0]  # (epochs, layers)

    history = result.frame(0)
    write_csv(OUT / "history.csv", history)
    write_csv(OUT / "gradients.csv", gradient_frame(magnitudes))
    # An exact zero is drawn at the floor of the log scale, as in the PNG (else, with every
    # layer dead, the chart would be empty).
    write_csv(OUT / "layers.csv", layer_series(np.maximum(magnitudes, floor), shown))
    name = f"plain: {config.depth} layers of width {config.width}"
    plot_gradient_magnitudes({name: magnitudes}, shown, OUT / "gradients.png", floor=floor,
                             title="6.2 Q5: gradient magnitude per epoch")  # fmt: skip
    plot_gradient_heatmaps({name: magnitudes}, OUT / "heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip

    last = magnitudes[-1]
    finals = {
        f"final_{k}": float(history[k].iloc[-1]) for k in ("train_acc", "val_acc", "test_acc")
    }
    write_results(
        KEY,
        {
            "final_val_acc": finals["final_val_acc"],
            "zero_layers_last_epoch": int((last == 0).sum()),
        },
        {
            "network": {"hidden_layers": config.depth, "width": config.width, "block": BLOCK},
            "magnitude": MAGNITUDE,
            "epochs": train.epochs,
            "seed": seed,
            "layers_shown": shown,
            "last_epoch": {f"layer_{layer}": float(last[layer]) for layer in shown},
            "ratio_first_to_last_layer": None if last[-1] == 0 else float(last[0] / last[-1]),
            "zero_layers_last_epoch": int((last == 0).sum()),
            **finals,
            "timing": {"train_seconds": float(result.train_seconds.sum())},
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

"""Stage residual_study (6.2 Q6): the 100-layer MLP with pre-activation residual blocks.

The same measurements as gradient_study, and both studies side by side (read from
gradient_study's outputs).
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
    train_config,
)
from stage_shared import (
    PLOTS,
    device_from,
    environment,
    load_params,
    naming,
    read_summary,
    write_results,
)

from mlpcnn.cities.figures import plot_gradient_heatmaps, plot_gradient_magnitudes
from mlpcnn.cities.gradients import gradient_frame, layer_series, train_recording_gradients
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam

KEY = "residual_study"
PLAIN = "gradient_study"
OUT = PLOTS / KEY
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "residual", "layers_shown", "log_floor")
BLOCK = (
    "h_{i+1} = h_i + W_i ReLU(h_i) + b_i (pre-activation) for hidden layers 1..depth-1; "
    "layer 0 is ReLU(W_0 x + b_0), mapping the 2 inputs to the width"
)


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    config = mlp_config(KEY, params, data.n_classes, residual=params["residual"])
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
    kind = "residual" if config.residual else "plain"
    name = f"{kind}: {config.depth} layers of width {config.width}"
    plot_gradient_magnitudes({name: magnitudes}, shown, OUT / "gradients.png", floor=floor,
                             title="6.2 Q6: gradient magnitude per epoch")  # fmt: skip
    plot_gradient_heatmaps({name: magnitudes}, OUT / "heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip

    plain_summary = read_summary(PLAIN)
    plain = pd.read_csv(PLOTS / PLAIN / "gradients.csv").drop(columns="epoch").to_numpy()
    net = plain_summary["network"]
    studies = {
        f"plain: {net['hidden_layers']} layers of width {net['width']}": plain,
        name: magnitudes,
    }
    plot_gradient_magnitudes(studies, shown, OUT / "comparison.png", floor=floor,
                             title="6.2 Q5-Q6: without and with residual blocks")  # fmt: skip
    plot_gradient_heatmaps(studies, OUT / "comparison_heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip

    last = magnitudes[-1]
    finals = {
        f"final_{k}": float(history[k].iloc[-1]) for k in ("train_acc", "val_acc", "test_acc")
    }
    write_results(
        KEY,
        {"final_val_acc": finals["final_val_acc"]},
        {
            "network": {
                "hidden_layers": config.depth,
                "width": config.width,
                "block": BLOCK if config.residual else "h_{i+1} = ReLU(W_i h_i + b_i)",
            },
            "magnitude": plain_summary["magnitude"],
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

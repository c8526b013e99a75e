"""Stages gradient_study (6.2 Q5) and residual_study (6.2 Q6): gradients of a 100-layer MLP.

    python pipeline/gradient_study.py gradient_study    # plain: Linear -> ReLU
    python pipeline/gradient_study.py residual_study    # x + ReLU(Linear(x)) blocks

The residual study also draws both studies side by side from gradient_study's outputs.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from stage import (
    METRICS,
    PLOTS,
    ParamError,
    device_from,
    environment,
    load_params,
    load_prepared_cities,
    mlp_config,
    run,
    train_config,
)

from mlpcnn.gradients import GradientRecorder
from mlpcnn.io import write_csv, write_json
from mlpcnn.plots import plot_gradient_heatmaps, plot_gradient_magnitudes
from mlpcnn.replicas import stacked_mlps
from mlpcnn.training import train_replicas

STAGES = {"gradient_study": "plain", "residual_study": "residual"}
PLAIN_BLOCK = "h_{i+1} = ReLU(W_i h_i + b_i)"
RESIDUAL_BLOCK = (
    "h_{i+1} = h_i + W_i ReLU(h_i) + b_i (pre-activation) for hidden layers 1..depth-1; "
    "layer 0 is ReLU(W_0 x + b_0), mapping the 2 inputs to the width"
)
MAGNITUDE = (
    "per batch, the squared L2 norm of a hidden layer's weight gradient (bias not "
    "included); per epoch, the mean over its batches"
)


def main() -> None:
    stage = sys.argv[1]
    if stage not in STAGES:
        raise ParamError(f"usage: gradient_study.py {{{'|'.join(STAGES)}}}, got {stage!r}")
    params = load_params(stage)
    device = device_from(params)
    data = load_prepared_cities(device)
    config = mlp_config(stage, params, data.n_classes, residual=params["residual"])
    train = train_config(stage, params, len(data.train[1]), config.batchnorm)
    shown, floor, seed = params["layers_shown"], params["log_floor"], params["seed"]
    if any(not 0 <= layer < config.depth for layer in shown):
        expected = f"expected layers in [0, {config.depth - 1}]"
        raise ParamError(f"params.yaml: {stage}.layers_shown: {expected}, got {shown}")

    model = stacked_mlps(config, [seed]).to(device)
    recorder = GradientRecorder(model, train.steps_per_epoch(len(data.train[1])), train.epochs)
    result = train_replicas(
        model, data.train, data.splits, train, seeds=[seed], after_backward=recorder
    )
    magnitudes = recorder.epoch_means()[:, :, 0]  # (epochs, layers)

    out = PLOTS / stage
    history = result.frame(0)
    write_csv(out / "history.csv", history)
    write_csv(out / "gradients.csv", gradient_frame(magnitudes))
    name = f"{STAGES[stage]}: {config.depth} layers of width {config.width}"
    question = "Q6" if config.residual else "Q5"
    plot_gradient_magnitudes({name: magnitudes}, shown, out / "gradients.png", floor=floor,
                             title=f"6.2 {question}: gradient magnitude per epoch")  # fmt: skip
    plot_gradient_heatmaps({name: magnitudes}, out / "heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip

    studies = {name: magnitudes}
    if stage == "residual_study":
        plain = (
            pd.read_csv(PLOTS / "gradient_study" / "gradients.csv").drop(columns="epoch").to_numpy()
        )
        studies = {f"plain: {config.depth} layers of width {config.width}": plain, name: magnitudes}
        plot_gradient_magnitudes(studies, shown, out / "comparison.png", floor=floor,
                                 title="6.2 Q5-Q6: without and with residual blocks")  # fmt: skip
        plot_gradient_heatmaps(studies, out / "comparison_heatmap.png", floor=floor,
                               title="gradient magnitude of every hidden layer")  # fmt: skip

    last = magnitudes[-1]
    write_json(
        METRICS / f"{stage}.json",
        {
            "network": {
                "hidden_layers": config.depth,
                "width": config.width,
                "block": RESIDUAL_BLOCK if config.residual else PLAIN_BLOCK,
            },
            "magnitude": MAGNITUDE,
            "last_epoch": {f"layer_{layer}": float(last[layer]) for layer in shown},
            "ratio_first_to_last_layer": _ratio(last[0], last[-1]),
            "zero_layers_last_epoch": int((last == 0).sum()),
            **{
                f"final_{k}": float(history[k].iloc[-1])
                for k in ("train_acc", "val_acc", "test_acc")
            },
            "timing": {"train_seconds": float(result.train_seconds.sum())},
            **environment(device),
        },
    )


def gradient_frame(magnitudes: np.ndarray) -> pd.DataFrame:
    """Wide: one row per epoch, one ``layer_<i>`` column per hidden layer."""
    columns = {f"layer_{i}": magnitudes[:, i] for i in range(magnitudes.shape[1])}
    return pd.DataFrame({"epoch": np.arange(1, len(magnitudes) + 1), **columns})


def _ratio(first: float, last: float) -> float | None:
    return None if last == 0 else float(first / last)


if __name__ == "__main__":
    run(main)

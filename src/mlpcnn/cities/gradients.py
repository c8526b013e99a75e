"""Recording per-layer gradient magnitudes while training (the vanishing-gradient study)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from mlpcnn.cities.replicas import ReplicaMLP
from mlpcnn.cities.training import TrainConfig, TrainResult, train_replicas


class GradientRecorder:
    """An ``after_backward`` hook for :func:`~mlpcnn.training.train_replicas`.

    For each hidden layer and replica, the gradient magnitude of a batch is the squared
    L2 norm of the layer's weight gradient (the bias is not included); the figure of an
    epoch is its mean over the epoch's batches. Layers of one shape are reduced together
    (a 100-layer network costs a handful of operations per step, not hundreds).
    """

    def __init__(self, model: ReplicaMLP, steps_per_epoch: int, epochs: int) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.depth = model.config.depth
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for i in range(self.depth):
            groups[tuple(model.weights[i].shape)].append(i)
        device = model.weights[0].device
        self.groups = [(torch.tensor(idx, device=device), idx) for idx in groups.values()]
        self.sums = torch.zeros(epochs, self.depth, model.replicas, device=device)

    def __call__(self, model: ReplicaMLP, step: int) -> None:
        epoch = step // self.steps_per_epoch
        for index, layers in self.groups:
            grads = torch.stack([model.weights[i].grad for i in layers])  # (L, R, fan_in, fan_out)
            self.sums[epoch].index_add_(0, index, grads.pow(2).sum(dim=(2, 3)))

    def epoch_means(self) -> np.ndarray:
        """``(epochs, layers, R)``: mean over each epoch's batches."""
        return (self.sums / self.steps_per_epoch).cpu().numpy().astype(np.float64)


def gradient_frame(magnitudes: np.ndarray) -> pd.DataFrame:
    """Wide: one row per epoch, one ``layer_<i>`` column per layer of ``(epochs, layers)``."""
    columns = {f"layer_{i}": magnitudes[:, i] for i in range(magnitudes.shape[1])}
    return pd.DataFrame({"epoch": np.arange(1, len(magnitudes) + 1), **columns})


def layer_series(magnitudes: np.ndarray, layers: Sequence[int]) -> pd.DataFrame:
    """Long, for a log-scale chart: (series ``layer <i>``, epoch, magnitude) of ``layers``.

    An exact zero has no row (a gap: a log scale cannot draw it).
    """
    rows = [
        {"series": f"layer {layer}", "epoch": epoch + 1, "magnitude": float(value)}
        for layer in layers
        for epoch, value in enumerate(magnitudes[:, layer])
        if value > 0
    ]
    return pd.DataFrame(rows, columns=["series", "epoch", "magnitude"])


def train_recording_gradients(
    model: ReplicaMLP,
    train_split: tuple[torch.Tensor, torch.Tensor],
    splits: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
    config: TrainConfig,
    seeds: Sequence[int],
) -> tuple[TrainResult, np.ndarray]:
    """Train ``model`` as :func:`train_replicas` does, recording every hidden layer's
    gradient magnitude each step; returns the result and ``(epochs, layers, R)`` means."""
    recorder = GradientRecorder(model, config.steps_per_epoch(len(train_split[1])), config.epochs)
    result = train_replicas(
        model, train_split, splits, config, seeds=seeds, after_backward=recorder
    )
    return result, recorder.epoch_means()

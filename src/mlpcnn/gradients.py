"""Recording per-layer gradient magnitudes while training (the vanishing-gradient study)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from mlpcnn.replicas import ReplicaMLP


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

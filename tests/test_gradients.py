from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mlpcnn.cities.gradients import GradientRecorder
from mlpcnn.cities.mlp import MLPConfig, seeded_mlp
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, train_replicas


def test_recorder_matches_autograd_on_a_plain_loop(toy_cities) -> None:
    """Per layer, per epoch: mean over batches of ||dL/dW||^2, as autograd gives it."""
    config = MLPConfig(depth=4, width=3, n_classes=4)
    train = TrainConfig(epochs=2, batch_size=100)
    x, y = toy_cities["train"]
    model = stacked_mlps(config, [7])
    recorder = GradientRecorder(model, train.steps_per_epoch(len(y)), train.epochs)
    train_replicas(model, (x, y), {}, train, seeds=[7], after_backward=recorder, progress=False)

    reference = seeded_mlp(config, 7)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, fused=True)
    generator = torch.Generator().manual_seed(7)
    expected = np.zeros((2, 4))
    for epoch in range(2):
        order = torch.randperm(len(y), generator=generator)
        for step in range(6):
            idx = order[step * 100 : (step + 1) * 100]
            optimizer.zero_grad()
            F.cross_entropy(reference(x[idx]), y[idx]).backward()
            for layer in range(4):
                expected[epoch, layer] += (
                    reference.hidden[layer].linear.weight.grad.pow(2).sum().item() / 6
                )
            optimizer.step()
    np.testing.assert_allclose(recorder.epoch_means()[:, :, 0], expected, rtol=1e-4)


def test_zero_gradients_are_recorded_as_zero(toy_cities) -> None:
    config = MLPConfig(depth=3, width=2, n_classes=4)
    model = stacked_mlps(config, [0, 1])
    with torch.no_grad():
        model.weights[0].zero_()  # layer 0 outputs its bias only: later layers see constants
        model.biases[0].fill_(-1.0)  # ... and ReLU(-1) = 0: everything below is dead
    train = TrainConfig(epochs=1, batch_size=200, lr=1e-6)
    recorder = GradientRecorder(model, train.steps_per_epoch(600), 1)
    train_replicas(
        model, toy_cities["train"], {}, train, seeds=[0, 1], after_backward=recorder, progress=False
    )
    means = recorder.epoch_means()
    assert means.shape == (1, 3, 2)
    assert (means[0, 0] == 0).all() and (means[0, 1] == 0).all()

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mlpcnn.faces.baselines import (
    accuracy,
    first_disagreements,
    frozen_features,
    logistic_regression,
    predict_probs,
    run_torch,
    to_unit,
    xgboost_run,
)


@pytest.fixture
def tiny_faces() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """uint8 images 3 x 32 x 32: fakes are brighter, a learnable difference."""
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = np.arange(n) % 2
        images = rng.integers(0, 120, size=(n, 3, 32, 32)) + labels[:, None, None, None] * 100
        return torch.from_numpy(images.astype(np.uint8)), torch.from_numpy(labels.astype(np.int64))

    return {"train": split(16), "val": split(8), "test": split(8)}


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1)
    )


def test_a_torch_strategy_runs_and_is_reproducible(tiny_faces) -> None:
    a = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=3, batch_size=4)
    b = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=3, batch_size=4)
    assert a.batch_loss.shape == (12,) and np.array_equal(a.batch_loss, b.batch_loss)
    assert np.array_equal(a.test_probs, b.test_probs) and a.test_probs.shape == (8,)
    assert 0 <= a.val_acc <= 1 and a.test_acc == accuracy(
        a.test_probs, tiny_faces["test"][1].numpy()
    )


def test_cosine_schedule_and_augmentation_hooks(tiny_faces) -> None:
    seen = []
    result = run_torch(small_cnn, tiny_faces, to_unit, lr=0.01, seed=0, epochs=2, batch_size=8,
                       schedule="cosine", augment=lambda x: seen.append(x.shape) or x.flip(-1))  # fmt: skip
    assert len(seen) == 4 and len(result.batch_loss) == 4


def test_linear_probe_features_are_computed_once_in_eval_mode(tiny_faces) -> None:
    backbone = nn.Sequential(
        nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    backbone.train()
    features = frozen_features(backbone, tiny_faces["train"][0], to_unit)
    assert features.shape == (16, 2) and not backbone.training and not features.requires_grad
    again = frozen_features(backbone, tiny_faces["train"][0], to_unit, batch=5)
    torch.testing.assert_close(features, again)  # eval mode: batch composition does not matter


def test_logistic_regression_reports_convergence(tiny_faces) -> None:
    data = {s: (x.float().flatten(1).numpy() / 255, y.numpy()) for s, (x, y) in tiny_faces.items()}
    converged = logistic_regression(data, max_iter=5000, seed=0)
    assert converged.extra["converged"] and converged.test_acc >= 0.75
    stopped = logistic_regression(data, max_iter=1, seed=0)
    assert stopped.extra["converged"] is False and stopped.extra["iterations"] == 1


def test_xgboost_on_pixels(tiny_faces) -> None:
    data = {s: (x.float().flatten(1).numpy() / 255, y.numpy()) for s, (x, y) in tiny_faces.items()}
    result = xgboost_run(data, seed=0, learning_rate=None)
    assert result.test_probs.shape == (8,) and result.test_acc >= 0.75


def test_predict_probs_in_eval_mode(tiny_faces) -> None:
    model = small_cnn()
    probs = predict_probs(model, tiny_faces["val"][0], to_unit, batch=3)
    assert probs.shape == (8,) and ((probs > 0) & (probs < 1)).all() and not model.training


@pytest.mark.parametrize(
    ("best", "worst", "expected"),
    [
        (
            [0.1, 0.9, 0.2, 0.8, 0.1, 0.9, 0.1, 0.9],
            [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1],
            [0, 1, 2, 3, 4],
        ),
        ([0.1, 0.9, 0.9, 0.8, 0.1, 0.9, 0.1, 0.9], [0.9, 0.9, 0.1, 0.8, 0.1, 0.9, 0.1, 0.9], [0]),
        ([0.1] * 8, [0.1] * 8, []),
    ],
)
def test_first_disagreements_in_order_and_fewer_than_five(best, worst, expected) -> None:
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    assert first_disagreements(labels, np.array(best), np.array(worst)) == expected

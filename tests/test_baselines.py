from __future__ import annotations

import numpy as np
import pytest

from mlpcnn.cities.baselines import class_prior_loss, nearest_neighbour_predictions


def test_nearest_neighbour_predictions() -> None:
    train_x = np.array([[0.0, 0.0], [10.0, 10.0]])
    train_y = np.array([0, 1])
    x = np.array([[1.0, 1.0], [9.0, 9.0], [2.0, 1.0]])
    assert nearest_neighbour_predictions(train_x, train_y, x).tolist() == [0, 1, 0]


def test_class_prior_loss_is_the_cross_entropy_of_the_frequencies() -> None:
    train = np.array([0, 0, 0, 1])
    assert class_prior_loss(train, np.array([0, 1]), n_classes=3) == pytest.approx(
        -(np.log(0.75) + np.log(0.25)) / 2
    )

"""Reference points that need no training, to read the trained models against."""

from __future__ import annotations

import numpy as np


def class_prior_loss(train_labels: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """Cross-entropy on ``labels`` of always predicting the training class frequencies.

    A network that ends at this loss has learnt nothing from the coordinates.
    """
    counts = np.bincount(train_labels, minlength=n_classes).astype(np.float64)
    log_prior = np.log(np.maximum(counts, 1) / counts.sum())
    return float(-log_prior[labels].mean())


def nearest_neighbour_accuracy(
    train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray, y: np.ndarray
) -> float:
    """Accuracy on ``(x, y)`` of a 1-nearest-neighbour classifier on the raw coordinates.

    What the data allows without any learning: the MLPs are read against it.
    """
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=1).fit(train_x, train_y)
    return float((knn.predict(x) == y).mean())

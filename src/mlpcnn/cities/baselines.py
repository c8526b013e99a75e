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


def nearest_neighbour_predictions(
    train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """Labels a 1-nearest-neighbour classifier on the raw coordinates gives ``x`` ``(N,)``.

    What the data allows without any learning: the MLPs are read against it, on average
    and example by example (a paired test needs the predictions, not the accuracy).
    """
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=1).fit(train_x, train_y).predict(x)


def other_label_neighbours(
    train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray, y: np.ndarray, k: int = 5
) -> np.ndarray:
    """For each ``(x, y)``, how many of its ``k`` nearest training cities have another label.

    ``(N,)`` integers in 0..k: 0 is a city well inside its country, k one surrounded by
    another country's cities (an enclave, or a label that disagrees with its neighbours),
    which no smooth classifier gets right. What limits accuracy is read from these.
    """
    from sklearn.neighbors import NearestNeighbors

    _, index = NearestNeighbors(n_neighbors=k).fit(train_x).kneighbors(x)  # (N, k)
    return (train_y[index] != y[:, None]).sum(axis=1)

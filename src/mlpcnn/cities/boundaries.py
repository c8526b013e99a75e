"""Decision boundaries of any classifier of (longitude, latitude) points.

The classifier is a function from raw coordinates ``(N, 2)`` to class indices ``(N,)``,
so a model with any input encoding plugs in by encoding inside that function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib
import numpy as np
import torch
from matplotlib.colors import ListedColormap

from mlpcnn.common.figures import plt, save_figure

Predict = Callable[[torch.Tensor], torch.Tensor]  # (N, 2) float32 -> (N,) class indices


def class_colours(
    n_classes: int, points: np.ndarray | None = None, labels: np.ndarray | None = None
) -> ListedColormap:
    """One colour per class index, neighbouring classes in distinct hues.

    The palette is ``n_classes`` hues evenly around the colour wheel, alternately bright
    and dark. With ``points`` ``(N, 2)`` and their ``labels``, colours are dealt to the
    classes west to east (by centroid), each taking the unused colour farthest (in RGB)
    from those of its six nearest classes already coloured, so that countries that touch
    do not share a hue.
    """
    hues = np.linspace(0, 1, n_classes, endpoint=False)
    value = np.where(np.arange(n_classes) % 2, 0.6, 0.95)  # alternately dark and bright
    hsv = np.stack([hues, np.full(n_classes, 0.85), value], axis=1)
    palette = matplotlib.colors.hsv_to_rgb(hsv)
    if points is None or labels is None:
        return ListedColormap(palette, name=f"classes{n_classes}")
    centroids = np.full((n_classes, 2), np.inf)
    for c in np.unique(labels):
        centroids[c] = points[labels == c].mean(axis=0)
    order = np.argsort(centroids[:, 0])
    chosen: dict[int, int] = {}
    free = list(range(n_classes))
    for c in order:
        distance = np.linalg.norm(centroids - centroids[c], axis=1)
        near = [k for k in np.argsort(distance)[1:7] if k in chosen]
        if near:
            gap = [min(np.linalg.norm(palette[f] - palette[chosen[k]]) for k in near) for f in free]
            pick = free[int(np.argmax(gap))]
        else:
            pick = free[0]
        chosen[int(c)] = pick
        free.remove(pick)
    dealt = palette[[chosen[c] for c in range(n_classes)]]
    return ListedColormap(dealt, name=f"classes{n_classes}")


def grid_predictions(
    predict: Predict,
    extent: tuple[float, float, float, float],
    resolution: int = 300,
    batch: int = 65536,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predict on a regular grid over ``extent`` = (x_min, x_max, y_min, y_max).

    Returns the grid's x and y coordinates ``(H, W)`` and the predicted classes ``(H, W)``;
    ``resolution`` points along x, proportionally many along y. Predicts in batches.
    """
    x_min, x_max, y_min, y_max = extent
    height = max(2, round(resolution * (y_max - y_min) / (x_max - x_min)))
    xx, yy = np.meshgrid(
        np.linspace(x_min, x_max, resolution, dtype=np.float32),
        np.linspace(y_min, y_max, height, dtype=np.float32),
    )
    points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1))
    with torch.inference_mode():
        classes = torch.cat([predict(chunk).cpu() for chunk in points.split(batch)])
    return xx, yy, classes.numpy().reshape(xx.shape)


def plot_decision_boundaries(
    ax: matplotlib.axes.Axes,
    predict: Predict,
    points: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    resolution: int = 300,
    margin: float = 1.0,
    title: str = "",
) -> None:
    """Predicted class regions (pale) with the points coloured by their true class.

    Colours are fixed per class index, so a class the model predicts but that no plotted
    point has still gets its own colour.
    """
    colours = class_colours(n_classes, points, labels)
    extent = (
        float(points[:, 0].min()) - margin,
        float(points[:, 0].max()) + margin,
        float(points[:, 1].min()) - margin,
        float(points[:, 1].max()) + margin,
    )
    xx, yy, classes = grid_predictions(predict, extent, resolution)
    ax.pcolormesh(xx, yy, classes, cmap=colours, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.35,
                  shading="auto", rasterized=True)  # fmt: skip
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=colours, vmin=-0.5,
               vmax=n_classes - 0.5, s=2, linewidths=0, rasterized=True)  # fmt: skip
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / np.cos(np.deg2rad(np.mean(extent[2:]))))  # degrees of latitude look square
    if title:
        ax.set_title(title)


def plot_boundary_panels(
    panels: Mapping[str, Predict],
    points: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    path: str | Path,
    *,
    title: str = "",
    resolution: int = 300,
) -> None:
    """Decision boundaries of several classifiers side by side (panel title -> predict)."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels), 6), squeeze=False, layout="constrained"
    )
    for ax, (name, predict) in zip(axes[0], panels.items(), strict=True):
        plot_decision_boundaries(
            ax, predict, points, labels, n_classes, resolution=resolution, title=name
        )
    save_figure(fig, path, title)

"""Figures of the faces study (section 7), written as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mlpcnn.common.figures import label_axes, plt, save_figure


def plot_image_grid(
    images: Sequence[np.ndarray],
    path: str | Path,
    *,
    columns: int,
    titles: Sequence[str] | None = None,
    title: str = "",
) -> None:
    """Images ``(3, H, W)`` uint8 in a grid of ``columns``, with optional per-image titles."""
    rows = max(1, -(-len(images) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.4 * rows), squeeze=False,
                             layout="constrained")  # fmt: skip
    for ax in axes.ravel():
        ax.axis("off")
    for i, image in enumerate(images):
        ax = axes.ravel()[i]
        ax.imshow(image.transpose(1, 2, 0))
        if titles:
            ax.set_title(titles[i], fontsize="small")
    save_figure(fig, path, title)


def plot_lr_sweeps(
    sweep: pd.DataFrame, single: Mapping[str, float], path: str | Path, *, title: str = ""
) -> None:
    """Test accuracy against learning rate (log x), one line per strategy (``sweep``'s
    columns, indexed by lr); strategies with a single run are dashed horizontal lines."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for strategy in sweep.columns:
        column = sweep[strategy].dropna()
        ax.plot(column.index, column.to_numpy(), marker="o", label=strategy)
    for strategy, accuracy in single.items():
        ax.axhline(accuracy, linestyle="--", linewidth=1, label=f"{strategy} (one run)")
    ax.axhline(0.5, color="lightgrey", linewidth=1)
    ax.set_xscale("log")
    label_axes(ax, "learning rate", "test accuracy", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    save_figure(fig, path)

"""Figures of the faces study (section 7), written as PNG files."""

from __future__ import annotations

from collections.abc import Sequence
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


def plot_lr_sweeps(runs: pd.DataFrame, path: str | Path, *, title: str = "") -> None:
    """Test accuracy against learning rate (log x) with 95% intervals, one line per
    baseline that sweeps it; a baseline's default-settings run is a dashed horizontal
    line with its interval shaded. ``runs``: ``baseline``, ``lr`` (NaN: default settings),
    ``test_acc``, ``test_acc_low``, ``test_acc_high``."""
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    for i, (baseline, group) in enumerate(runs.groupby("baseline", sort=False)):
        color = f"C{i % 10}"
        swept = group.dropna(subset=["lr"]).sort_values("lr")
        if len(swept):
            acc = swept["test_acc"].to_numpy()
            low, high = swept["test_acc_low"].to_numpy(), swept["test_acc_high"].to_numpy()
            ax.errorbar(swept["lr"], acc, yerr=[acc - low, high - acc], marker="o", capsize=3,
                        color=color, label=baseline)  # fmt: skip
        for _, run in group[group["lr"].isna()].iterrows():
            ax.axhline(run["test_acc"], linestyle="--", linewidth=1, color=color,
                       label=f"{baseline} (default settings)")  # fmt: skip
            ax.axhspan(run["test_acc_low"], run["test_acc_high"], color=color, alpha=0.08)
    ax.axhline(0.5, color="lightgrey", linewidth=1)
    ax.set_xscale("log")
    label_axes(ax, "learning rate", "test accuracy", fontsize="small", loc="center left",
               bbox_to_anchor=(1.01, 0.5))  # fmt: skip
    if title:
        ax.set_title(title, fontsize="medium")
    save_figure(fig, path)

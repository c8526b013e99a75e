"""Matplotlib figures of the study, written as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from mlpcnn.io import atomic_output

SPLIT_COLOURS = {"train": "tab:blue", "val": "tab:orange", "test": "tab:green"}


def save_figure(fig: plt.Figure, path: str | Path) -> None:
    """Write ``fig`` as a PNG atomically and close it."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def plot_curves(
    frame: pd.DataFrame,
    panels: Mapping[str, Sequence[str]],
    path: str | Path,
    *,
    x: str = "epoch",
    title: str = "",
    logy: Sequence[str] = (),
) -> None:
    """One panel per ``panels`` entry (y-axis label -> columns of ``frame``), side by side.

    A column named ``<split>_<what>`` gets its split's colour and ``<split>`` as label.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (ylabel, columns) in zip(axes[0], panels.items(), strict=True):
        for column in columns:
            split = column.split("_", 1)[0]
            ax.plot(
                frame[x],
                frame[column],
                label=split if split in SPLIT_COLOURS else column,
                color=SPLIT_COLOURS.get(split),
            )
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
        if ylabel in logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    save_figure(fig, path)

"""What every figure of the study shares: the Agg backend, axis finishing, atomic PNG writing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from mlpcnn.common.io import atomic_output

__all__ = ["label_axes", "plt", "save_figure", "series_table"]


def label_axes(ax: plt.Axes, xlabel: str, ylabel: str, **legend: object) -> None:
    """Axis labels, a light grid and the legend: how every chart here ends."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(**legend)


def save_figure(fig: plt.Figure, path: str | Path, title: str = "") -> None:
    """Give ``fig`` its title (if any), write it as a PNG atomically and close it."""
    if title:
        fig.suptitle(title)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def series_table(
    runs: Mapping[str, pd.DataFrame], x: str, columns: Sequence[str], series: str = "series"
) -> pd.DataFrame:
    """Long format for `dvc plots`: one row per (run, ``x``), the run's name in ``series``.

    A chart that colours by ``series`` then draws whatever runs the params asked for, and
    a run without a value at some ``x`` (fewer epochs, a NaN) has no row there: a gap.
    """
    frames = [
        frame[[x, *columns]].dropna(subset=list(columns), how="all").assign(**{series: name})
        for name, frame in runs.items()
    ]
    return pd.concat(frames, ignore_index=True)[[series, x, *columns]]

"""Figures of the cities study (section 6), written as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mlpcnn.common.figures import label_axes, plt, save_figure

SPLIT_COLOURS = {"train": "tab:blue", "val": "tab:orange", "test": "tab:green"}


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
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False, layout="constrained"
    )
    for ax, (ylabel, columns) in zip(axes[0], panels.items(), strict=True):
        for column in columns:
            split = column.split("_", 1)[0]
            ax.plot(
                frame[x],
                frame[column],
                label=split if split in SPLIT_COLOURS else column,
                color=SPLIT_COLOURS.get(split),
            )
        if ylabel in logy:
            ax.set_yscale("log")
        label_axes(ax, x, ylabel)
    save_figure(fig, path, title)


def plot_runs(
    runs: Mapping[str, pd.DataFrame],
    panels: Mapping[str, str],
    path: str | Path,
    *,
    x: str = "epoch",
    title: str = "",
    logx: bool = False,
    logy: Sequence[str] = (),
    diverged: Mapping[str, int | None] | None = None,
    references: Mapping[str, tuple[float, str]] | None = None,
) -> None:
    """Several runs on shared axes, one panel per ``panels`` entry (y label -> column).

    ``diverged[run]`` is the first epoch at which a run's loss became NaN or infinite:
    its curve stops at the last finite value, marked with a cross, and the legend says so.
    ``references[y label]`` = (value, label) draws a dashed horizontal reference line.
    """
    diverged = diverged or {}
    references = references or {}
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False, layout="constrained"
    )
    for ax, (ylabel, column) in zip(axes[0], panels.items(), strict=True):
        for name, frame in runs.items():
            label = (
                name if diverged.get(name) is None else f"{name} (diverged at {x} {diverged[name]})"
            )
            marker = "o" if len(frame) <= 12 else None  # a run of one epoch is a single point
            (line,) = ax.plot(frame[x], frame[column], label=label, marker=marker, ms=4)
            finite = frame[frame[column].notna() & (frame[column].abs() < float("inf"))]
            if diverged.get(name) is not None and len(finite):
                ax.plot(
                    finite[x].iloc[-1], finite[column].iloc[-1], "x", color=line.get_color(), ms=10
                )
        if ylabel in references:
            value, label = references[ylabel]
            ax.axhline(value, color="grey", linestyle="--", linewidth=1, label=label)
        if logx:
            ax.set_xscale("log")
        if ylabel in logy:
            ax.set_yscale("log")
        label_axes(ax, x, ylabel, fontsize="small")
    save_figure(fig, path, title)


def plot_mean_curves(
    runs: Mapping[str, pd.DataFrame],
    panels: Mapping[str, Sequence[str]],
    path: str | Path,
    *,
    x: str = "epoch",
    title: str = "",
) -> None:
    """Mean over seeds with a +-1 standard deviation band: one row of panels per run.

    ``runs[name]`` has ``<column>_mean`` and ``<column>_std``; ``panels`` maps a y label to
    the columns drawn in it (``<split>_...`` columns get their split's colour).
    """
    fig, axes = plt.subplots(len(runs), len(panels), figsize=(5.5 * len(panels), 3.8 * len(runs)),
                             squeeze=False, layout="constrained")  # fmt: skip
    for row, (name, frame) in zip(axes, runs.items(), strict=True):
        for ax, (ylabel, columns) in zip(row, panels.items(), strict=True):
            for column in columns:
                split = column.split("_", 1)[0]
                mean, std = frame[f"{column}_mean"], frame[f"{column}_std"]
                colour = SPLIT_COLOURS.get(split)
                ax.plot(frame[x], mean, color=colour, label=split if colour else column)
                ax.fill_between(
                    frame[x], mean - std, mean + std, color=colour, alpha=0.2, linewidth=0
                )
            ax.set_title(name, fontsize="medium")
            label_axes(ax, x, ylabel, fontsize="small")
    save_figure(fig, path, title)


def plot_accuracy_sweeps(
    sweeps: Mapping[str, tuple[pd.DataFrame, str]],
    path: str | Path,
    *,
    title: str = "",
    reference: tuple[float, str] | None = None,
) -> None:
    """Accuracy against a swept quantity, one panel per sweep (title -> (table, x column)).

    The table has ``<split>_acc_mean`` and ``<split>_acc_std`` per row; error bars are one
    standard deviation over seeds. ``reference`` = (value, label) adds a dashed line.
    """
    fig, axes = plt.subplots(
        1, len(sweeps), figsize=(5.5 * len(sweeps), 4), squeeze=False, layout="constrained"
    )
    for ax, (name, (table, x)) in zip(axes[0], sweeps.items(), strict=True):
        for split, colour in SPLIT_COLOURS.items():
            ax.errorbar(table[x], table[f"{split}_acc_mean"], yerr=table[f"{split}_acc_std"],
                        color=colour, marker="o", ms=4, capsize=3, label=split)  # fmt: skip
        if reference is not None:
            ax.axhline(reference[0], color="grey", linestyle="--", linewidth=1, label=reference[1])
        ax.set_xscale("log", base=2)
        ax.set_xticks(table[x], [str(v) for v in table[x]])
        ax.set_title(name, fontsize="medium")
        label_axes(ax, x, "accuracy", fontsize="small")
    save_figure(fig, path, title)


def plot_gradient_magnitudes(
    studies: Mapping[str, np.ndarray],
    layers: Sequence[int],
    path: str | Path,
    *,
    floor: float,
    title: str = "",
) -> None:
    """Per-epoch gradient magnitude of selected layers, log scale, one panel per study.

    ``studies[name]`` is ``(epochs, layers)``. Panels share the y axis so studies compare
    directly. Values at or below ``floor`` (a zero gradient) are drawn at the floor with
    hollow markers, so a vanished gradient stays visible.
    """
    fig, axes = plt.subplots(1, len(studies), figsize=(5.5 * len(studies), 4.2), squeeze=False,
                             sharey=True, layout="constrained")  # fmt: skip
    for ax, (name, magnitudes) in zip(axes[0], studies.items(), strict=True):
        epochs = np.arange(1, len(magnitudes) + 1)
        for layer in layers:
            values = magnitudes[:, layer]
            floored = values <= floor
            (line,) = ax.plot(
                epochs, np.maximum(values, floor), marker="o", ms=4, label=f"layer {layer}"
            )
            if floored.any():
                ax.plot(epochs[floored], np.full(floored.sum(), floor), "o", ms=8, mfc="none",
                        color=line.get_color())  # fmt: skip
        ax.axhline(floor, color="grey", linestyle=":", linewidth=1, label=f"0 (drawn at {floor:g})")
        ax.set_yscale("log")
        ax.set_title(name, fontsize="medium")
        label_axes(
            ax, "epoch", "mean squared L2 norm of the weight gradient", fontsize="small", ncol=2
        )
    save_figure(fig, path, title)


def plot_gradient_heatmaps(
    studies: Mapping[str, np.ndarray], path: str | Path, *, floor: float, title: str = ""
) -> None:
    """Every layer x every epoch, log colour scale shared by the panels (zero -> floor)."""
    from matplotlib.colors import LogNorm

    clipped = {name: np.maximum(m, floor) for name, m in studies.items()}
    norm = LogNorm(vmin=floor, vmax=max(float(m.max()) for m in clipped.values()))
    fig, axes = plt.subplots(1, len(studies), figsize=(4.5 * len(studies), 5), squeeze=False,
                             layout="constrained")  # fmt: skip
    for ax, (name, magnitudes) in zip(axes[0], clipped.items(), strict=True):
        extent = (0.5, len(magnitudes) + 0.5, -0.5, magnitudes.shape[1] - 0.5)
        image = ax.imshow(magnitudes.T, aspect="auto", origin="lower", norm=norm, cmap="viridis",
                          extent=extent)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel("hidden layer")
        ax.set_title(name, fontsize="medium")
    fig.colorbar(image, ax=axes[0].tolist(), label="mean squared L2 norm of the weight gradient")
    save_figure(fig, path, title)


def plot_frequency_sweep(
    table: pd.DataFrame,
    path: str | Path,
    *,
    nearest: float,
    course: tuple[float, float],
    title: str = "",
) -> None:
    """Validation accuracy against the highest frequency (cycles per degree), by kind.

    ``table`` has ``kind``, ``max_frequency``, ``val_acc_mean`` and ``val_acc_std``;
    ``nearest`` is 1-NN's validation accuracy, ``course`` = (frequency, accuracy) of the
    course's sine encoding.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    for kind, rows in table.sort_values("max_frequency").groupby("kind"):
        ax.errorbar(rows["max_frequency"], rows["val_acc_mean"], yerr=rows["val_acc_std"],
                    marker="o", capsize=3, label=f"{kind} Fourier features")  # fmt: skip
    ax.plot(*course, "s", color="black", label="course: sin(a x), a = 0.1..1 rad/deg")
    ax.axhline(nearest, color="grey", linestyle="--", linewidth=1, label=f"1-NN {nearest:.4f}")
    ax.set_xscale("log")
    ticks = sorted({*table["max_frequency"].astype(float), course[0]})
    ax.set_xticks(ticks, [f"{t:.2g}" for t in ticks])
    ax.minorticks_off()
    label_axes(ax, "highest frequency (cycles per degree)", "validation accuracy", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    save_figure(fig, path)


def plot_gradient_profile(
    profiles: Mapping[str, pd.DataFrame],
    dead: Mapping[str, np.ndarray],
    path: str | Path,
    *,
    title: str = "",
) -> None:
    """Top: log10 gradient magnitude against layer, median and interquartile band over
    seeds, one line per ``profiles`` entry (from ``quantile_profile``); exact zeros are
    not in the band but counted below. Bottom: per layer, the fraction of seeds whose
    gradient is exactly zero (per profile) and whose layer is dead (per ``dead`` entry:
    ``(R, layers)`` flags)."""
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9, 7), sharex=True, height_ratios=(2, 1), layout="constrained"
    )
    for name, frame in profiles.items():
        (line,) = top.plot(frame["layer"], frame["median"], label=f"{name}: median")
        top.fill_between(
            frame["layer"],
            frame["q25"],
            frame["q75"],
            color=line.get_color(),
            alpha=0.2,
            label=f"{name}: interquartile range",
        )
        bottom.plot(
            frame["layer"],
            frame["zero_fraction"],
            color=line.get_color(),
            label=f"{name}: gradient exactly 0",
        )
    for (name, flags), style in zip(dead.items(), ("--", ":", "-."), strict=False):
        bottom.plot(
            np.arange(flags.shape[1]),
            flags.mean(axis=0),
            style,
            color="black",
            label=f"dead layer ({name})",
        )
    label_axes(top, "", "log10 squared L2 norm of the weight gradient", fontsize="small")
    bottom.set_ylim(-0.03, 1.03)
    label_axes(bottom, "hidden layer", "fraction of seeds", fontsize="small")
    save_figure(fig, path, title)


def plot_topmost_dead(
    tops: Mapping[str, np.ndarray], depth: int, path: str | Path, *, title: str = ""
) -> None:
    """Histogram over seeds of the topmost dead layer (-1: no dead layer), one bar set
    per ``tops`` entry."""
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    bins = np.arange(-1.5, depth + 0.5, max(1, depth // 25))
    ax.hist(list(tops.values()), bins=bins, label=list(tops), alpha=0.8)
    label_axes(ax, "topmost dead layer (-1: none)", "seeds", fontsize="small")
    save_figure(fig, path, title)


def plot_fixes(
    ratios: Mapping[str, np.ndarray],
    accuracy: pd.DataFrame,
    path: str | Path,
    *,
    control: tuple[float, str] | None = None,
    title: str = "",
) -> None:
    """Left: per arm, the median over seeds of log10 ||grad W|| / ||W|| against layer in
    the last epoch, with its interquartile band (``ratios[arm]``: ``(layers, R)``).
    Right: mean validation accuracy per arm with its 95% interval (``accuracy`` has
    ``arm``, ``mean``, ``low``, ``high``); ``control`` draws (value, label) dashed."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 4.5), width_ratios=(3, 2), layout="constrained"
    )
    for name, values in ratios.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(values > 0, np.log10(values), np.nan)
        layers = np.arange(len(values))
        median = np.nanmedian(logs, axis=1) if np.isfinite(logs).any() else logs[:, 0]
        (line,) = left.plot(layers, median, label=name)
        left.fill_between(
            layers,
            np.nanquantile(logs, 0.25, axis=1),
            np.nanquantile(logs, 0.75, axis=1),
            color=line.get_color(),
            alpha=0.2,
        )
    label_axes(left, "hidden layer", "log10 ||grad W|| / ||W||, last epoch", fontsize="small")
    positions = np.arange(len(accuracy))
    right.errorbar(
        positions,
        accuracy["mean"],
        yerr=[accuracy["mean"] - accuracy["low"], accuracy["high"] - accuracy["mean"]],
        fmt="o",
        capsize=4,
        label="mean over seeds, 95% interval",
    )
    if control is not None:
        right.axhline(control[0], color="grey", linestyle="--", linewidth=1, label=control[1])
    right.set_xticks(positions, accuracy["arm"], rotation=30, ha="right")
    label_axes(right, "", "validation accuracy after training", fontsize="small")
    save_figure(fig, path, title)

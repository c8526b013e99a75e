"""Figures of the cities study (section 6), written as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.ticker
import numpy as np
import pandas as pd

from mlpcnn.common.figures import label_axes, plt, save_figure

if TYPE_CHECKING:  # the gradients module imports torch; the figures need none of it
    from mlpcnn.cities.gradients import PlainStudy

SPLIT_COLOURS = {"train": "tab:blue", "val": "tab:orange", "test": "tab:green"}
SPLIT_STYLES = {"train": "-", "val": "--", "test": ":"}  # told apart without colour too
LINE_STYLES = ("-", "--", ":", "-.")  # runs on one axis: a style each beside its colour
FLOOR_STEP = 10.0  # zero gradients: one row per layer, a decade apart, under the floor


def plot_seed_runs(
    runs: Mapping[str, pd.DataFrame],
    panels: Mapping[str, str],
    path: str | Path,
    *,
    x: str = "epoch",
    title: str = "",
    logx: bool = False,
    logy: Sequence[str] = (),
    references: Mapping[str, tuple[float, str]] | None = None,
) -> None:
    """Several runs on shared axes, each its mean over seeds with a 95% interval band.

    ``runs[name]`` has ``<column>_mean``, ``_low`` and ``_high`` per ``x`` (see
    ``selection.mean_curves``; diverged seeds are NaN and left out of the mean); one
    panel per ``panels`` entry (y label -> column). ``references[y label]`` = (value,
    label) draws a dashed horizontal line.
    """
    references = references or {}
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False, layout="constrained"
    )
    for ax, (ylabel, column) in zip(axes[0], panels.items(), strict=True):
        for i, (name, frame) in enumerate(runs.items()):
            frame = frame.dropna(subset=[f"{column}_mean"])
            marker = "o" if len(frame) <= 12 else None  # a run of one epoch is a single point
            (line,) = ax.plot(frame[x], frame[f"{column}_mean"], label=name, marker=marker, ms=4,
                              linestyle=LINE_STYLES[i % len(LINE_STYLES)])  # fmt: skip
            ax.fill_between(frame[x], frame[f"{column}_low"], frame[f"{column}_high"],
                            color=line.get_color(), alpha=0.2, linewidth=0)  # fmt: skip
        if ylabel in references:
            value, label = references[ylabel]
            ax.axhline(value, color="grey", linestyle="--", linewidth=1, label=label)
        if logx:
            ax.set_xscale("log")
        if ylabel in logy:
            ax.set_yscale("log")
        label_axes(ax, x, ylabel, fontsize="small")
    save_figure(fig, path, title)


def plot_batch_losses(
    raw: Mapping[str, tuple[np.ndarray, int]],
    windows: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    title: str = "",
) -> None:
    """The training loss of every batch, faint, and its equal-sample window means, solid.

    Run names are ``"<arm>: <batch label>"``: one panel per arm, one colour per batch
    label. ``raw[name]`` = (loss of each batch in order ``(steps,)``, batch size), drawn
    against the number of training samples seen; ``windows[name]`` has ``samples`` and
    ``loss_mean``. Log-log axes: the first batches and the last epochs both read.
    """
    arms = list(dict.fromkeys(name.split(": ", 1)[0] for name in raw))
    fig, axes = plt.subplots(1, len(arms), figsize=(6.5 * len(arms), 4.4), squeeze=False,
                             layout="constrained", sharey=True)  # fmt: skip
    for ax, arm in zip(axes[0], arms, strict=True):
        for i, (name, (losses, batch)) in enumerate(
            (n, r) for n, r in raw.items() if n.startswith(f"{arm}: ")
        ):
            colour = f"C{i}"
            seen = np.arange(1, len(losses) + 1) * batch
            ax.plot(seen, losses, color=colour, alpha=0.15, linewidth=0.4, rasterized=True)
            window = windows[name]
            ax.plot(window["samples"], window["loss_mean"], color=colour, linewidth=1.4,
                    label=name.split(": ", 1)[1])  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Single samples can have a loss near 0: start the axis at the 1st percentile.
        raws = np.concatenate([r[0] for n, r in raw.items() if n.startswith(f"{arm}: ")])
        ax.set_ylim(bottom=np.nanpercentile(raws[raws > 0], 1))
        ax.set_title(f"{arm} arm", fontsize="medium")
        label_axes(ax, "training samples seen", "training loss", fontsize="small")
    save_figure(fig, path, title)


def plot_stability(
    stability: pd.DataFrame, panels: Mapping[str, str], path: str | Path, *, title: str = ""
) -> None:
    """Loss noise against batch size, one series per arm, with 95% intervals over seeds.

    ``stability`` has ``series`` (the arm), ``batch_size`` and, for each ``panels`` entry
    (y label -> column), ``<column>_mean``, ``_low`` and ``_high``.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False,
                             layout="constrained")  # fmt: skip
    sizes = sorted(stability["batch_size"].unique())
    for ax, (ylabel, column) in zip(axes[0], panels.items(), strict=True):
        for arm, rows in stability.groupby("series", sort=False):
            rows = rows.sort_values("batch_size")
            ax.errorbar(rows["batch_size"], rows[f"{column}_mean"], yerr=_error_bars(rows, column),
                        marker="o", capsize=3, label=f"{arm} arm")  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.minorticks_off()
        ax.set_ylim(bottom=0)
        label_axes(ax, "batch size", ylabel, fontsize="small")
    save_figure(fig, path, title)


def plot_mean_curves(
    runs: Mapping[str, pd.DataFrame],
    panels: Mapping[str, Sequence[str]],
    path: str | Path,
    *,
    x: str = "epoch",
    title: str = "",
) -> None:
    """Mean over seeds with its 95% interval as a band: one row of panels per run.

    ``runs[name]`` has ``<column>_mean``, ``_low`` and ``_high`` (see
    ``selection.mean_curves``); ``panels`` maps a y label to the columns drawn in it
    (``<split>_...`` columns get their split's colour).
    """
    fig, axes = plt.subplots(len(runs), len(panels), figsize=(5.5 * len(panels), 3.8 * len(runs)),
                             squeeze=False, layout="constrained")  # fmt: skip
    for row, (name, frame) in zip(axes, runs.items(), strict=True):
        for ax, (ylabel, columns) in zip(row, panels.items(), strict=True):
            for column in columns:
                split = column.split("_", 1)[0]
                colour = SPLIT_COLOURS.get(split)
                ax.plot(
                    frame[x],
                    frame[f"{column}_mean"],
                    color=colour,
                    linestyle=SPLIT_STYLES.get(split, "-"),
                    linewidth=1.8 if split == "train" else 1.4,
                    label=split if colour else column,
                )
                ax.fill_between(frame[x], frame[f"{column}_low"], frame[f"{column}_high"],
                                color=colour, alpha=0.2, linewidth=0)  # fmt: skip
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

    The table has ``<split>_acc_mean``, ``_low`` and ``_high`` per row; error bars are the
    95% interval over seeds. ``reference`` = (value, label) adds a dashed line.
    """
    fig, axes = plt.subplots(
        1, len(sweeps), figsize=(5.5 * len(sweeps), 4), squeeze=False, layout="constrained"
    )
    for ax, (name, (table, x)) in zip(axes[0], sweeps.items(), strict=True):
        for split, colour in SPLIT_COLOURS.items():
            ax.errorbar(table[x], table[f"{split}_acc_mean"],
                        yerr=_error_bars(table, f"{split}_acc"), color=colour, marker="o", ms=4,
                        capsize=3, label=split)  # fmt: skip
        if reference is not None:
            top = max(float(table[f"{split}_acc_high"].max()) for split in SPLIT_COLOURS)
            if reference[0] <= top + 0.01:
                ax.axhline(reference[0], color="grey", linestyle="--", linewidth=1,
                           label=reference[1])  # fmt: skip
            else:  # far above the data: said at the top, so the data keep the axis
                ax.annotate(f"{reference[1]} (above)", xy=(0.5, 0.98), xycoords="axes fraction",
                            ha="center", va="top", fontsize="small", color="grey")  # fmt: skip
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
    directly. Values at or below ``floor`` (a zero gradient) are drawn with hollow markers
    on a row per layer under the floor (``floor / FLOOR_STEP**i``), so vanished layers
    stay visible and apart.
    """
    fig, axes = plt.subplots(1, len(studies), figsize=(5.5 * len(studies), 4.2), squeeze=False,
                             sharey=True, layout="constrained")  # fmt: skip
    for ax, (name, magnitudes) in zip(axes[0], studies.items(), strict=True):
        epochs = np.arange(1, len(magnitudes) + 1)
        for i, layer in enumerate(layers):
            values = magnitudes[:, layer]
            floored = values <= floor
            row = floor / FLOOR_STEP**i  # each layer's zeros on a row of its own below the floor
            (line,) = ax.plot(
                epochs, np.where(floored, row, values), marker="o", ms=4, label=f"layer {layer}",
                linestyle=LINE_STYLES[i % len(LINE_STYLES)],
            )  # fmt: skip
            if floored.any():
                ax.plot(epochs[floored], np.full(floored.sum(), row), "o", ms=8, mfc="none",
                        color=line.get_color())  # fmt: skip
        ax.axhline(floor, color="grey", linestyle=":", linewidth=1,
                   label=f"exactly 0: hollow, one row per layer below {floor:g}")  # fmt: skip
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


def _error_bars(table: pd.DataFrame, column: str) -> np.ndarray:
    """``(2, rows)`` distances from ``<column>_mean`` down to ``_low`` and up to ``_high``."""
    mean = table[f"{column}_mean"].to_numpy()
    return np.stack([mean - table[f"{column}_low"], table[f"{column}_high"] - mean])


def spaced_ticks(values: Sequence[float], ratio: float = 1.15) -> list[float]:
    """One tick per value on a log axis (rounded to 2 decimals), leaving out a value
    within ``ratio`` of the tick before it, whose label would print over that tick's."""
    ticks: list[float] = []
    for value in sorted({round(float(v), 2) for v in values}):
        if not ticks or value >= ticks[-1] * ratio:
            ticks.append(value)
    return ticks


def plot_frequency_sweep(
    table: pd.DataFrame, path: str | Path, *, nearest: float, title: str = ""
) -> None:
    """Test error (95% interval over seeds) of each encoding against its highest frequency.

    ``table`` has ``kind``, ``highest_frequency_used`` (cycles per degree) and
    ``test_acc_mean``, ``_low``, ``_high``, one row per setting (index: its name). The error
    rate is drawn on a log scale so that 7% and 0.7% both read. The raw coordinates have
    no frequency: a band across the chart. ``nearest``: 1-NN's test accuracy.
    """
    error = pd.DataFrame({
        "kind": table["kind"], "frequency": table["highest_frequency_used"],
        "test_err_mean": 1 - table["test_acc_mean"], "test_err_low": 1 - table["test_acc_high"],
        "test_err_high": 1 - table["test_acc_low"],
    })  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 4.4), layout="constrained")
    for kind, rows in error.sort_values("frequency").groupby("kind", sort=False):
        if kind == "raw":
            for name, row in rows.iterrows():
                ax.axhspan(row["test_err_low"], row["test_err_high"], color="tab:red", alpha=0.15)
                ax.axhline(row["test_err_mean"], color="tab:red", linewidth=1,
                           label=f"{name}: raw coordinates")  # fmt: skip
            continue
        marker = "s" if kind == "sine" else "o"
        label = "course's sin(a x), a = 0.1..1 rad/deg" if kind == "sine" else f"{kind} Fourier"
        ax.errorbar(rows["frequency"], rows["test_err_mean"], yerr=_error_bars(rows, "test_err"),
                    marker=marker, capsize=3, linestyle="-" if len(rows) > 1 else "none",
                    label=label)  # fmt: skip
        below = -12 if kind == "axis" else 6  # axis_f2 sits on rff's line: label it below
        for name, row in rows.iterrows():
            ax.annotate(
                str(name),
                (row["frequency"], row["test_err_mean"]),
                textcoords="offset points",
                xytext=(5, below),
                fontsize="x-small",
            )
    ax.axhline(1 - nearest, color="grey", linestyle="--", linewidth=1,
               label=f"1-NN: {100 * (1 - nearest):.2f}% error")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(xmax=1, decimals=1))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.PercentFormatter(xmax=1, decimals=1))
    ticks = spaced_ticks(error["frequency"].dropna())
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))  # a tick per setting
    low, high = ax.get_xlim()
    ax.set_xlim(low, high * 1.15)  # room for the rightmost point's name
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    label_axes(ax, "highest frequency (cycles per degree)", "test error rate (log scale)",
               fontsize="small")  # fmt: skip
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
    """Histogram over seeds of the topmost dead layer, one bar set per ``tops`` entry.

    ``tops[name]`` holds -1 for a seed with no dead layer: those are counted in the
    legend rather than drawn in a bin beside layer 0.
    """
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    bins = np.arange(-0.5, depth + 0.5, max(1, depth // 25))
    dead = [values[values >= 0] for values in tops.values()]
    labels = [f"{name} ({int((values < 0).sum())} of {len(values)} seeds with no dead layer)"
              for name, values in tops.items()]  # fmt: skip
    ax.hist(dead, bins=bins, label=labels, alpha=0.8)
    ax.set_xlim(-0.5, depth - 0.5)
    label_axes(ax, "topmost dead layer", "seeds", fontsize="small")
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


def plot_plain_study(
    study: PlainStudy, profiles: Mapping[str, pd.DataFrame], shown: Sequence[int],
    out: Path, *, floor: float, label: str,
) -> None:  # fmt: skip
    """The vanishing-gradient study's four figures into ``out``: the course's chart
    (``gradients.png``) and every layer (``heatmap.png``) for the representative seed,
    the profile over seeds (``profile.png``), and the topmost dead layer
    (``topmost_dead.png``). ``label`` names the network."""
    seed, rep, n = study.seeds[study.representative], study.representative, len(study.seeds)
    name = f"{label}, seed {seed}"
    plot_gradient_magnitudes(
        {name: study.magnitudes[:, :, rep]}, shown, out / "gradients.png", floor=floor,
        title=f"6.2 Q5: gradient magnitude per epoch (seed {seed}: median topmost dead layer)",
    )  # fmt: skip
    plot_gradient_heatmaps(
        {name: study.magnitudes[:, :, rep]}, out / "heatmap.png", floor=floor,
        title=f"gradient magnitude of every hidden layer, seed {seed}",
    )  # fmt: skip
    plot_gradient_profile(
        profiles, {"at init": study.dead_init, "after training": study.dead_final},
        out / "profile.png", title=f"6.2 Q5: gradient profile over {n} seeds",
    )  # fmt: skip
    per_seed = study.per_seed()
    plot_topmost_dead(
        {"at initialisation": per_seed["topmost_dead_init"].to_numpy(),
         "after training": per_seed["topmost_dead_final"].to_numpy()},
        study.depth, out / "topmost_dead.png", title=f"topmost dead layer over {n} seeds",
    )  # fmt: skip


def plot_batch_size_study(
    curves: Mapping[str, pd.DataFrame], losses: Mapping[str, np.ndarray],
    windows: Mapping[str, pd.DataFrame], runs: Mapping[str, dict], stability: pd.DataFrame,
    out: Path, *, seeds: Sequence[int], shape: str, samples: int, tail: float,
) -> None:  # fmt: skip
    """6.1 Q4's figures into ``out``: validation accuracy per epoch for each arm
    (``val_acc_<arm>.png``), every batch's loss with its window means
    (``batch_loss.png``) and the loss noise against batch size (``stability.png``).
    Every mapping is keyed ``"<arm>: batch <size>"``; ``losses[name]`` is ``(steps, R)``."""
    for arm in dict.fromkeys(r["arm"] for r in runs.values()):
        plot_seed_runs(
            {n.split(": ", 1)[1]: c for n, c in curves.items() if n.startswith(f"{arm}: ")},
            {"validation accuracy": "val_acc"},
            out / f"val_acc_{arm}.png",
            title=f"6.1 Q4: batch size, {arm} arm ({shape}; mean and 95% interval over "
            f"{len(seeds)} seeds)",
        )
    plot_batch_losses(
        {name: (losses[name][:, 0], runs[name]["batch_size"]) for name in losses},
        windows,
        out / "batch_loss.png",
        title=f"6.1 Q4: training loss of every batch (seed {seeds[0]}, faint) and its mean over "
        f"windows of {samples:,} samples (mean over {len(seeds)} seeds) ({shape})",
    )
    plot_stability(
        stability,
        {"noise of the loss of each batch": "batch_noise",
         f"noise of the mean loss over {samples:,} samples": "window_noise"},
        out / "stability.png",
        title=f"6.1 Q4: loss noise over the last {tail:.0%} of training (sd of successive "
        f"differences / sqrt 2; {len(seeds)} seeds, 95% interval)",
    )  # fmt: skip


def plot_grid_study(
    sweeps: Mapping[str, tuple[pd.DataFrame, str]], best_worst: Mapping[str, pd.DataFrame],
    out: Path, *, seeds: int, reference: float,
) -> None:  # fmt: skip
    """6.2's figures into ``out``: final accuracy against depth and width
    (``depth_width.png``, ``sweeps`` as for :func:`plot_accuracy_sweeps`) and the best
    and worst cells' mean curves (``best_worst_curves.png``)."""
    plot_accuracy_sweeps(
        sweeps,
        out / "depth_width.png",
        title=f"6.2: final accuracy, mean and 95% interval over {seeds} seeds",
        reference=(reference, f"1-NN validation accuracy {reference:.4f}"),
    )
    plot_mean_curves(
        best_worst,
        {"cross-entropy loss": ["train_loss", "val_loss", "test_loss"],
         "accuracy": ["train_acc", "val_acc", "test_acc"]},
        out / "best_worst_curves.png",
        title="6.2 Q1-Q2: best and worst cell by mean validation accuracy (band: 95% interval)",
    )  # fmt: skip


def plot_fix_study(
    studies: Mapping[str, np.ndarray], ratios: Mapping[str, np.ndarray], arms: pd.DataFrame,
    out: Path, *, shown: Sequence[int], floor: float, control: str, title: str,
) -> None:  # fmt: skip
    """6.2 Q6's figures into ``out``. ``studies``: the plain network's and the best fix's
    ``(epochs, layers)`` course measure (in that order): the fix alone (``gradients.png``,
    ``heatmap.png``) and both (``comparison.png``, ``comparison_heatmap.png``);
    ``ratios[arm]``: ``(layers, R)`` in the last epoch, and ``arms`` (``fixes.arms_table``)
    with the ``control`` arm's accuracy as the dashed line (``fixes.png``)."""
    fix = dict(list(studies.items())[1:])
    best = next(iter(fix)).split(",")[0]
    plot_gradient_magnitudes(fix, shown, out / "gradients.png", floor=floor,
                             title=f"6.2 Q6: gradient magnitude per epoch, {best}")  # fmt: skip
    plot_gradient_heatmaps(fix, out / "heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip
    plot_gradient_magnitudes(studies, shown, out / "comparison.png", floor=floor,
                             title="6.2 Q5-Q6: the plain network and the best fix")  # fmt: skip
    plot_gradient_heatmaps(studies, out / "comparison_heatmap.png", floor=floor,
                           title="gradient magnitude of every hidden layer")  # fmt: skip
    accuracy = arms.rename(
        columns={"val_acc_mean": "mean", "val_acc_low": "low", "val_acc_high": "high"}
    )
    control_acc = float(arms.loc[arms["arm"] == control, "val_acc_mean"].iloc[0])
    plot_fixes(ratios, accuracy, out / "fixes.png",
               control=(control_acc, f"control: {control}"), title=title)  # fmt: skip

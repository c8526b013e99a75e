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
    baseline that sweeps it, each nudged sideways a little so that baselines at the same
    accuracy (several constant ones at 50%) stay visible; a constant run (``constant``
    column) is a hollow marker. A baseline's default-settings run is a dashed horizontal
    line with its interval shaded. ``runs``: ``baseline``, ``lr`` (NaN: default
    settings), ``test_acc``, ``test_acc_low``, ``test_acc_high``, optionally ``constant``."""
    fig, ax = plt.subplots(figsize=(10, 4.8), layout="constrained")
    swept_baselines = [b for b, g in runs.groupby("baseline", sort=False) if g["lr"].notna().any()]
    for i, (baseline, group) in enumerate(runs.groupby("baseline", sort=False)):
        color = f"C{i % 10}"
        swept = group.dropna(subset=["lr"]).sort_values("lr")
        if len(swept):
            nudge = 1.07 ** (swept_baselines.index(baseline) - (len(swept_baselines) - 1) / 2)
            x = swept["lr"].to_numpy() * nudge
            acc = swept["test_acc"].to_numpy()
            low, high = swept["test_acc_low"].to_numpy(), swept["test_acc_high"].to_numpy()
            ax.errorbar(x, acc, yerr=[acc - low, high - acc], capsize=3, color=color,
                        label=baseline)  # fmt: skip
            constant = swept.get("constant", pd.Series(False, index=swept.index)).fillna(False)
            flags = constant.astype(bool).to_numpy()
            ax.scatter(x[~flags], acc[~flags], color=color, zorder=3)
            ax.scatter(x[flags], acc[flags], facecolors="white", edgecolors=color, zorder=3)
        for _, run in group[group["lr"].isna()].iterrows():
            ax.axhline(run["test_acc"], linestyle="--", linewidth=1, color=color,
                       label=f"{baseline} (default settings)")  # fmt: skip
            ax.axhspan(run["test_acc_low"], run["test_acc_high"], color=color, alpha=0.08)
    ax.axhline(0.5, color="lightgrey", linewidth=1)
    ax.scatter([], [], facecolors="white", edgecolors="grey", label="hollow: constant run")
    ax.set_xscale("log")
    x_label = "learning rate (each baseline nudged sideways to stay visible)"
    label_axes(ax, x_label, "test accuracy", fontsize="small", loc="center left",
               bbox_to_anchor=(1.01, 0.5))  # fmt: skip
    if title:
        ax.set_title(title, fontsize="medium")
    save_figure(fig, path)


def plot_q2_examples(
    test_images: np.ndarray, q2: Sequence[dict], path: str | Path, shown: int, kind: str
) -> None:
    """7.6 Q2 as one figure: a row of up to ``shown`` test images ``(3, H, W)`` per
    (best, worst) pair of ``q2`` (see ``analysis.q2_examples``), each titled with the true
    class and both models' p(fake)."""
    images, titles, rows = [], [], []
    for q in q2:
        best, worst = q["best"]["baseline"], q["worst"]["baseline"]
        picked = q["shown_test_indices"]
        blank = [np.full_like(test_images[0], 255)] * (shown - len(picked))
        images += [test_images[i] for i in picked] + blank
        titles += [
            f"true: {label}\n{best} {b:.2f}\n{worst} {w:.2f}"
            for label, b, w in zip(
                q["shown_labels"], q["best_p_fake"], q["worst_p_fake"], strict=True
            )
        ]
        titles += [""] * len(blank)
        constant = " (constant)" if q["worst_constant"] else ""
        rows.append(f"{best} right, {worst}{constant} wrong: {len(picked)} of {q['candidates']}")
    plot_image_grid(images, path, columns=shown, titles=titles,
                    title=f"7.6 Q2 ({kind}, at 224 px, the scratch input), p(fake) shown; rows: "
                    + "; ".join(rows))  # fmt: skip


def plot_spectra(real: np.ndarray, fake: np.ndarray, path: str | Path, *, title: str = "") -> None:
    """Two mean amplitude spectra ``(S, S)`` (zero frequency in the centre) on one log
    colour scale, fake over real (where the fakes carry more), and both along the
    frequency axes, where a pixel grid's peaks lie."""
    from mlpcnn.faces.spectrum import axis_profile

    fig, axes = plt.subplots(1, 4, figsize=(18, 4.4), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1, 1, 1.3]})  # fmt: skip
    logs = {"real": np.log10(real + 1e-12), "fake": np.log10(fake + 1e-12)}
    low, high = np.percentile(np.concatenate([v.ravel() for v in logs.values()]), [0.5, 99.95])
    extent = (-0.5, 0.5, 0.5, -0.5)
    for ax, name in zip(axes[:2], logs, strict=True):
        shown = ax.imshow(logs[name], cmap="magma", vmin=low, vmax=high, extent=extent)
        ax.set_title(f"{name}: mean amplitude (log10)", fontsize="medium")
    fig.colorbar(shown, ax=axes[1], shrink=0.8)
    ratio = logs["fake"] - logs["real"]
    limit = max(np.percentile(np.abs(ratio), 99.95), 0.1)
    shown = axes[2].imshow(ratio, cmap="RdBu_r", vmin=-limit, vmax=limit, extent=extent)
    axes[2].set_title("fake over real (log10 ratio)", fontsize="medium")
    fig.colorbar(shown, ax=axes[2], shrink=0.8)
    for ax in axes[:3]:
        ax.set_xlabel("horizontal frequency (cycles/pixel)")
        ax.set_ylabel("vertical frequency (cycles/pixel)")
    for spectrum, name, color in ((real, "real", "C0"), (fake, "fake", "C3")):
        freqs, amplitude = axis_profile(spectrum)
        axes[3].plot(freqs[1:], amplitude[1:], color=color, label=name)  # zero: no residual
    axes[3].set_yscale("log")
    label_axes(axes[3], "frequency along the axes (cycles/pixel)", "mean amplitude",
               fontsize="small")  # fmt: skip
    save_figure(fig, path, title)

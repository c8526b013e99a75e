"""The report's cities data section and the helpers its sections share (names of rates,
cells and comparisons in words)."""

from __future__ import annotations

from collections.abc import Callable

from mlpcnn.report.markdown import (
    absent,
    borderline,
    flat_figure,
    interval,
    opening,
    pct,
    pvalue,
    table,
)
from mlpcnn.report.study import Study


def section_data(s: Study) -> str:
    m = s.results
    d = m.get("prepare_cities")
    out = opening(
        "## Data",
        "Cities: classify European cities into their country from (longitude, latitude).",
    )
    if not d:
        return absent(out, "prepare_cities")
    nn = d["nearest_neighbour"]
    out += [
        "",
        table(["split", "rows", "classes present"],
              [[s, f"{d['rows'][s]:,}", d["classes_present"][s]] for s in ("train", "val", "test")]),
        "",
        f"The cities fall into {d['n_classes']} classes. A 1-nearest-neighbour classifier (1-NN) on the raw coordinates reaches "
        f"{pct(nn['val_acc'])} validation and {pct(nn['test_acc'])} test accuracy: what the data "
        "allows without learning, the yardstick for every MLP below.",
    ]  # fmt: skip
    return "\n".join(out)


def cell_words(cells: dict, cell: str) -> str:
    """A grid cell as a sentence names it: ``d6_w16`` -> ``6 layers of 16``."""
    c = cells.get(cell)
    if not c:
        return cell
    return f"{c['depth']} layer{'s' * (c['depth'] != 1)} of {c['width']}"


SPLIT_WORDS = {"val": "validation", "test": "test"}


def arm_means(d: dict, batch: int, split: str = "val") -> dict[str, float]:
    """Each batch-size arm's mean final accuracy on ``split`` at ``batch``."""
    return {r["arm"]: r[f"final_{split}_acc"]["mean"] for r in d["runs"].values()
            if r["batch_size"] == batch}  # fmt: skip


def nearest_arm(d: dict, batch: int, value: float, split: str = "val") -> str | None:
    """The arm whose mean final accuracy at ``batch`` is nearest a course figure: the row
    the figure is set beside, as :func:`reference_fit` says."""
    arms = arm_means(d, batch, split)
    return min(arms, key=lambda arm: abs(arms[arm] - value)) if arms else None


def reference_fit(d: dict, reference: dict, split: str = "val") -> str:
    """Which of our batch-size arms a course figure sits nearest to, a sentence for each
    batch size it gives: ``reference`` is its entry (``report``, ``section``, ``values``
    by batch)."""
    named = lambda arm: arm.replace("batchnorm", "batch-norm")  # noqa: E731
    sentences = []
    for batch, value in sorted(reference.get("values", {}).items()):
        arms = arm_means(d, batch, split)
        if not arms:
            continue
        gaps = ", ".join(f"{100 * (value - mean):+.1f} points against our {named(arm)} arm"
                         for arm, mean in arms.items())  # fmt: skip
        sentences.append(
            f"Report {reference['report']}'s {pct(value)} {SPLIT_WORDS[split]} accuracy at batch "
            f"{batch} ({reference['section']}) sits nearest our "
            f"{named(nearest_arm(d, batch, value, split))} arm: {gaps}."
        )
    return " ".join(sentences)


def cell_interval(cell: dict, split: str) -> str:
    """A grid cell's (or setting's) final accuracy on ``split`` with its interval."""
    return interval(flat_figure(cell, f"{split}_acc"))


def closest(tests: dict) -> tuple[str, dict]:
    """A winner's closest rival: the comparison with the highest adjusted p, of equal ps
    the smallest difference."""
    return max(tests.items(), key=lambda kv: (2 if kv[1]["p_holm"] is None else kv[1]["p_holm"],
                                              -abs(kv[1].get("difference") or 0)))  # fmt: skip


def rival(tests: dict, words: Callable[[str], str] = str, ahead: str = "ahead of") -> str:
    """A winner against its closest rival (the comparison with the highest adjusted p), as
    a clause: ``not distinguishable from lr 0.01 (Holm p = 0.162)`` or ``ahead of batch 16,
    borderline (Holm p = 0.025)``."""
    if not tests:
        return "the only one compared"
    name, t = closest(tests)
    other = words(name.split(" vs ")[1])
    flag = borderline(t)
    said = f"{ahead} {other}" if t["distinguishable"] else f"not distinguishable from {other}"
    return f"{said}{flag} (Holm p = {pvalue(t['p_holm'])})"

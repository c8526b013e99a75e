"""Section 6.2 Q1-Q4 of the report (cities): the depth x width grid."""

from __future__ import annotations

import functools
import re

from mlpcnn.report import answers
from mlpcnn.report.cities import (
    cell_interval,
    cell_words,
    rival,
)
from mlpcnn.report.markdown import (
    absent,
    borderline,
    capital,
    claim,
    comparisons,
    difference,
    opening,
    pct,
    points,
    pvalue,
    table,
)
from mlpcnn.report.study import Study


def section_grid(s: Study) -> str:
    d = s.results.get("mlp_select")
    out = opening(
        "## 6.2 Q1-Q4: depth and width",
        "Which (depth, width) is best and worst, do they over- or underfit, and how do depth and width matter?",
    )
    if not d:
        return absent(out, "mlp_select")
    ref_a = {r["cell"]: r["val_acc"] for name in ("grid_best", "grid_worst")
             for r in s.references.get(name, []) if r["report"] == "A"}  # fmt: skip
    g = answers.grid(s)
    rows = [
        [c, r["depth"], r["width"], cell_interval(r, "val"), cell_interval(r, "test"),
         pct(ref_a.get(c)) if c in ref_a else "", pct(s.reference_value("grid_val_acc", "B", c)),
         *((_gap(g["gap"][c]), g["fit"][c], pvalue((g.get("falling_p_holm") or {}).get(c)),
            answers.curve_text(g["runs"][c])) if g else ())]
        for c, r in d["cells"].items()
    ]  # fmt: skip
    heads = ["cell", "depth", "width", "val acc [95%]", "test acc [95%]", "ref. A val", "ref. B val",
             "train minus val acc [95%]", "fit", "falling: Holm p", "curve"]  # fmt: skip
    train = s.params.get("mlp_grid", {}).get("train", {})
    words = functools.partial(cell_words, d["cells"])
    out += [
        "",
        f"**Answer.** {grid_answer(s)}",
        "",
        s.figure("mlp_select/depth_width", "accuracy against depth and width with the 1-NN line"),
        "",
        table(heads[: len(rows[0])], rows),
        "",
        " ".join(t for t in [
            "Every cell trains with batch norm before each ReLU, the pipeline's choice after "
            "6.1 Q3." if train.get("batchnorm") else "",
            training_notes(s),
        ] if t),
    ]  # fmt: skip
    if g:
        out += [
            "",
            f"Fit: {FIT_WORDS}",
            "",
            f"Best by mean validation accuracy: {words(d['best']['cell'])}, against every other cell.",
            "",
            comparisons(g["versus"], "final val acc"),
            "",
            trends_table(g["trends"]),
            *(block for axis, t in g["trends"].items() if "steps" in t
              for block in ("", steps_block(axis, t))),
        ]  # fmt: skip
    out += [
        "",
        s.figure(
            "mlp_select/best_worst_curves", "loss and accuracy curves of the best and worst cells"
        ),
        "",
        s.figure("mlp_select/boundaries", "decision boundaries of the best and worst cells"),
    ]
    return "\n".join(out)  # fmt: skip


FIT_WORDS = (
    "a cell is under-trained when its validation loss still falls over the last epochs, "
    "tested over seeds with Holm's correction over the cells. It is not resolved when the fall "
    "does not survive that correction. A level loss reads under-capacity or a good fit by its "
    "training accuracy against 1-NN's."
)


def _gap(x: dict) -> str:
    return f"{points(x['difference'])} [{100 * x['low']:+.2f}, {100 * x['high']:+.2f}]"


def trends_table(trends: dict) -> str:
    """The change of validation accuracy per doubling along each axis, one Holm family."""
    rows = [[axis, ", ".join(t["cells"]), f"{points(t['slope'])} [{100 * t['low']:+.2f}, "
             f"{100 * t['high']:+.2f}]", f"{t['test']}, Holm over {t['family']}",
             pvalue(t["p_holm"]), claim(t, ", borderline")] for axis, t in trends.items()]  # fmt: skip
    return table(["axis", "cells", "per doubling [95%]", "test", "Holm p", "verdict"], rows)


def plain_cell(name: str) -> str:
    """A grid cell's name as a sentence says it: ``d6_w16`` -> ``6 layers of 16``."""
    match = re.fullmatch(r"d(\d+)_w(\d+)", name)
    return f"{match[1]} layers of {match[2]}" if match else name


def steps_block(axis: str, t: dict) -> str:
    """Where the gains along ``axis`` stop, a sentence, and each step's test, a table."""
    head = f"Step by step {gains_text(axis, t)}."
    rows = []
    for name, test in t["steps"].items():
        after, before = name.split(" vs ")
        word = (("gain" if test["difference"] > 0 else "loss") if test["distinguishable"]
                else "not distinguishable")  # fmt: skip
        rows.append([
            f"{before} to {after}",
            difference(test),
            pvalue(test["p_holm"]),
            word + borderline(test),
        ])  # fmt: skip
    return "\n".join([
        head,
        "",
        table([f"step along {axis}", "val acc difference [95%]", "Holm p", "verdict"], rows),
    ])  # fmt: skip


def grid_answer(s: Study) -> str:
    """6.2 Q1-Q4 in three sentences: best and worst, over- or underfitting, where depth
    and width help."""
    d, g = s.results["mlp_select"], answers.grid(s)
    if not g:
        return "n/a"
    words = functools.partial(cell_words, d["cells"])
    best, worst = d["best"]["cell"], d["worst"]["cell"]
    close = all(abs(x["high"]) < 0.01 and abs(x["low"]) < 0.01 for x in g["gap"].values())
    below = [d["nearest_neighbour"]["val_acc"] - c["train_acc_mean"] for c in d["cells"].values()]
    fits = set(g["fit"].values())
    fit = (
        f"{'No cell overfits: training and validation accuracy agree within a point' if close else 'Train and validation accuracy differ'}; "
        f"every cell trains {100 * min(below):.1f} to {100 * max(below):.1f} points below 1-NN's "
        + ("accuracy, and its loss still falls, but no fall survives the correction over the "
           "cells, so under-fitting is not resolved." if fits == {"not resolved"}
           else f"accuracy, and the fit rule reads {', '.join(sorted(fits))}.")
    )  # fmt: skip
    axes = [gains_text(axis, t) + ("" if t["gains_up_to"] == t["cells"][-1] else _trend_clause(t))
            for axis, t in g["trends"].items() if "steps" in t]  # fmt: skip
    return (
        f"The best cell is {words(best)} at {pct(d['best']['val_acc_mean'])}, "
        f"{rival(g['versus'], words)}; the worst is {words(worst)}. {fit} "
        + (capital("; ".join(axes)) + "." if axes else "")
    )


def _trend_clause(t: dict) -> str:
    """The trend per doubling beside the steps, its test in the trends table."""
    if t["p_holm"] is None or t["p_holm"] >= 0.05:
        return ", and the trend per doubling is not distinguishable from none"
    flag = borderline(t)
    return f", though the trend of {points(t['slope'])} per doubling is claimed{flag}"


def gains_text(axis: str, t: dict) -> str:
    """Where the paired steps along ``axis`` stop being claimed gains."""
    cells, reached = t["cells"], t["gains_up_to"]
    if reached == cells[-1]:
        return f"along {axis}, every step up to {plain_cell(reached)} is a claimed gain"
    if reached == cells[0]:
        return f"along {axis}, no step is a claimed gain"
    return f"along {axis}, accuracy gains up to {plain_cell(reached)} and no claimed gain after it"


def training_notes(s: Study) -> str:
    """What each course report says of how it trained its grid, so that a reader knows
    how far its figures beside ours are like for like."""
    notes = [f"Report {r['report']} {r['note']}." for r in s.references.get("training_notes", [])]
    return " ".join(notes) + (" Their columns match ours only where they trained as we did."
                              if notes else "")  # fmt: skip

"""Sections 6.1-6.2 (cities) of the report, each built from the study's results alone."""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING

from mlpcnn.common.params import number_label
from mlpcnn.common.stats import holm
from mlpcnn.report import answers
from mlpcnn.report.markdown import (
    claim,
    flat_figure,
    interval,
    missing,
    num,
    paired_verdict,
    pct,
    points,
    pvalue,
    table,
    verdict,
)
from mlpcnn.report.study import Study
from mlpcnn.verdicts.cities import encodings_versus_nearest
from mlpcnn.verdicts.curves import RULE
from mlpcnn.verdicts.intervals import holm_interval
from mlpcnn.verdicts.paired import strength, welch_from_figures

if TYPE_CHECKING:
    import pandas as pd


def section_data(s: Study) -> str:
    m = s.results
    d = m.get("prepare_cities")
    out = [
        "## Data",
        "",
        "Cities: classify European cities into their country from (longitude, latitude).",
    ]
    if not d:
        return "\n".join([*out, "", missing("prepare_cities")])
    nn = d["nearest_neighbour"]
    out += [
        "",
        table(["split", "rows", "classes present"],
              [[s, f"{d['rows'][s]:,}", d["classes_present"][s]] for s in ("train", "val", "test")]),
        "",
        f"{d['n_classes']} classes. A 1-nearest-neighbour classifier on the raw coordinates reaches "
        f"{pct(nn['val_acc'])} validation and {pct(nn['test_acc'])} test accuracy: what the data "
        "allows without learning, the yardstick for every MLP below.",
    ]  # fmt: skip
    return "\n".join(out)


def section_learning_rate(s: Study) -> str:
    d, a = s.results.get("mlp_learning_rate"), answers.learning_rate(s)
    out = ["## 6.1 Q1: learning rate", "", "How does the learning rate change the validation loss?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_learning_rate")])
    if not a:  # no per-epoch history: the summary's figures, without verdicts or tests
        a = {"runs": {}, "final": None, "best": None}
    n = len(d["seeds"])
    rows = [
        [r["lr"], interval(r["final_val_loss"], 3, percent=False),
         interval(r["best_val_loss"], 3, percent=False), interval(r["final_val_acc"]),
         answers.curve_text(a["runs"][lr_key(r["lr"])]) if a["runs"] else _run_state(r, n)]
        for r in d["runs"].values()
    ]  # fmt: skip
    sentences = []
    for name, run in a["runs"].items():
        if run["verdict"] == "stuck at the class prior":
            sentences.append(
                f"{name} did not diverge but learnt nothing: its final validation loss "
                f"{d['runs'][name]['final_val_loss']['mean']:.3f} is that of predicting the class "
                f"frequencies ({d['class_prior_val_loss']:.3f})."
            )
        elif run["counts"].get("unstable"):
            flagged = [f for f in run["per_seed"].values() if f["flag"] == "unstable"]
            rises = [f["train_rise"] for f in flagged]
            both = sum(f["val_rise"] > RULE.rise for f in flagged)
            sentences.append(
                f"{name} is unstable, not overfitting, in {len(rises)} of {run['seeds']} seeds: its "
                f"training loss ends {_span(rises)} above its lowest level "
                f"(the validation loss too in {both} of them): the optimiser undoes its own progress "
                "on the data it trains on."
            )
    for criterion, label in (("final", "final"), ("best", "best")):
        v = a[criterion]
        if not v:
            continue
        if v["excluded"]:
            sentences.append(
                f"Left out of the {label} criterion (a diverged seed): {', '.join(v['excluded'])}."
            )
        sentences.append(f"By the {label} validation loss, {v['winner']} is lowest ({v['mean']:.3f}). "
                         + " ".join(paired_verdict(*k.split(" vs "), t, f"{label} validation loss",
                                                   percent=False) for k, t in v["versus"].items()))  # fmt: skip
    out += [
        "",
        f"**Answer.** {q1_answer(s, a) if a['final'] else 'n/a: the per-epoch history is missing.'}",
        "",
        s.figure("mlp_learning_rate/val_loss", "validation loss per epoch by learning rate"),
        "",
        table(
            [
                "lr",
                "final val loss [95%]",
                "best val loss [95%]",
                "final val acc [95%]",
                "curve (rule below)",
            ],
            rows,
        ),
        "",
        f"Each figure is the mean over {n} seeds with its 95% t-interval; a seed starts every rate "
        "from the same weights and batches, so rates are compared seed by seed (paired; the "
        "intervals of differences are per comparison, the p-values Holm-adjusted). "
        f"Curve rule, the same throughout section 6: {RULE.text()}.",
        "",
        " ".join(sentences),
        "",
        same_configuration_text(s),
    ]
    return "\n".join(out)  # fmt: skip


def _run_state(r: dict, n: int) -> str:
    """A rate's state from its summary alone (diverged seeds, stuck), for a run without history."""
    if r["seeds_diverged"]:
        return f"diverged in {r['seeds_diverged']} of {n} seeds (epochs {', '.join(map(str, r['diverged_epochs']))})"
    return "stuck at the class-prior loss" if r["stuck_at_class_prior"] else "trained"


def q1_answer(s: Study, a: dict) -> str:
    """6.1 Q1 in one sentence: the rate, its criterion, what every other rate does."""
    final = a["final"]
    others = "; ".join(f"{k}: {answers.curve_text(r)}" for k, r in a["runs"].items()
                       if k != final["winner"])  # fmt: skip
    own = answers.curve_text(a["runs"][final["winner"]]) if final["winner"] in a["runs"] else "n/a"
    return (
        f"{final['winner']}: the lowest final validation loss, the course's criterion "
        f"({final['mean']:.3f}; {_weakest(final['versus'])}); by the curve rule it is {own}. "
        f"The others: {others}."
    )


def _span(values: list[float]) -> str:
    """``24% to 29%``, or ``36%`` when there is one value (or all agree)."""
    low, high = f"{min(values):.0%}", f"{max(values):.0%}"
    return low if low == high else f"{low} to {high}"


def lr_key(lr: float) -> str:
    """A rate's name as the stage writes it (``lr 1e-05``)."""
    return f"lr {number_label(lr)}"


def _weakest(tests: dict, words: Callable[[str], str] = str) -> str:
    """The weakest of a winner's comparisons, e.g. ``against lr 0.01 not distinguishable,
    paired t-test, Holm p = 0.392``; ``words`` names the other side in a sentence."""
    if not tests:
        return "the only rate, arm or cell that could be compared"
    name, t = max(
        tests.items(), key=lambda kv: kv[1]["p_holm"] if kv[1]["p_holm"] is not None else 2
    )
    other = words(name.split(" vs ")[1])
    return f"against {other} {claim(t)}, {t['test']}, Holm p = {pvalue(t['p_holm'])}"


def cell_words(cells: dict, cell: str) -> str:
    """A grid cell as a sentence names it: ``d6_w16`` -> ``6 layers of 16``."""
    c = cells.get(cell)
    if not c:
        return cell
    return f"{c['depth']} layer{'s' * (c['depth'] != 1)} of {c['width']}"


def same_configuration_text(s: Study) -> str:
    """Whether runs of one configuration in two stages agree seed by seed."""
    checks = answers.same_configuration(s)
    lr = checks.get("learning rate 0.001")
    if not lr:
        return ""
    agree = [k for k, c in checks.items() if c["identical"] and k != "learning rate 0.001"]
    return (
        "One configuration, two stages: lr 0.001 here is the base model of 6.1 Q2 and Q3, trained "
        "inside one batched run with the other rates (each rate rescales its replicas' steps, and "
        "a batched run rounds in the last bit differently from one of another make-up). "
        + (
            "Its per-seed validation accuracy at the last epoch is identical to 6.1 Q3's base arm."
            if lr["identical"]
            else f"Its per-seed validation accuracy at epoch {lr['epoch']} differs from 6.1 Q3's base "
            f"arm by up to {100 * lr['max_difference']:.2f} points: steps that agree to float32 "
            "rounding (tested) drift apart over the epochs, so a seed's figure depends on which runs "
            "share its batched computation; conclusions rest on the seeds' intervals, never on one seed"
        )
        + (f" ({', '.join(agree)} agree exactly with their 6.1 Q3 arm)." if agree else ".")
    )


def _family(tests: dict) -> str:
    """How a family of comparisons was tested, for a parenthesis."""
    first = next(iter(tests.values()), None)
    if not first:
        return "no comparison"
    return f"{first['test']}, {first['correction']}-corrected over {first['family']} comparisons"


def section_epochs(s: Study) -> str:
    d = s.results.get("mlp_epochs")
    epochs = s.params.get("mlp_epochs", {}).get("epochs", "the")
    out = ["## 6.1 Q2: epochs", "", f"What happens to the losses over {epochs} epochs?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_epochs")])
    f, n = d["final"], len(d["seeds"])
    best_epochs = d["best_val_loss_epoch"]  # in the order of d["seeds"]
    rise = d["val_loss_rise_after_best"]
    late = min(best_epochs) >= d["epochs"] - 5
    trend = (
        "in every seed the validation loss was still at its lowest in the last five epochs, so more epochs could still help"
        if late
        else f"the validation loss reached its lowest at epochs {', '.join(map(str, best_epochs))} (seeds {', '.join(map(str, d['seeds']))}) and ended "
        f"{interval(rise, 4, percent=False)} above it"
    )
    gap = d["train_minus_val_loss_final"]
    out += [
        "",
        f"**Answer.** {q2_answer(s, d)}",
        "",
        s.figure("mlp_epochs/loss", "train, validation and test loss per epoch"),
        "",
        *([overlap_caption(s.histories["mlp_epochs"]), ""] if "mlp_epochs" in s.histories else []),
        table(
            ["final epoch (mean [95%])", "train", "validation", "test"],
            [
                [
                    "loss",
                    *(interval(f[f"{k}_loss"], 4, percent=False) for k in ("train", "val", "test")),
                ],
                ["accuracy", *(interval(f[f"{k}_acc"]) for k in ("train", "val", "test"))],
            ],
        ),
        "",
        f"Over {n} seeds, the best validation loss is {interval(d['best_val_loss'], 4, percent=False)}; {trend}. "
        f"Final train minus validation loss: {interval(gap, 4, percent=False)}"
        + (
            ": the validation loss is not above the training loss, no sign of overfitting."
            if gap["high"] is not None and gap["high"] >= 0 and gap["mean"] > -0.05
            else ": the validation loss sits above the training loss."
        ),
    ]
    return "\n".join(out)  # fmt: skip


def q2_answer(s: Study, d: dict) -> str:
    """6.1 Q2: does it overfit within the epochs, and when, by the curve rule."""
    run = answers.epochs(s)
    if not run:
        return "n/a"
    over = run["counts"].get("overfitting", 0)
    when = (
        f"it overfits from about epoch {sorted(d['best_val_loss_epoch'])[len(d['best_val_loss_epoch']) // 2]} "
        "(median epoch of the lowest validation loss)"
        if run["verdict"] == "overfitting"
        else f"it does not overfit within {d['epochs']} epochs (rule: the validation loss ends over "
        f"{RULE.rise:.0%} above its lowest level while the training loss does not; met in {over} "
        f"of {run['seeds']} seeds)"
    )
    return (
        f"{when[0].upper()}{when[1:]}. Over its last epochs, by the curve rule: "
        f"{answers.curve_text(run)}."
    )


def section_batchnorm(s: Study) -> str:
    d = s.results.get("mlp_batchnorm")
    out = [
        "## 6.1 Q3: batch norm",
        "",
        "Does BatchNorm1d before each ReLU speed up training, and is it more than input scaling?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_batchnorm")])
    arms, t, n, base = d["arms"], d["accuracy_threshold"], len(d["seeds"]), d["base_arm"]
    rows = []
    for name, r in arms.items():
        change = (
            ", ".join(f"{k}: {v}" for k, v in r.items() if k in ("batchnorm", "standardise")) or "-"
        )
        median = r["epochs_to_threshold_median"]
        rows.append(
            [
                name,
                change,
                f"{median:g}" if median is not None else "never (median)",
                f"{r['seeds_reaching_threshold']} of {n}",
                interval(r["final_val_acc"]),
                interval(r["final_test_acc"]),
            ]
        )
    a = answers.batchnorm(s)
    text = ""
    if a:
        text = " ".join(
            [paired_verdict(*k.split(" vs "), c, "final validation accuracy")
             for k, c in a["accuracy"].items()]
            + [_speed_text(k, c, pct(t, 0)) for k, c in a["speed"].items()]
        )  # fmt: skip
        text += (
            " Whether input scaling accounts for batch norm's gain in final accuracy is not "
            "determined: neither gain over the base arm is distinguishable, so their ratio is not "
            "given."
            if not any(
                c["distinguishable"] for k, c in a["accuracy"].items() if base in k.split(" vs ")
            )
            else ""
        )
        rows = [[*row, answers.curve_text(a["runs"][row[0]])] for row in rows]
    out += [
        "",
        f"**Answer.** {q3_answer(a, t) if a else 'n/a'}",
        "",
        s.figure("mlp_batchnorm/batchnorm", "validation accuracy and loss of each arm"),
        "",
        table(
            [
                "arm",
                "change",
                f"epochs to {pct(t, 0)} val acc (median)",
                "seeds reaching it",
                "final val acc [95%]",
                "final test acc [95%]",
                "curve at epoch 50",
            ][: len(rows[0])],
            rows,
        ),
        "",
        text,
    ]
    return "\n".join(out)  # fmt: skip


def _speed_text(pair: str, c: dict, threshold: str) -> str:
    """Epochs to the threshold, compared on a log scale and said as a ratio."""
    a, b = pair.split(" vs ")
    ratio = (
        f"{math.exp(c['difference']):.1f}x [{math.exp(c['low']):.1f}, {math.exp(c['high']):.1f}]"
    )
    where = (f"{c['test']} on log epochs over {c['n']} seeds, {c['correction']}-adjusted over "
             f"{c['family']} comparisons: p = {pvalue(c['p_holm'])}"
             + (", borderline" if c["strength"] == "borderline" else ""))  # fmt: skip
    if not c["distinguishable"]:
        return f"{a} and {b} are not distinguishable on epochs to {threshold} with {c['n']} seeds (ratio {ratio}; {where})."
    return f"{a} needs {ratio} the epochs of {b} to reach {threshold} ({where})."


def q3_answer(a: dict, threshold: float) -> str:
    """6.1 Q3: speed (epochs to the threshold) and final accuracy, each tested."""
    speed = a["speed"].get("base vs batchnorm")
    acc = a["accuracy"].get("base vs batchnorm")
    if not speed or not acc:
        return "n/a"
    ratio = a["speed_ratio"]["base vs batchnorm"]
    said = (
        f"the base model needs {ratio:.1f}x the epochs batch norm needs to reach {pct(threshold, 0)} "
        "validation accuracy (geometric mean)"
    )
    return (
        f"Speed: {said}, {speed['strength']} (paired t-test on log epochs, Holm p = "
        f"{pvalue(speed['p_holm'])}{a['censored']}). Final validation accuracy at the last epoch "
        f"({a['epochs']}): {points(-acc['difference'])} for batch norm, {acc['strength']} "
        f"(paired t-test, Holm p = {pvalue(acc['p_holm'])})."
    )


def section_batch_size(s: Study) -> str:
    d = s.results.get("mlp_batch_size")
    out = [
        "## 6.1 Q4: batch size",
        "",
        "How do batch size and epochs trade accuracy, stability and time?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_batch_size")])
    a4 = answers.batch_size(s)
    if a4:
        out += ["", f"**Answer.** {q4_answer(d, a4)}"]
    rows = []
    for name, r in d["runs"].items():
        b = r["batch_size"]
        rows.append(
            [
                r["arm"],
                b,
                r["epochs"],
                f"{r['iterations_per_epoch']:,}",
                s.reference_value("batch_size_iterations", "A", b) or "n/a",
                later_epoch_seconds(d["timing"]["epoch_seconds"][name]),
                interval(r["final_val_acc"]),
                interval(r["final_test_acc"]),
                pct(s.reference_value("batch_size_val_acc", "A", b)) if r["arm"] == "base" else "",
                pct(s.reference_value("batch_size_test_acc", "B", b)) if r["arm"] == "base" else "",
                interval(r["batch_loss_noise"], 3, percent=False),
                interval(r["loss_noise"], 3, percent=False),
            ]
        )
    a = a4
    text = []
    for arm in dict.fromkeys(r["arm"] for r in d["runs"].values()):
        runs = {k: r for k, r in d["runs"].items() if r["arm"] == arm}
        text.append(f"**{arm} arm**: " + " ".join(_noise_text(runs, key, what) for key, what in
                    (("batch_loss_noise", "batch by batch"), ("loss_noise", "per window"))))  # fmt: skip
        if a:
            best = a["arms"][arm]["best"]
            text.append(f"Best final validation accuracy: {best}. " + " ".join(
                paired_verdict(*k.split(" vs "), t, "final validation accuracy")
                for k, t in a["arms"][arm]["versus"].items()))  # fmt: skip
    if a:
        rows = [
            [*row, answers.curve_text(a["runs"][name])]
            for row, name in zip(rows, d["runs"], strict=True)
        ]
        text += _batch_size_explanations(d, a)
    out += [
        "",
        s.figure(
            "mlp_batch_size/val_acc_base", "validation accuracy per epoch by batch size, base arm"
        ),
        "",
        s.figure(
            "mlp_batch_size/val_acc_batchnorm",
            "validation accuracy per epoch by batch size, batch-norm arm",
        ),
        "",
        s.figure("mlp_batch_size/batch_loss", "training loss per batch by batch size"),
        "",
        s.figure("mlp_batch_size/stability", "loss noise by batch size"),
        "",
        first_epoch_note(d["timing"]["epoch_seconds"]),
        "",
        *((fit, "") if (fit := reference_fit(d, s.reference("batch_size_val_acc", "A"))) else ()),
        f"Noise: {d['noise_statistic']}. A window holds the same number of samples for every batch size, "
        "so the curves are smoothed alike: batch by batch, a small batch's loss is a noisier estimate; per "
        "window, what is left is how much training itself jumps about.",
        "",
        table(
            [
                "arm",
                "batch",
                "epochs",
                "iterations/epoch",
                "ref. A",
                "s/epoch (median after the first)",
                "val acc [95%]",
                "test acc [95%]",
                "ref. A val",
                "ref. B test",
                "noise per batch [95%]",
                "noise per window [95%]",
                "curve (6.1 Q1's rule)",
            ][: len(rows[0])],
            rows,
        ),
        "",
        " ".join(text),
    ]
    return "\n".join(out)  # fmt: skip


def q4_answer(d: dict, a: dict) -> str:
    """6.1 Q4 (i)-(iii): accuracy per arm with its test, iterations, stability."""
    parts = []
    for arm, x in a["arms"].items():
        weakest = _weakest(x["versus"]) if x["versus"] else "alone"
        parts.append(f"{arm} arm: best final validation accuracy at {x['best'].split(': ')[1]} "
                     f"({weakest})")  # fmt: skip
    steps = ", ".join(f"batch {r['batch_size']}: {r['iterations_per_epoch'] * r['epochs']:,}"
                      for r in d["runs"].values() if r["arm"] == "base")  # fmt: skip
    unconverged = [k for k, r in a["runs"].items() if r["verdict"] == "still improving"]
    noise = []
    for arm in a["arms"]:
        for key, what in (("batch_loss_noise", "per batch"), ("loss_noise", "per window")):
            runs = sorted((r[key]["mean"], r["batch_size"]) for r in d["runs"].values()
                          if r["arm"] == arm and r[key]["mean"] is not None)  # fmt: skip
            if runs:
                noise.append(
                    f"{arm} {what}: noisiest at batch {runs[-1][1]}, steadiest at {runs[0][1]}"
                )
    return (
        "(i) " + "; ".join(parts) + ". (ii) Iterations per epoch fall as 1/batch; total steps "
        f"({steps}). " + (f"Still improving at their last epoch (under-trained by 6.1 Q1's rule): "
        f"{', '.join(unconverged)}. " if unconverged else "")
        + "(iii) Loss noise (means over seeds; per batch a small batch is a noisier estimate by "
        "construction, per window of equal samples it is not; tests below): " + "; ".join(noise) + "."
    )  # fmt: skip


def _noise_text(runs: dict, key: str, what: str) -> str:
    """The noisiest and steadiest batch size on one noise measure, each tested against the
    runner-up: Welch's t-test from the seeds' means and sds, Holm over the two (the summary
    keeps no per-seed noise, so the seeds cannot be paired: the unpaired test is the
    conservative one)."""
    finite = sorted((r[key]["mean"], k) for k, r in runs.items() if r[key]["mean"] is not None)
    if len(finite) < 3:
        return ""
    pairs = {"noisiest": (finite[-1][1], finite[-2][1]), "steadiest": (finite[0][1], finite[1][1])}
    raw = {k: welch_from_figures(runs[x][key], runs[y][key]) for k, (x, y) in pairs.items()}
    adjusted = holm(raw)
    parts = [
        f"{role} {pairs[role][0].split(': ')[1]} ({interval(runs[pairs[role][0]][key], 3, percent=False)}; "
        f"against {pairs[role][1].split(': ')[1]} {strength(adjusted[role])}, Welch's t-test from the seeds' "
        f"means and sds, Holm over 2: p = {pvalue(adjusted[role])})"
        for role in pairs
    ]
    return f"Loss noise {what}: " + "; ".join(parts) + "."


def _batch_size_explanations(d: dict, a: dict) -> list[str]:
    """What the batch-norm arm's rows compute at batch 1, and why batch 16 falls behind."""
    out = []
    one = next(
        (k for k, r in d["runs"].items() if r["batch_size"] == 1 and r["batchnorm_mode"]), None
    )
    if one:
        out.append(
            f"The {one} row is not batch norm: one sample has no batch variance, so it trains in "
            f"{d['runs'][one]['batchnorm_mode']} and the running statistics never move from their "
            "initial values (mean 0, variance 1): each BatchNorm1d is a learnt affine map."
        )

    def base_of(k: str) -> str:
        return k.replace(f"{d['runs'][k]['arm']}: ", "base: ")

    # every batch-norm run that ends below the base arm at its batch size is explained
    small = [k for k, r in d["runs"].items() if r["batchnorm_mode"] == "batch statistics"
             and base_of(k) in d["runs"]
             and r["final_val_acc"]["mean"] < d["runs"][base_of(k)]["final_val_acc"]["mean"]]  # fmt: skip
    for k in small:
        base = base_of(k)
        train, evaluated = a["train_mode_loss"][k], a["eval_mode_loss"][k]
        held = "not" if evaluated <= train else "partly"
        base_loss = a["train_mode_loss"].get(base, float("nan"))
        out.append(
            f"{k}: at its last epoch its training loss is {train:.3f} measured in training mode "
            f"(each batch normalised by its own {d['runs'][k]['batch_size']} samples) and "
            f"{evaluated:.3f} in evaluation mode on the same data, against {base_loss:.3f} for {base}. "
            f"Evaluation with the running statistics is {held} what holds it back: the network "
            f"as trained, with the statistics of {d['runs'][k]['batch_size']} two-dimensional "
            "samples per batch, fits its training data "
            + ("worse" if train > base_loss else "no worse")
            + f" than {base}."
        )
    return out


def section_grid(s: Study) -> str:
    d = s.results.get("mlp_select")
    out = [
        "## 6.2 Q1-Q4: depth and width",
        "",
        "Which (depth, width) is best and worst, do they over- or underfit, and how do depth and width matter?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_select")])
    out += ["", f"**Answer.** {grid_answer(s)}"]
    ref_a = {r["cell"]: r["val_acc"] for name in ("grid_best", "grid_worst")
             for r in s.references.get(name, []) if r["report"] == "A"}  # fmt: skip
    g = answers.grid(s)
    rows = [
        [c, r["depth"], r["width"], _cell_interval(r, "val"), _cell_interval(r, "test"),
         pct(ref_a.get(c)) if c in ref_a else "", pct(s.reference_value("grid_val_acc", "B", c)),
         g["fit"][c] if g else "n/a", answers.curve_text(g["runs"][c]) if g else "n/a"]
        for c, r in d["cells"].items()
    ]  # fmt: skip
    best, worst, nn = d["best"], d["worst"], d["nearest_neighbour"]
    n = best["seeds"]
    refs = "; ".join(
        f"report {r['report']}'s best cell was {r['cell']} ({pct(r['val_acc'])}), ours "
        f"{_cell_interval(d['cells'][r['cell']], 'val')}" for r in s.references.get("grid_best", [])
        if r["cell"] in d["cells"]
    )  # fmt: skip
    train = s.params.get("mlp_grid", {}).get("train", {})
    same = answers.same_configuration(s).get("the grid's d6_w16")
    text = [
        ("Every cell trains with batch norm before each ReLU (mlp_grid.train.batchnorm: true), "
         "the pipeline's choice after 6.1 Q3, where batch norm reaches 90% validation accuracy "
         "several times sooner.") if train.get("batchnorm") else "",
        training_notes(s),
        ("d6_w16 is therefore 6.1 Q3's batch-norm arm, identical seed by seed (6.1's base model, "
         "without batch norm, is another network).") if same and same["identical"] else "",
        f"Best by mean validation accuracy: **{best['cell']}** (depth {best['depth']}, width {best['width']}), "
        f"{_cell_interval(best, 'val')} validation and {_cell_interval(best, 'test')} test accuracy over {n} seeds; "
        f"worst: **{worst['cell']}**, {_cell_interval(worst, 'val')}.",
    ]  # fmt: skip
    if g:
        text += [paired_verdict(*k.split(" vs "), t, "final validation accuracy")
                 for k, t in g["versus"].items()]  # fmt: skip
        margin = 100 * d.get("fit_margin", answers.GRID_MARGIN)
        text.append(
            f"Fit (rule: a cell whose validation loss is still falling, one-sided over seeds and "
            f"Holm-adjusted over the {len(g['fit'])} cells, is under-trained; one that converged "
            f"with its final train accuracy more than {margin:.0f} points below the 1-NN "
            f"validation accuracy ({pct(nn['val_acc'])}) is under-capacity, closer a good fit; "
            "any other trend is not resolved; otherwise the curve's own verdict): "
            + "; ".join(f"{c} {v}" for c, v in g["fit"].items()) + "."
        )  # fmt: skip
        text.append(
            "Generalisation: final train minus validation accuracy, per cell (mean over seeds [95%]): "
            + "; ".join(f"{c} {points(x['difference'])} [{100 * x['low']:+.2f}, {100 * x['high']:+.2f}]"
                        for c, x in g["gap"].items())
            + ": no cell trains more than a fraction of a point above its validation accuracy."
            if all(abs(x["high"]) < 0.01 and abs(x["low"]) < 0.01 for x in g["gap"].values())
            else ""
        )  # fmt: skip
        text += [_trend_text(axis, t) for axis, t in g["trends"].items()]
    text.append(f"Against the course reports, cell by cell: {refs}." if refs else "")
    out += [
        "",
        table(
            [
                "cell",
                "depth",
                "width",
                "val acc [95%]",
                "test acc [95%]",
                "ref. A val",
                "ref. B val",
                "fit",
                "curve (6.1 Q1's rule)",
            ],
            rows,
        ),
        "",
        " ".join(t for t in text if t),
        *(
            block
            for axis, t in (g["trends"].items() if g else ())
            if "steps" in t
            for block in ("", steps_block(axis, t))
        ),
        "",
        s.figure(
            "mlp_select/best_worst_curves",
            "loss and accuracy curves of the best and worst cells",
        ),
        "",
        s.figure("mlp_select/boundaries", "decision boundaries of the best and worst cells"),
        "",
        s.figure(
            "mlp_select/depth_width",
            "accuracy against depth and width with the 1-NN line",
        ),
    ]
    return "\n".join(out)  # fmt: skip


def plain_cell(name: str) -> str:
    """A grid cell's name as a sentence says it: ``d6_w16`` -> ``6 layers of 16``."""
    match = re.fullmatch(r"d(\d+)_w(\d+)", name)
    return f"{match[1]} layers of {match[2]}" if match else name


def steps_block(axis: str, t: dict) -> str:
    """Where the gains along ``axis`` stop, a sentence, and each step's test, a table."""
    cells, reached = t["cells"], t["gains_up_to"]
    if reached == cells[-1]:
        head = (
            f"Step by step along {axis}, every step up to {plain_cell(reached)} is a claimed gain."
        )
    elif reached == cells[0]:
        head = f"Step by step along {axis}, not even the first step is a claimed gain."
    else:
        head = (f"Step by step along {axis}, accuracy gains up to {plain_cell(reached)}; the "
                "step after it is not a claimed gain.")  # fmt: skip
    rows = []
    for name, test in t["steps"].items():
        after, before = name.split(" vs ")
        bounds = holm_interval(test)
        word = (("gain" if test["difference"] > 0 else "loss") if test["distinguishable"]
                else "not distinguishable")  # fmt: skip
        rows.append([
            f"{before} to {after}",
            points(test["difference"])
            + (f" [{100 * bounds[0]:+.2f}, {100 * bounds[1]:+.2f}]" if bounds else ""),
            pvalue(test["p_holm"]),
            word + (", borderline" if test["strength"] == "borderline" else ""),
        ])  # fmt: skip
    family = next(iter(t["steps"].values()))
    return "\n".join([
        head + f" Each step: {family['test']} over {family['n']} seeds, Holm over the "
        f"{family['family']} steps; its interval is Holm-adjusted.",
        "",
        table([f"step along {axis}", "validation accuracy difference [95%]", "Holm p",
               "verdict"], rows),
    ])  # fmt: skip


def _trend_text(axis: str, t: dict) -> str:
    at = ", ".join(f"{k} {v}" for k, v in t["at"].items())
    return (
        f"Along {axis} ({', '.join(t['cells'])}; {at}): validation accuracy changes by "
        f"{points(t['slope'])} [{100 * t['low']:+.2f}, {100 * t['high']:+.2f}] per doubling of {axis} "
        f"({t['strength']}; {t['test']}, {t['n']} seeds, Holm over the {t['family']} axes: "
        f"p = {pvalue(t['p_holm'])})."
    )


def grid_answer(s: Study) -> str:
    """6.2 Q1-Q4 in a few clauses."""
    d, g = s.results["mlp_select"], answers.grid(s)
    if not g:
        return "n/a"
    best, worst = d["best"]["cell"], d["worst"]["cell"]
    gap = g["gap"][best]
    words = functools.partial(cell_words, d["cells"])
    trends = "; ".join(
        f"Q{3 if axis == 'depth' else 4} {axis}: {points(t['slope'])} per doubling ({t['strength']}, Holm p = {pvalue(t['p_holm'])})"
        for axis, t in g["trends"].items()
    )  # fmt: skip
    return (
        f"Q1 best: {words(best)} ({_cell_interval(d['best'], 'val')}; {_weakest(g['versus'], words)}); it generalised (train minus validation "
        f"accuracy {points(gap['difference'])} [{100 * gap['low']:+.2f}, {100 * gap['high']:+.2f}]); fit: "
        f"{g['fit'][best]}{_fall(g, best)}. Q2 worst: {words(worst)}, {g['fit'][worst]}{_fall(g, worst)}. "
        f"{trends}."
    )


def _fall(g: dict, cell: str) -> str:
    """A cell's fall of validation loss with its p adjusted over the grid's cells, the p
    the fit verdict reads (`` (loss -5.6% over the last 10 epochs; falling: Holm p = 0.120
    over 7 cells)``); nothing when the cell's loss did not fall."""
    run, p = g["runs"][cell], (g.get("falling_p_holm") or {}).get(cell)
    if p is None or run.get("drop") is None:
        return ""
    return (f" (validation loss {-run['drop']:+.1%} over the last {run['window']} epochs; "
            f"falling: Holm p = {pvalue(p)} over {len(g['fit'])} cells)")  # fmt: skip


def _cell_interval(cell: dict, split: str) -> str:
    """A grid cell's (or setting's) final accuracy on ``split`` with its interval."""
    return interval(flat_figure(cell, f"{split}_acc"))


def section_gradients(s: Study) -> str:
    m = s.results
    plain, fixes = m.get("gradient_study"), m.get("residual_study")
    shape = s.params.get("gradient_study", {})
    depth, width = shape.get("depth", "many"), shape.get("width", "few")
    out = [
        f"## 6.2 Q5-Q6: gradients of a {depth}-layer network",
        "",
        f"Do gradients vanish in {depth} layers of width {width}, why, and what fixes it?",
    ]
    if not plain:
        return "\n".join([*out, "", missing("gradient_study")])
    n = len(plain["seeds"])
    net = plain["network"]
    dead, sim = plain["seeds_with_dead_layer"], plain["simulation"]
    top = plain["topmost_dead_after_training"]
    decay = plain["decay_decades_per_layer_init"]
    rep = plain["representative_seed"]
    rep_top = plain["representative_topmost_dead"]
    shown = (
        f"its topmost dead layer is {rep_top}, so layers 0 to {min(rep_top + 1, net['hidden_layers'] - 1)} "
        f"show exactly 0 ({plain['representative_zero_layers_last_epoch']} layers at 0 in the last epoch)"
        if rep_top >= 0
        else f"it has no dead layer ({plain['representative_zero_layers_last_epoch']} layers at 0 in the last epoch)"
    )
    text = [
        f"A layer is dead when {plain['dead_layer']}. Over {n} seeds ({net['block']}), "
        f"{pct(dead['init'], 0)} of the networks have at least one dead layer at initialisation and "
        f"{pct(dead['after_training'], 0)} after training"
        + (
            f"; after training the topmost dead layer is at {top['median']:g} (median; quartiles {top['q25']:g} and "
            f"{top['q75']:g})"
            if top["n"]
            else ""
        )
        + f". An independent float64 simulation of {sim['seeds']} draws of the same initialisation "
        f"gives {pct(sim['with_dead_layer'], 0)} with a dead layer and {pct(sim['all_zero'], 0)} with "
        f"every layer's gradient exactly zero (this study at initialisation: {pct(sim['study_at_init_with_dead_layer'], 0)} "
        f"and {pct(sim['study_at_init_all_zero'], 0)}).",
        "A dead layer outputs 0 for every input, so no gradient passes it: every layer below it, and "
        "the one above it (whose input is 0), has a weight gradient of exactly 0. In the last epoch "
        f"{pct(plain['seeds_all_zero_last_epoch'], 0)} of the seeds have all {net['hidden_layers']} "
        "layers at exactly 0.",
    ]
    if decay["n"]:
        text.append(
            f"Above the topmost dead layer the gradient still vanishes towards the input: at "
            f"initialisation its squared norm grows by {decay['median']:.2f} decades per layer towards "
            f"the output (median over the {decay['n']} of {n} seeds with 3 or more live layers above "
            f"their topmost dead layer, computed in float64), beyond what float32 can "
            "hold after a few dozen layers."
        )
    text.append(
        f"The course's chart below shows seed {rep}, chosen by rule ({plain['representative_rule']}): "
        f"{shown}; its final validation accuracy is {pct(plain['final_val_acc_representative'])}, the mean over "
        f"seeds is {pct(plain['final_val_acc']['mean'])}."
    )
    out += [
        "",
        f"Magnitude: {plain['magnitude']}.",
        "",
        " ".join(text),
        "",
        s.figure("gradient_study/gradients", f"course measure per epoch, seed {rep}"),
        "",
        s.figure(
            "gradient_study/profile", "gradient profile over seeds, dead layers and exact zeros"
        ),
        "",
        s.figure("gradient_study/topmost_dead", "topmost dead layer over seeds"),
    ]
    if not fixes:
        return "\n".join([*out, "", missing("residual_study")])
    paired = answers.fixes_versus_control(s) or {}
    rows = []
    for name, arm in fixes["arms"].items():
        t = arm["table"]
        test = paired.get(name)
        rows.append([
            name, t["hidden_layers"], ", ".join(f"{k}: {v}" for k, v in arm["arm"].items()) or "-",
            f"{pct(t['val_acc_mean'])} [{pct(t['val_acc_low'])}, {pct(t['val_acc_high'])}]",
            f"{points(test['difference'])} (p = {pvalue(test['p_holm'])})" if test else "-",
            f"{t['seeds_with_dead_layer']} of {len(fixes['seeds'])}",
            num(t["worst_span_decades"], 1),
        ])  # fmt: skip
    best = fixes["arms"][fixes["best_fix"]]["table"]
    control = fixes["arms"][fixes["control"]]["table"]
    best_test = paired.get(fixes["best_fix"])
    flow = [n for n, a in fixes["arms"].items() if a["table"]["hidden_layers"] == fixes["depth"]
            and a["table"]["seeds_with_dead_layer"] == 0 and a["table"]["within_span"]]  # fmt: skip
    verdict = (
        "at least the control's"
        if best["val_acc_mean"] >= control["val_acc_mean"]
        else "below the control's"
    )
    significance = (
        "a difference beyond seed noise at 0.05"
        if best_test["distinguishable"]
        else f"not distinguishable from it with {len(fixes['seeds'])} seeds"
    )
    out += [
        "",
        f"Fixes at the same depth ({fixes['depth']}), width ({fixes['width']}), {fixes['epochs']} epochs "
        f"and seeds, against shallow controls. Ratio: {fixes['ratio']}; span: {fixes['span']}.",
        "",
        table(
            [
                "arm",
                "hidden layers",
                "change",
                "val acc [95% interval]",
                f"vs control ({best_test['test']}, Holm-adjusted p)",
                "seeds with a dead layer",
                "worst span (decades)",
            ],
            rows,
        ),
        "",
        "Deep arms that restore the gradient flow (no dead layer in any seed, span within "
        f"{fixes['max_span_decades']:g} decades at every epoch): "
        + (", ".join(flow) or "none")
        + ". "
        f"The best fix, **{fixes['best_fix']}**, reaches {pct(best['val_acc_mean'])} mean validation "
        f"accuracy, {verdict} ({fixes['control']}: {pct(control['val_acc_mean'])}; {significance}, "
        f"{best_test['test']}, Holm-adjusted over the arms: p = {pvalue(best_test['p_holm'])}).",
        "",
        _batchnorm_arm_text(answers.training_against_evaluation(s, "residual_study", "batchnorm")),
        "",
        " ".join(
            _fixes_reading(
                fixes,
                answers.ablation(s),
                answers.arm_curves(s),
                s.tables.get("residual_study/ratios"),
            )
        ),
        "",
        s.figure(
            "residual_study/fixes", "scale-free gradient ratio per layer and accuracy of each fix"
        ),
        "",
        s.figure("residual_study/comparison", "course measure: plain network and the best fix"),
    ]
    return "\n".join(out)  # fmt: skip


def _fixes_reading(
    fixes: dict, ablation: dict | None = None, curves: dict | None = None,
    ratios: pd.DataFrame | None = None,
) -> list[str]:  # fmt: skip
    """Q6 read over every epoch, what the arms separate (or cannot), and what has no line;
    ``curves``: each arm's curve verdict in words; ``ratios``: the last epoch's log10
    ratio per arm and layer (where a line of the ratio panel starts)."""
    n, limit = len(fixes["seeds"]), fixes["max_span_decades"]
    curves = curves or {}
    out = []
    for name, arm in fixes["arms"].items():
        spans = [x for x in arm["span_per_epoch"] if x is not None]
        t = arm["table"]
        if not spans:
            out.append(
                f"{name} has no line in the ratio panel: {t['seeds_with_dead_layer']} of {n} seeds "
                "have a dead layer, so in every epoch the median ratio over seeds is 0 at some layer and "
                "the span, a difference of logarithms, is undefined."
            )
            continue
        over = sum(x > limit for x in spans)
        if over and max(spans) < 1.1 * limit:
            out.append(
                f"{name}'s span exceeds {limit:g} decades in {over} of {len(spans)} epochs, by at most "
                f"{max(spans) - limit:.2f} decades (median over epochs {sorted(spans)[len(spans) // 2]:.2f}): "
                "borderline on the span, "
                + (f"so its verdict rests on its dead layers ({t['seeds_with_dead_layer']} of {n} seeds)."
                   if t["seeds_with_dead_layer"] else "so the span alone decides it.")
            )  # fmt: skip
    wide = {k: a for k, a in fixes["arms"].items() if set(a["arm"]) == {"width"}}
    if wide:
        out.append(
            f"Width as the change other than depth (the plain network; {fixes['width']} units a "
            "layer elsewhere): "
            + "; ".join(f"{k} ({a['arm']['width']} units) {pct(a['table']['val_acc_mean'])}, a dead "
                        f"layer in {a['table']['seeds_with_dead_layer']} of {n} seeds, a worst span of "
                        f"{a['table']['worst_span_decades']:.1f} decades, by the curve rule "
                        f"{curves.get(k, 'n/a')}"
                        for k, a in wide.items()) + ". "
            + (f"Wider layers keep every layer alive in every seed, but the gradient still fades "
               f"across the layers (span over {limit:g} decades): width alone does not restore "
               "the flow at this depth."
               if all(a["table"]["seeds_with_dead_layer"] == 0 and not a["table"]["within_span"]
                      for a in wide.values()) else "")
            + _flushed_layers_text(ratios, list(wide))
        )  # fmt: skip
    if ablation:
        return [*out, _ablation_text(ablation, n)]
    deep = {
        k: a["arm"]
        for k, a in fixes["arms"].items()
        if a["table"]["hidden_layers"] == fixes["depth"]
    }
    multi = {k: c for k, c in deep.items() if len(c) > 1}
    for name, changes in multi.items():
        subsets = [
            k for k, c in deep.items() if k != name and set(c.items()) < set(changes.items())
        ]
        out.append(
            f"{name} changes {len(changes)} things at once ({', '.join(changes)}); "
            + (f"of its parts, only {', '.join(subsets)} is also an arm, so " if subsets else "no arm has a part of them, so ")
            + "this run does not credit its gain to any one of them."
        )  # fmt: skip
    return out


def _flushed_layers_text(ratios: pd.DataFrame | None, arms: list[str]) -> str:
    """Where the ratio panel's line of each of ``arms`` starts, when layers below it have a
    ratio of 0 in every seed in the last epoch (no logarithm)."""
    if ratios is None:
        return ""
    starts = {}
    for arm in arms:
        rows = ratios[ratios["series"] == arm]
        # Layers without a logarithm are NaN, or not in the table at all (series_table).
        finite = rows.loc[rows["log10_ratio"].map(math.isfinite), "layer"]
        if len(finite) and finite.min() > 0:
            starts[arm] = int(finite.min())
    if not starts:
        return ""
    return (
        " In the ratio panel their lines start at layer "
        + " and ".join(f"{layer} ({arm})" for arm, layer in starts.items())
        + ": below, the ratio is 0 in every seed in the last epoch, the gradients there having fallen "
        "under float32's smallest normal number (1.2e-38), which these stages' training flushes "
        "to zero on a CPU; the spans count the layers above, so they are lower bounds."
    )


def _batchnorm_arm_text(d: dict | None) -> str:
    """Why the 100-layer batch-norm arm ends where it does: training- against evaluation-mode loss."""
    if not d:
        return ""
    if d["train_mode"] >= 0.95 * d["prior"]:
        cause = (
            "it did not learn even as trained: its training-mode loss is at least 95% of the "
            "class prior's, so the weights, not the running statistics, hold it back"
        )
    elif d["eval_mode"] > 1.5 * d["train_mode"]:
        cause = (
            "it learnt in training mode but its running statistics do not match: evaluation "
            "mode undoes it"
        )
    else:
        cause = "training and evaluation mode agree: the weights decide its accuracy"
    worse = (
        " evaluated with its running statistics it does worse than predicting the class frequencies"
        if d["eval_mode"] > d["prior"]
        else ""
    )
    return (
        f"The batch-norm arm ({pct(d['val_acc'])} mean validation accuracy): in its last epoch its training "
        f"loss is {d['train_mode']:.3f} as trained (training mode, batch statistics, mean over the epoch's "
        f"batches) and {d['eval_mode']:.3f} evaluated on the same data with its running statistics, against "
        f"{d['prior']:.3f} for predicting the class frequencies: {cause}" + (f";{worse}" if worse else "") + "."
    )  # fmt: skip


def _ablation_text(ablation: dict, n: int) -> str:
    """Each change of the best fix with its own gain and interval."""
    parts = []
    r = ablation.get("residual")
    if r:
        parts.append(
            f"the residual connection alone (course_residual against the plain network of Q5, same "
            f"seeds): {points(r['difference'])} [{100 * r['low']:+.2f}, {100 * r['high']:+.2f}] "
            f"({r['strength']}, {r['test']}: p = {pvalue(r['p_holm'])})"
        )
    f = ablation["factorial"]
    for name, what in (("zero_branch", "the zero-initialised branch"),
                       ("standardise", "standardised inputs"),
                       ("zero_branch x standardise", "their interaction")):  # fmt: skip
        t = f[name]
        parts.append(
            f"{what} {points(t['difference'])} [{100 * t['low']:+.2f}, {100 * t['high']:+.2f}] "
            f"({t['strength']}, Holm p = {pvalue(t['p_holm'])})"
        )
    return (
        (
            "The best fix taken apart, on mean validation accuracy over "
            + str(n)
            + " seeds, paired "
            "seed by seed: " + parts[0] + "; then, on top of it, a 2 x 2 of the other two changes "
            "(residual_zero_branch, residual_standardised, identity_residual; main effects averaged over "
            "the other change, "
            + f"{next(iter(f.values()))['test']}, Holm over 3): "
            + "; ".join(parts[1:])
            + "."
        )
        if r
        else "The best fix's two extra changes, 2 x 2 over the residual arms: "
        + "; ".join(parts)
        + "."
    )


def section_encoding(s: Study) -> str:
    m = s.results
    d, sweep = m.get("implicit_encoding"), m.get("encoding_summary")
    frequencies = s.params.get("implicit_encoding", {}).get("frequencies") or []
    span = (
        "the chosen frequencies"
        if not frequencies
        else ", ".join(f"{a:g}" for a in frequencies)
        if len(frequencies) <= 3
        else f"{frequencies[0]:g} ... {frequencies[-1]:g}"
    )
    out = [
        "## 6.2 Q7: implicit (sine) encoding",
        "",
        f"Does sin(a x) of each coordinate, a = {span}, beat the raw input?",
    ]
    if not d:
        return "\n".join([*out, "", missing("implicit_encoding")])
    splits = ("train", "val", "test")
    rows = [
        [name, *(_cell_interval(d[name], split) for split in splits)] for name in ("raw", "sine")
    ]
    ref_b = s.reference("implicit_encoding", "B")
    rows += [
        [f"ref. B {name}", *(pct(ref_b[name][split]) for split in splits)]
        for name in ("raw", "sine")
        if name in ref_b
    ]
    gain_a = s.reference("implicit_encoding_gain", "A").get("val_points")
    diff, t = d["difference_sine_minus_raw"], answers.implicit(s)
    text = (
        f"The sine encoding changes validation accuracy by {points(diff['val_acc'])} and test accuracy by "
        f"{points(diff['test_acc'])}"
        + (f" (report A: about {gain_a:+g} points)" if gain_a is not None else "")
        + ". "
        + (paired_verdict("sine", "raw", answers.implicit(s), "final validation accuracy")
           if answers.implicit(s) else verdict("sine", "raw", t, "final validation accuracy"))
    )  # fmt: skip
    same = answers.same_configuration(s).get("6.2 Q7's raw input")
    if s.params.get("implicit_encoding", {}).get("batchnorm"):
        text = (
            "Both inputs train with batch norm before each ReLU (implicit_encoding.batchnorm: "
            "true), as the grid does"
            + (", so the raw row is 6.1 Q3's batch-norm arm, identical seed by seed. "
               if same and same["identical"] else ". ")
            + text
        )  # fmt: skip
    out += [
        "",
        table(["input", "train acc", "val acc", "test acc"], rows),
        "",
        text,
        "",
        s.figure("implicit_encoding/boundaries", "decision boundaries, raw and sine input"),
        "",
        s.figure("implicit_encoding/curves", "curves of both inputs"),
    ]
    if sweep:
        out += ["", _sweep_text(s, sweep)]
    return "\n".join(out)  # fmt: skip


def _sweep_text(s: Study, sweep: dict) -> str:
    """Beyond the course: every encoding at one architecture, and the paired test against 1-NN."""
    nn, arch = sweep["nearest_neighbour"], sweep["architecture"]
    rule = sweep.get("verdicts") or encodings_versus_nearest(
        sweep["settings"], sweep.get("alpha", 0.05)
    )
    rows = []
    for name, r in sweep["settings"].items():
        e = r["ensemble_vs_nearest"]
        v = rule["settings"][name]
        rows.append([
            name, r["kind"], r["features"], f"{r['highest_frequency_used']:.2f}" if r["highest_frequency_used"] else "-",
            _cell_interval(r, "val"), _cell_interval(r, "test"),
            f"{r['seeds_ahead_of_nearest']} of {r['seeds']}", pvalue(r["max_p_vs_nearest"]),
            f"{pct(r['ensemble_test_acc'])} ({e['a_only']}/{e['b_only']}, Holm p = {pvalue(v['p_holm'])})",
            ("yes" if v["beats"] else "no") + (" (borderline)" if v["strength"] == "borderline" else ""),
        ])  # fmt: skip
    counts = sorted({r["seeds"] for r in sweep["settings"].values()})
    beating = [n for n, v in rule["settings"].items() if v["beats"]]
    near = [n for n, v in rule["settings"].items() if v["strength"] == "borderline" and v["ahead"]]
    best = rule["best_by_validation"]
    text = (
        f"Settings that beat 1-NN by this rule: {', '.join(beating) or 'none'}"
        + (f"; borderline (Holm p between 0.01 and 0.1, a verdict a rerun on another CPU can flip): "
           f"{', '.join(near)}" if near else "") + ". "
        + (f"Seeds differ between settings ({' or '.join(map(str, counts))}). " if len(counts) > 1 else "")
        + f"Best by mean validation accuracy: **{best}**, {_cell_interval(sweep['settings'][best], 'val')} "
        f"validation and {_cell_interval(sweep['settings'][best], 'test')} test accuracy. The per-seed columns "
        f"describe the seeds one by one. "
        f"Where the test errors of {best} lie: "
        + _limits(sweep)
    )  # fmt: skip
    return "\n".join(
        [
            "### Beyond the course: input encodings at one architecture",
            "",
            f"Every setting trains the same network (depth {arch['depth']}, width {arch['width']}, {arch['epochs']} epochs, "
            f"lr {arch['lr']:g}, {arch['lr_schedule']} schedule); only the input encoding differs, from the raw coordinates "
            "and the course's sine encoding to Fourier features. Each is tested against 1-nearest-neighbour city by city on "
            f"the test split ({nn['test_acc']:.4f}), by a rule fixed before the run with {' or '.join(map(str, counts))} "
            f"seeds per setting: {rule['rule']}.",
            "",
            table(
                [
                    "setting",
                    "kind",
                    "features",
                    "highest freq. (cycles/deg)",
                    "val acc [95%]",
                    "test acc [95%]",
                    "seeds ahead of 1-NN",
                    "largest p (McNemar)",
                    "ensemble test acc (MLP only/1-NN only, Holm p)",
                    "beats 1-NN (rule above)",
                ],
                rows,
            ),
            "",
            text,
            "",
            s.figure(
                "encoding_summary/sweep",
                "test error of each encoding against its highest frequency",
            ),
        ]
    )


def _limits(sweep: dict) -> str:
    """Where the best setting's test errors are, by neighbourhood (see prepare_cities)."""
    e = sweep.get("best_errors_by_neighbourhood")
    if not e:
        return ""
    cities, errors, nearest = e["cities"], e["mean_errors_per_seed"], e["nearest_neighbour_errors"]
    total, border = sum(errors.values()), errors.get("border (some)", 0)
    share = sum(cities.values())
    return (
        f"of its {total:.0f} test errors (mean over seeds), {border:.0f} are border cities "
        f"(some of their 5 nearest training cities belong to another country: {cities['border (some)']:,} of the "
        f"{share:,} test cities) and {errors['surrounded (all)']:.0f} are surrounded by another country's cities "
        f"({cities['surrounded (all)']:,} test cities, which no smooth classifier gets right); "
        f"{errors['inside (none)']:.0f} lie inside their country. 1-NN's {sum(nearest.values())} errors split "
        f"{nearest['border (some)']} / {nearest['surrounded (all)']} / {nearest['inside (none)']}."
    )


def training_notes(s: Study) -> str:
    """What each course report says of how it trained its grid, so that a reader knows
    how far its figures beside ours are like for like."""
    notes = [f"report {r['report']} {r['note']} (its {r['section']})"
             for r in s.references.get("training_notes", [])]  # fmt: skip
    return ("Of the course reports, " + "; ".join(notes) + ": their columns are not like for "
            "like with ours where they trained otherwise.") if notes else ""  # fmt: skip


SPLIT_WORDS = {"val": "validation", "test": "test"}


def reference_fit(d: dict, reference: dict, split: str = "val") -> str:
    """Which of our batch-size arms a course figure sits nearest to, a sentence for each
    batch size it gives: ``reference`` is its entry (``report``, ``section``, ``values``
    by batch)."""
    sentences = []
    for batch, value in sorted(reference.get("values", {}).items()):
        arms = {r["arm"].replace("batchnorm", "batch-norm"): r[f"final_{split}_acc"]["mean"]
                for r in d["runs"].values() if r["batch_size"] == batch}  # fmt: skip
        if not arms:
            continue
        nearest = min(arms, key=lambda arm: abs(arms[arm] - value))
        gaps = ", ".join(f"{100 * (value - mean):+.1f} points against our {arm} arm"
                         for arm, mean in arms.items())  # fmt: skip
        sentences.append(
            f"Report {reference['report']}'s {pct(value)} {SPLIT_WORDS[split]} accuracy at batch "
            f"{batch} ({reference['section']}) sits nearest our {nearest} arm: {gaps}."
        )
    return " ".join(sentences)


def overlap_caption(history: pd.DataFrame, share: float = 0.02) -> str:
    """Whether the figure's train, validation and test loss curves (means over seeds) can
    be told apart: they lie on each other when the largest gap between any two, over the
    epochs, is under ``share`` of the range the curves span."""
    means = history.groupby("epoch")[["train_loss", "val_loss", "test_loss"]].mean()
    gap = float((means.max(axis=1) - means.min(axis=1)).max())
    span = float(means.to_numpy().max() - means.to_numpy().min())
    where = "lie on each other" if gap < share * span else "are apart"
    return (f"*The three loss curves {where}: the largest gap between their means at any epoch is "
            f"{gap:.3f}, against the {span:.2f} the curves span.*")  # fmt: skip


def later_epoch_seconds(seconds: list[float]) -> str:
    """A run's time per epoch without its first (which includes compiling the step): the
    median of the others; a run of one epoch has none."""
    if len(seconds) < 2:
        return "n/a (1 epoch)"
    return f"{statistics.median(seconds[1:]):.2f}"


def first_epoch_note(runs: dict[str, list[float]]) -> str:
    """What the s/epoch column leaves out: the first epochs, which include the compile."""
    firsts = [v[0] for v in runs.values() if len(v) > 1]
    single = [v[0] for v in runs.values() if len(v) == 1]
    note = (
        f"s/epoch: the median epoch after the first; the first also compiles the training "
        f"step and took {min(firsts):.1f}-{max(firsts):.1f} s."
        if firsts
        else ""
    )
    if single:
        note += (f" A run of one epoch took {min(single):.1f}-{max(single):.1f} s, its compile "
                 "included.")  # fmt: skip
    return note.strip()

"""Section 6.2 Q5-Q6 of the report (cities): gradients of a 100-layer network and their fixes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from mlpcnn.report import answers
from mlpcnn.report.markdown import (
    absent,
    borderline,
    capital,
    comparisons,
    num,
    opening,
    pct,
    points,
    pvalue,
    table,
)
from mlpcnn.report.study import Study

if TYPE_CHECKING:
    import pandas as pd


def section_gradients(s: Study) -> str:
    m = s.results
    plain, fixes = m.get("gradient_study"), m.get("residual_study")
    shape = s.params.get("gradient_study", {})
    depth, width = shape.get("depth", "many"), shape.get("width", "few")
    out = opening(
        f"## 6.2 Q5-Q6: gradients of a {depth}-layer network",
        f"Do gradients vanish in {depth} layers of width {width}, why, and what fixes it?",
    )
    if not plain:
        return absent(out, "gradient_study")
    n, net = len(plain["seeds"]), plain["network"]
    dead, sim = plain["seeds_with_dead_layer"], plain["simulation"]
    top, decay = plain["topmost_dead_after_training"], plain["decay_decades_per_layer_init"]
    rep = plain["representative_seed"]
    facts = [
        ["networks with a dead layer, at initialisation", f"{pct(dead['init'], 0)} of {n}"],
        ["networks with a dead layer, after training", f"{pct(dead['after_training'], 0)} of {n}"],
        ["topmost dead layer after training, median [quartiles]",
         f"{top['median']:g} [{top['q25']:g}, {top['q75']:g}]" if top["n"] else "none"],
        [f"float64 simulation of {sim['seeds']} initialisations: a dead layer / every gradient 0",
         f"{pct(sim['with_dead_layer'], 0)} / {pct(sim['all_zero'], 0)}"],
        [f"seeds with all {net['hidden_layers']} layers' gradients exactly 0, last epoch",
         pct(plain["seeds_all_zero_last_epoch"], 0)],
        ["fall of the gradient above the topmost dead layer at initialisation, decades per layer: "
         f"median over the {decay['n']} of {n} seeds with 3 or more live layers above it",
         f"{decay['median']:.2f}" if decay["n"] else "n/a"],
        ["mean validation accuracy", pct(plain["final_val_acc"]["mean"])],
        [f"seed shown in the course chart ({plain['representative_rule']})",
         f"{rep}: {pct(plain['final_val_acc_representative'])}"],
    ]  # fmt: skip
    out += [
        "",
        f"**Answer to Q5.** {q5_answer(plain)}",
        "",
        s.figure("gradient_study/profile", "gradient profile over seeds, dead layers and exact zeros"),
        "",
        table(["measure", "value"], facts),
        "",
        "A dead layer outputs 0 for every input, so no gradient passes it: every layer below it "
        "has a weight gradient of exactly 0.",
        "",
        s.figure("gradient_study/gradients", f"course measure per epoch, seed {rep}"),
        "",
        s.figure("gradient_study/topmost_dead", "topmost dead layer over seeds"),
    ]  # fmt: skip
    if not fixes:
        return absent(out, "residual_study")
    paired = answers.fixes_versus_control(s) or {}
    rows = []
    for name, arm in fixes["arms"].items():
        t, test = arm["table"], paired.get(name)
        rows.append([
            name, t["hidden_layers"], ", ".join(f"{k}: {v}" for k, v in arm["arm"].items()) or "-",
            f"{pct(t['val_acc_mean'])} [{pct(t['val_acc_low'])}, {pct(t['val_acc_high'])}]",
            f"{points(test['difference'])}" if test else "-",
            pvalue(test["p_holm"]) if test else "-",
            f"{t['seeds_with_dead_layer']} of {len(fixes['seeds'])}", num(t["worst_span_decades"], 1),
        ])  # fmt: skip
    ablation = answers.ablation(s)
    out += [
        "",
        f"**Answer to Q6.** {q6_answer(s, fixes, paired, ablation)}",
        "",
        s.figure("residual_study/fixes", "scale-free gradient ratio per layer and accuracy of each fix"),
        "",
        table(["arm", "hidden layers", "change", "val acc [95%]", f"vs {fixes['control']}",
               "Holm p", "seeds with a dead layer", "worst span (decades)"], rows),
        "",
        f"Every arm trains {fixes['epochs']} epochs on the same seeds. The span is how many "
        "decades the gradient ratio spans across the layers (appendix). An arm restores the flow "
        f"when no seed has a dead layer and the span stays within {fixes['max_span_decades']:g} "
        "decades at every epoch.",
        "",
        *((ablation_table(ablation), "") if ablation else ()),
        " ".join(t for t in [
            _batchnorm_arm_text(answers.training_against_evaluation(s, "residual_study", "batchnorm")),
            *_fixes_reading(fixes, ablation, answers.arm_curves(s), s.tables.get("residual_study/ratios")),
        ] if t),
        "",
        s.figure("residual_study/comparison", "course measure: plain network and the best fix"),
    ]  # fmt: skip
    return "\n".join(out)  # fmt: skip


def q5_answer(plain: dict) -> str:
    dead, n = plain["seeds_with_dead_layer"], len(plain["seeds"])
    decay = plain["decay_decades_per_layer_init"]
    out = [
        f"Yes: {pct(dead['init'], 0)} of the {n} networks have a dead layer at initialisation and "
        f"{pct(dead['after_training'], 0)} after training; a dead layer's ReLUs give 0 for every "
        "input, so no gradient passes it."
    ]
    if decay["n"]:
        out.append(f"At initialisation, above the topmost dead layer, the gradient still shrinks about "
                   f"{decay['median']:.2f} decades per layer towards the input.")  # fmt: skip
    out.append(
        f"The networks learn nothing: mean validation accuracy {pct(plain['final_val_acc']['mean'])}."
    )
    return " ".join(out)


def q6_answer(s: Study, fixes: dict, paired: dict, ablation: dict | None) -> str:
    best, control = fixes["best_fix"], fixes["control"]
    t = paired.get(best)
    flow = _restores(fixes)
    out = [
        f"{capital(arm_words(best))} {'restores' if best in flow else 'does not restore'} the flow "
        f"and reaches {pct(fixes['arms'][best]['table']['val_acc_mean'])}, "
        f"{points(t['difference'])} over {arm_words(control)} (Holm p = {pvalue(t['p_holm'])})."
    ]  # fmt: skip
    residual = (ablation or {}).get("residual")
    if ablation and residual:
        f = ablation["factorial"]
        out.append(
            f"Over the plain {fixes['depth']}-layer network, the residual connection adds "
            f"{points(residual['difference'])}{flag(residual)}; on top of it zero-initialised "
            f"branches add {points(f['zero_branch']['difference'])}{flag(f['zero_branch'])} and "
            f"standardised inputs {points(f['standardise']['difference'])}{flag(f['standardise'])}, "
            "each averaged over the other."
        )  # fmt: skip
    course = next((k for k in fixes["arms"] if k == "course_residual"), None)
    deep = [k for k, a in fixes["arms"].items()
            if a["table"]["hidden_layers"] == fixes["depth"] and k not in flow and "residual" not in a["arm"]]  # fmt: skip
    said = []
    if course and paired.get(course):
        c = paired[course]
        said.append(f"the course's residual network reaches {pct(fixes['arms'][course]['table']['val_acc_mean'])}, "
                    f"{'distinguishable' if c['distinguishable'] else 'not distinguishable'} from "
                    f"{arm_words(control)}{', borderline' if c['strength'] == 'borderline' else ''} "
                    f"(Holm p = {pvalue(c['p_holm'])})")  # fmt: skip
    if deep:
        said.append(f"{', '.join(arm_words(k) for k in deep[:-1])}{' and ' if len(deep) > 1 else ''}"
                    f"{arm_words(deep[-1])} do not restore the flow")  # fmt: skip
    if said:
        out.append(capital("; ".join(said)) + ".")
    return " ".join(out)


def flag(t: dict) -> str:
    """What a claimed-looking effect's test says when it is not a plain claim."""
    if not t["distinguishable"]:
        return " (not distinguishable)"
    return borderline(t, " (claimed, borderline)")


def _restores(fixes: dict) -> list[str]:
    return [n for n, a in fixes["arms"].items() if a["table"]["hidden_layers"] == fixes["depth"]
            and a["table"]["seeds_with_dead_layer"] == 0 and a["table"]["within_span"]]  # fmt: skip


def ablation_table(ablation: dict) -> str:
    """The best fix taken apart: the residual connection against the plain network, then
    the 2 x 2 of the other two changes on top of it (main effects and interaction)."""
    tests = {arm_words(k): v for k, v in [("residual", ablation.get("residual")),
                                          *ablation["factorial"].items()] if v}  # fmt: skip
    return comparisons(tests, "val acc", label="change")


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
                f"{capital(arm_words(name))} has no line in the ratio panel: {t['seeds_with_dead_layer']} of {n} seeds "
                "have a dead layer, so its span is undefined."
            )
            continue
        over = sum(x > limit for x in spans)
        if over and max(spans) < 1.1 * limit:
            out.append(
                f"{capital(arm_words(name))}'s span exceeds {limit:g} decades in {over} of {len(spans)} epochs, by at most "
                f"{max(spans) - limit:.2f} decades, so narrowly that "
                + ("its verdict rests on its dead layers." if t["seeds_with_dead_layer"]
                   else "the span alone decides it.")
            )  # fmt: skip
    wide = {k: a for k, a in fixes["arms"].items() if set(a["arm"]) == {"width"}}
    if wide and all(a["table"]["seeds_with_dead_layer"] == 0 and not a["table"]["within_span"]
                    for a in wide.values()):  # fmt: skip
        out.append(
            "Wider layers keep every layer alive in every seed, but the gradient still fades "
            "across the layers: width alone does not restore the flow at this depth."
            + _flushed_layers_text(ratios, list(wide))
        )
    if ablation:
        return out
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
        + " and ".join(f"{layer} for {arm_words(arm)}" for arm, layer in starts.items())
        + ". Below, the gradients fall under float32's smallest normal number, which training "
        "flushes to zero, so their spans are lower bounds."
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
        f"The batch-norm arm ends at {pct(d['val_acc'])}. In its last epoch its training loss is "
        f"{d['train_mode']:.3f} as trained and {d['eval_mode']:.3f} with its running statistics, "
        f"against {d['prior']:.3f} for the class frequencies. So {cause}" + (f", and{worse}" if worse else "") + "."
    )  # fmt: skip


ARM_WORDS = {  # 6.2 Q6's arms and changes as a sentence names them (tables keep the names)
    "identity_residual": "the identity residual network (residual blocks with "
    "zero-initialised branches on standardised inputs)",
    "course_residual": "the course's residual network",
    "residual": "the residual connection",
    "zero_branch": "zero-initialised branches",
    "standardise": "standardised inputs",
    "zero_branch x standardise": "their interaction",
    "shallow_standardised": "the shallow control on standardised inputs",
    "wide16": "width 16",
    "wide32": "width 32",
    "batchnorm": "batch norm",
    "he_init": "He initialisation",
}


def arm_words(name: str) -> str:
    return ARM_WORDS.get(name, name)

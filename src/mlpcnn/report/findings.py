"""The report's opening: one table row per handout question, its verdict, the figure it rests
on and its strength, built from the same answers as the sections below it."""

from __future__ import annotations

import functools

from mlpcnn.report import answers
from mlpcnn.report.cities import cell_words, closest
from mlpcnn.report.faces import groups, names_text, plain
from mlpcnn.report.gradients import arm_words
from mlpcnn.report.grid import gains_text
from mlpcnn.report.markdown import capital, claim, pct, points, pvalue, table
from mlpcnn.report.optimisation import CAUSE_SHORT, lr_words
from mlpcnn.report.study import Study


def _row(question: str, answer: str, strength: str, *figures: str) -> list[str]:
    return [f"**{question}**", answer, strength, ", ".join(f"`{f}.png`" for f in figures)]


def _p(t: dict | None) -> str:
    """A test's verdict with its p (adjusted where its family has more than one), for the
    strength column."""
    if not t:
        return "n/a"
    holm = "Holm p" if t.get("family", 1) > 1 else "p"
    return f"{claim(t, ', borderline')}, {holm} = {pvalue(t['p_holm'])}"


def cities_rows(s: Study) -> list[list[str]]:
    m, out = s.results, []
    lr = answers.learning_rate(s)
    if lr and lr["final"]:
        f = lr["final"]
        close = (
            max(f["versus"].items(), key=lambda kv: kv[1]["p_holm"] or 2) if f["versus"] else None
        )
        out.append(_row("6.1 Q1", f"{capital(lr_words(f['winner']))} ends with the lowest validation loss, "
                        f"{f['mean']:.3f}; by the curve rule it is {answers.curve_word(lr['runs'][f['winner']])}.",
                        f"against {close[0].split(' vs ')[1]}: {_p(close[1])}" if close else "n/a",
                        "mlp_learning_rate/val_loss"))  # fmt: skip
    ep = answers.epochs(s)
    if ep and "mlp_epochs" in m:
        over = ep["counts"].get("overfitting", 0)
        out.append(_row("6.1 Q2", f"It {'overfits' if ep['verdict'] == 'overfitting' else 'does not overfit'} "
                        f"within {m['mlp_epochs']['epochs']} epochs; at the end the curve rule says "
                        f"{answers.curve_word(ep)}.", f"overfitting in {over} of {ep['seeds']} seeds",
                        "mlp_epochs/loss"))  # fmt: skip
    bn = answers.batchnorm(s)
    if bn and "base vs batchnorm" in bn["speed"]:
        t = pct(m["mlp_batchnorm"]["accuracy_threshold"], 0)
        acc = bn["accuracy"]["base vs batchnorm"]
        out.append(_row("6.1 Q3", f"The base model needs {bn['speed_ratio']['base vs batchnorm']:.1f} "
                        f"times the epochs batch norm needs to reach {t} validation accuracy; at the last "
                        f"epoch batch norm is {points(-acc['difference'])} ahead, "
                        f"{claim(acc, ', borderline')}.",
                        f"speed: {_p(bn['speed']['base vs batchnorm'])}; accuracy: {_p(acc)}",
                        "mlp_batchnorm/batchnorm"))  # fmt: skip
    bs = answers.batch_size(s)
    if bs and "mlp_batch_size" in m:
        words = {"base": "without batch norm", "batchnorm": "with batch norm"}
        best = "; ".join(f"{words.get(arm, arm)} batch {x['best'].split(' batch ')[1]} is best"
                         for arm, x in bs["arms"].items())  # fmt: skip
        close = [f"{words.get(arm, arm)}: {_p(closest(x['versus'])[1])}"
                 for arm, x in bs["arms"].items() if x["versus"]]  # fmt: skip
        probe = bs.get("probe")
        why = ""
        if probe:
            why = f" Batch norm trails at batch {probe['batch_size']} because of {CAUSE_SHORT[probe['cause']]}"
            why += (
                "; a smaller step helps only in part." if probe.get("step_helps_in_part") else "."
            )
        out.append(_row("6.1 Q4", f"{capital(best)}.{why}", "best vs closest, " + "; ".join(close),
                        "mlp_batch_size/val_acc_base", "mlp_batch_size/stability"))  # fmt: skip
    g, d = answers.grid(s), m.get("mlp_select")
    if g and d:
        words = functools.partial(cell_words, d["cells"])
        close = closest(g["versus"])[1]
        steps = [gains_text(a, t) for a, t in g["trends"].items() if "steps" in t]
        out.append(_row("6.2 Q1-Q4", f"Best {words(d['best']['cell'])}, worst {words(d['worst']['cell'])}; "
                        + "; ".join(steps) + ".", f"best vs closest: {_p(close)}",
                        "mlp_select/depth_width"))  # fmt: skip
    gs = m.get("gradient_study")
    if gs:
        dead = gs["seeds_with_dead_layer"]
        out.append(_row("6.2 Q5", f"Yes: {pct(dead['after_training'], 0)} of the networks have a dead "
                        "layer after training, which no gradient passes; at initialisation the gradient "
                        "also shrinks towards the input above it.", f"{len(gs['seeds'])} seeds",
                        "gradient_study/profile"))  # fmt: skip
    f = m.get("residual_study")
    if f:
        t = (answers.fixes_versus_control(s) or {}).get(f["best_fix"])
        out.append(_row("6.2 Q6", f"{capital(arm_words(f['best_fix']))} restores the flow: "
                        f"{pct(f['arms'][f['best_fix']]['table']['val_acc_mean'])}, "
                        f"{points(t['difference'])} over the shallow control.", _p(t),
                        "residual_study/fixes"))  # fmt: skip
    q7 = m.get("implicit_encoding")
    if q7:
        out.append(_row("6.2 Q7", f"The sine encoding gains {points(q7['difference_sine_minus_raw']['val_acc'])} "
                        "of validation accuracy over the raw input.", _p(answers.implicit(s)),
                        "implicit_encoding/boundaries"))  # fmt: skip
    return out


def faces_rows(s: Study) -> list[list[str]]:
    d = s.results.get("error_analysis")
    if not d:
        return []
    lead, last = groups(d)
    apart = [c for c in d["comparisons"] if c["p_holm"] is not None and c["p_holm"] < 0.05]
    out = [_row(f"7.4 ({d['dataset']})", f"{capital(names_text([plain(n) for n in lead]))} lead; "
                f"{names_text([plain(n) for n in last])} trail.",
                f"{len(apart)} of {len(d['comparisons'])} pairs differ image by image (McNemar, Holm)",
                "error_analysis/test_acc_vs_lr")]  # fmt: skip
    q2 = d["q2"][0] if d["q2"] else None
    if q2:
        out.append(_row("7.6", f"{len(q2['shown_files'])} test images that {plain(q2['best']['baseline'])} "
                        f"gets right and {plain(q2['worst']['baseline'])} gets wrong, chosen by rule.",
                        "a description, not a test", "error_analysis/best_right_worst_wrong"))  # fmt: skip
    return out


def section_findings(s: Study) -> str:
    """One row per question, cities then faces: the answer, its strength, its figure."""
    rows = cities_rows(s) + faces_rows(s)
    if not rows:
        return ""
    return "\n".join(["## Findings", "",
                      table(["question", "answer", "strength", "figure (plots/)"], rows)])  # fmt: skip

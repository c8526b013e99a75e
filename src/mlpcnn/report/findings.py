"""The report's opening: one line per handout question, its verdict, the figure it rests
on and its strength, built from the same answers as the sections below it."""

from __future__ import annotations

from mlpcnn.report import answers
from mlpcnn.report.cities import grid_answer, q1_answer, q2_answer, q3_answer, q4_answer
from mlpcnn.report.faces import groups, names_text, over_seeds, plain
from mlpcnn.report.markdown import capital, claim, pct, points, pvalue
from mlpcnn.report.study import Study


def _line(question: str, text: str, *figures: str) -> str:
    where = ", ".join(f"`plots/{f}.png`" for f in figures)
    return f"- **{question}**: {text}" + (f" *({where})*" if where else "")


def cities_lines(s: Study) -> list[str]:
    m, out = s.results, []
    lr = answers.learning_rate(s)
    if lr:
        out.append(_line("6.1 Q1", q1_answer(s, lr), "mlp_learning_rate/val_loss"))
    if "mlp_epochs" in m:
        out.append(_line("6.1 Q2", q2_answer(s, m["mlp_epochs"]), "mlp_epochs/loss"))
    bn = answers.batchnorm(s)
    if bn and "mlp_batchnorm" in m:
        threshold = m["mlp_batchnorm"]["accuracy_threshold"]
        out.append(_line("6.1 Q3", q3_answer(bn, threshold), "mlp_batchnorm/batchnorm"))
    bs = answers.batch_size(s)
    if bs and "mlp_batch_size" in m:
        out.append(_line("6.1 Q4", q4_answer(m["mlp_batch_size"], bs), "mlp_batch_size/val_acc_base",
                         "mlp_batch_size/stability"))  # fmt: skip
    if "mlp_select" in m:
        out.append(_line("6.2 Q1-Q4", grid_answer(s), "mlp_select/best_worst_curves",
                         "mlp_select/depth_width"))  # fmt: skip
    g = m.get("gradient_study")
    if g:
        out.append(_line(
            "6.2 Q5",
            f"vanishing: {pct(g['seeds_with_dead_layer']['after_training'], 0)} of {len(g['seeds'])} "
            f"networks have a dead layer after training (at initialisation "
            f"{pct(g['seeds_with_dead_layer']['init'], 0)}); at initialisation, above the topmost "
            f"dead layer, the gradient still falls {g['decay_decades_per_layer_init']['median']:.2f} "
            f"decades per layer towards the input (median over the {g['decay_decades_per_layer_init']['n']} "
            f"of {len(g['seeds'])} seeds with 3 or more live layers above it); mean validation accuracy {pct(g['final_val_acc']['mean'])}.",
            "gradient_study/gradients", "gradient_study/profile"))  # fmt: skip
    f = m.get("residual_study")
    if f:
        best = f["arms"][f["best_fix"]]
        t = (answers.fixes_versus_control(s) or {}).get(f["best_fix"])
        restores = best["table"]["seeds_with_dead_layer"] == 0 and best["table"]["within_span"]
        parts = answers.ablation(s)
        split = (
            "; its changes taken apart: "
            + ", ".join(
                f"{arm_words(k)} {points(v['difference'])} ({claim(v, ', borderline')})"
                for k, v in [("residual", parts.get("residual")), *parts["factorial"].items()]
                if v
            )
            if parts
            else "; its changes are not separated by this run's arms"
        )
        curves = answers.arm_curves(s)
        wide = [f"{arm_words(k)} {pct(a['table']['val_acc_mean'])}, {curves.get(k, 'n/a').split(' (')[0]}, with a "
                f"dead layer in {a['table']['seeds_with_dead_layer']} of {len(f['seeds'])} seeds"
                for k, a in f["arms"].items() if set(a["arm"]) == {"width"}]  # fmt: skip
        out.append(_line(
            "6.2 Q6",
            f"{capital(arm_words(f['best_fix']))} {'restores' if restores else 'does not restore'} "
            f"the flow and reaches {pct(best['table']['val_acc_mean'])}, {points(t['difference'])} over "
            f"{arm_words(f['control'])} ({t['test']}, Holm p = {pvalue(t['p_holm'])}){split}"
            + (f"; widening instead: {'; '.join(wide)}" if wide else "") + ".",
            "residual_study/fixes"))  # fmt: skip
    q7 = m.get("implicit_encoding")
    if q7:
        t = answers.implicit(s)
        out.append(_line(
            "6.2 Q7",
            f"the sine encoding gains {points(q7['difference_sine_minus_raw']['val_acc'])} validation "
            f"accuracy over the raw input ({t['test']}, p = {pvalue(t['p_holm'])}); both with batch norm.",
            "implicit_encoding/boundaries"))  # fmt: skip
    return out


def faces_lines(s: Study) -> list[str]:
    d = s.results.get("error_analysis")
    if not d:
        return []
    ranking, b = d["ranking"], d["baselines"]
    lead, last = groups(d)
    apart = [c for c in d["comparisons"] if c["p_holm"] is not None and c["p_holm"] < 0.05]
    out = [_line(
        f"7.4 ({d['dataset']})",
        f"{capital(names_text([plain(n) for n in lead]))} lead ({over_seeds(b[ranking[0]], 'test_acc')} "
        f"for the first); {names_text([plain(n) for n in last])} trail; {len(apart)} of "
        f"{len(d['comparisons'])} pairs differ image by image.",
        "error_analysis/test_acc_vs_lr",
    )]  # fmt: skip
    q2 = d["q2"][0] if d["q2"] else None
    if q2:
        out.append(_line(
            "7.6",
            f"Q1: the best and worst runs of each baseline, read by ranking and threshold "
            f"(section 7.6); Q2: {len(q2['shown_files'])} test images that "
            f"{plain(q2['best']['baseline'])} gets right and {plain(q2['worst']['baseline'])} "
            "gets wrong.",
            "error_analysis/best_right_worst_wrong"))  # fmt: skip
    return out


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
}


def arm_words(name: str) -> str:
    return ARM_WORDS.get(name, name)


def section_findings(s: Study) -> str:
    """One line per question, cities then faces."""
    lines = cities_lines(s) + faces_lines(s)
    return "\n".join(["## Findings", "", *lines]) if lines else ""

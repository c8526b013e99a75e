"""Sections 7 (faces) of the report, each built from the study's results alone."""

from __future__ import annotations

from mlpcnn.report.markdown import missing, pct, table
from mlpcnn.report.study import Study


def section_deepfake(s: Study) -> str:
    m = s.results
    d = m.get("error_analysis")
    out = [
        "## 7.1: deepfake baselines",
        "",
        "Which baseline tells real from fake faces best after one epoch?",
    ]
    if not d:
        return "\n".join([*out, "", missing("error_analysis")])
    kind = d["dataset"]
    rows, references = [], []
    for strategy, r in d["table"].items():
        lr = "default" if r["best_lr_by_val_acc"] is None else f"{r['best_lr_by_val_acc']:g}"
        rows.append([strategy, lr, pct(r["best_val_acc"]), pct(r["best_test_acc"])])
        refs = [s.reference_value("deepfake_test_acc", report, strategy) for report in ("A", "B")]
        if any(ref is not None for ref in refs):
            references.append([strategy, *(pct(ref) for ref in refs)])
    ranking = d["ranking_one_epoch"]
    long = d["table"].get("finetune_long")
    beyond = (
        f" Beyond the course, fine-tuning for several epochs with a schedule and augmentation "
        f"(finetune_long) reaches {pct(long['best_test_acc'])} test accuracy."
        if long
        else ""
    )
    warning = (
        "**These numbers come from the synthetic stand-in, not the course images; they are not "
        "comparable with the references.** "
        if kind == "standin"
        else ""
    )
    out += [
        "",
        f"Dataset: **{kind}**; pretrained backbone: {d['backbone']}.",
        "",
        table(["strategy", "best lr (by val)", "val acc", "test acc"], rows),
        "",
        warning
        + f"Ranked by test accuracy after one epoch: {', '.join(ranking)}. Best: {ranking[0]}, "
        f"second: {d['second_best_strategy']}, worst: {ranking[-1]}." + beyond,
        "",
        s.figure("error_analysis/test_acc_vs_lr", "test accuracy against learning rate"),
        "",
        "Reference (course data, the course reports' one-epoch test accuracy; a different "
        "dataset from the one above whenever it is the stand-in):",
        "",
        table(["strategy", "report A test", "report B test"], references),
    ]
    return "\n".join(out)  # fmt: skip


def section_errors(s: Study) -> str:
    m = s.results
    d = m.get("error_analysis")
    out = [
        "## 7.2: error analysis",
        "",
        "Which test images does the best run get right and the worst get wrong?",
    ]
    if not d:
        return "\n".join([*out, "", missing("error_analysis")])
    best, worst, shown = d["best"], d["worst"], d["shown_files"]

    def lr(run: dict) -> str:
        return "default settings" if run["lr"] is None else f"lr {run['lr']:g}"

    count = f"only {len(shown)}" if d["fewer_than_five"] else "the first five"
    out += [
        "",
        f"Best run: {best['strategy']} ({lr(best)}), {pct(best['test_acc'])} test accuracy; worst run: "
        f"{worst['strategy']} ({lr(worst)}), {pct(worst['test_acc'])}. Shown: {count} test images, in the "
        "split's fixed order, that the best gets right and the worst wrong"
        + (": " + ", ".join(f"`{f}`" for f in shown) if shown else ": none exist")
        + ".",
        "",
        s.figure("error_analysis/best_right_worst_wrong", "best right, worst wrong"),
    ]
    return "\n".join(out)  # fmt: skip

"""Section 7 (faces) of the report, each sentence built from the study's results alone.

Every test accuracy is one run on one test set, so it carries its 95% Wilson interval;
two baselines are called tied when their intervals overlap. The course reports' figures
come from the course's images and sit in a table of their own, never ranked with this
run's numbers.
"""

from __future__ import annotations

from mlpcnn.report.markdown import missing, pct, table
from mlpcnn.report.study import Study

COURSE_BASELINES = ("xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune")


def accuracy(run: dict) -> str:
    """``85.75% [82.0, 88.9]``: a run's test accuracy and its Wilson interval."""
    return (
        f"{pct(run['test_acc'])} [{100 * run['test_acc_low']:.1f}, "
        f"{100 * run['test_acc_high']:.1f}]"
    )


def auc(run: dict) -> str:
    return "n/a" if run.get("test_auc") is None else f"{run['test_auc']:.3f}"


def lr_text(run: dict) -> str:
    return "default settings" if run.get("lr") is None else f"lr {run['lr']:g}"


def tied(a: dict, b: dict) -> bool:
    return a["test_acc_low"] <= b["test_acc_high"] and b["test_acc_low"] <= a["test_acc_high"]


def against(a_name: str, a: dict, b_name: str, b: dict) -> str:
    """``a`` against ``b`` as a clause: tied when the intervals overlap, else which is higher."""
    if tied(a, b):
        return f"{a_name} {accuracy(a)} and {b_name} {accuracy(b)} are tied (intervals overlap)"
    word = "above" if a["test_acc"] > b["test_acc"] else "below"
    return f"{a_name} {accuracy(a)} is {word} {b_name} {accuracy(b)} (intervals apart)"


def standin_warning(kind: str) -> str:
    return (
        "**Every number in this section comes from the synthetic stand-in, not the course "
        "images.** "
        if kind == "standin"
        else ""
    )


def section_deepfake(s: Study) -> str:
    d = s.results.get("error_analysis")
    out = [
        "## 7.1: deepfake baselines",
        "",
        "Which baseline tells real from fake faces best after one epoch (handout 7.4)?",
    ]
    if not d:
        return "\n".join([*out, "", missing("error_analysis")])
    kind, chosen, backbone = d["dataset"], d["chosen_by_val"], d["backbone"] or {}
    sha = (backbone.get("weights_sha256") or "n/a")[:12]

    def rows(names):
        return [
            [n, lr_text(chosen[n]), pct(chosen[n]["val_acc"]), accuracy(chosen[n]), auc(chosen[n])]
            for n in names
            if n in chosen
        ]

    headers = ["baseline", "lr chosen on validation", "val acc", "test acc [95% Wilson]", "ROC AUC"]
    ranking = d["ranking"]
    top = ranking[0]
    order = ", ".join(f"{r['baseline']} {accuracy(r)}" for r in ranking)
    tied_best = [b for b in d["tied_with_best"] if b != top["baseline"]]
    out += [
        "",
        f"Dataset: **{kind}**; pretrained backbone: {backbone.get('backbone')} (asked for: "
        f"`{backbone.get('requested')}`; weights `{backbone.get('weights_file')}`, sha256 "
        f"{sha}...). Each baseline's learning rate is chosen on validation accuracy; test "
        "accuracies are single runs with 95% Wilson intervals.",
        "",
        table(headers, rows(COURSE_BASELINES)),
        "",
        standin_warning(kind)
        + f"Ranked by their best run's test accuracy (7.6 Q1's reading; the table shows the "
        f"run chosen on validation): {order}. "
        + (
            f"Tied with {top['baseline']} (intervals overlap): {', '.join(tied_best)}."
            if tied_best
            else f"{top['baseline']} is ahead of every other baseline (intervals apart)."
        ),
        "",
        s.figure("error_analysis/test_acc_vs_lr", "test accuracy against learning rate"),
        "",
        "### Beyond the handout",
        "",
        table(headers, rows(("finetune_long", "scratch_backbone", "handmade"))),
        "",
        *extras(d, chosen, backbone.get("backbone")),
        "",
        "### Reference (course data)",
        "",
        "The course reports' one-epoch test accuracies, measured on the course's images "
        "(400 test images). "
        + (
            "This run used the synthetic stand-in, a different dataset: the two are not compared."
            if kind == "standin"
            else "This run used course images too; its own figures are in the table above."
        ),
        "",
        table(["baseline", "report A test", "report B test"], references(s)),
    ]
    return "\n".join(out)


def extras(d: dict, chosen: dict, backbone: str | None) -> list[str]:
    """Sentences on the extras: pretrained against scratch on one architecture, the
    hand-made detector, several epochs."""
    out = []
    if "scratch_backbone" in chosen and "finetune" in chosen:
        same = against(
            "finetune", chosen["finetune"], "scratch_backbone", chosen["scratch_backbone"]
        )
        out.append(
            f"Pretrained against random weights on one architecture ({backbone}, one epoch, "
            f"the same input and protocol): {same}."
        )
        if "scratch" in chosen and backbone != "resnet18":
            out.append(
                "The course's scratch baseline is ResNet18, another architecture: "
                + against(
                    "scratch (ResNet18)",
                    chosen["scratch"],
                    f"scratch_backbone ({backbone})",
                    chosen["scratch_backbone"],
                )
                + "."
            )
    best = d["ranking"][0]
    if "handmade" in chosen:
        hand = chosen["handmade"]
        out.append(
            "What a hand-made detector gets (a logistic regression on the high-pass "
            "residual energy of each colour channel, 3 numbers an image): "
            + against("handmade", hand, f"the best baseline ({best['baseline']})", best)
            + "; "
            + (
                "on this dataset three hand-made numbers an image do as well as the best baseline."
                if hand["test_acc"] >= best["test_acc"] or tied(hand, best)
                else "the best baseline finds more than the high-frequency energy holds."
            )
        )
    if "finetune_long" in chosen:
        out.append(
            "Several epochs (finetune_long: 4 epochs, cosine schedule, flips and crops): "
            + against(
                "finetune_long", chosen["finetune_long"], "one-epoch finetune", chosen["finetune"]
            )
            + "."
        )
    return [" ".join(out)] if out else []


def references(s: Study) -> list[list[str]]:
    rows = []
    for name in COURSE_BASELINES:
        refs = [s.reference_value("deepfake_test_acc", report, name) for report in ("A", "B")]
        if any(ref is not None for ref in refs):
            rows.append([name, *(pct(ref) for ref in refs)])
    return rows


def section_errors(s: Study) -> str:
    d = s.results.get("error_analysis")
    out = [
        "## 7.2: error analysis",
        "",
        "Handout 7.6: per baseline, its two best and its worst run (Q1); images the best "
        "baseline gets right and the worst gets wrong (Q2).",
    ]
    if not d:
        return "\n".join([*out, "", missing("error_analysis")])
    kind, q2 = d["dataset"], d["q2"]
    q1 = [
        [
            r["baseline"],
            r["role"],
            lr_text(r),
            pct(r["val_acc"]),
            accuracy(r),
            auc(r),
            r["ties"] or "-",
        ]
        for r in d["q1"]["rows"]
    ]
    best, worst = q2["best"], q2["worst"]
    shown = len(q2["shown_files"])
    count = f"all {shown} such images" if q2["fewer_than_five"] else f"5 of the {q2['candidates']}"
    images = [
        [f"`{f}`", label, f"{b:.2f}", f"{w:.2f}"]
        for f, label, b, w in zip(
            q2["shown_files"],
            q2["shown_labels"],
            q2["best_p_fake"],
            q2["worst_p_fake"],
            strict=True,
        )
    ]
    out += [
        "",
        f"**Q1** ({d['q1']['rule']}; ties: other runs with the same test accuracy):",
        "",
        table(
            [
                "baseline",
                "which",
                "learning rate",
                "val acc",
                "test acc [95% Wilson]",
                "ROC AUC",
                "ties",
            ],
            q1,
        ),
        "",
        (standin_warning(kind) + " ".join(why(d["q1"]["rows"]))).strip(),
        "",
        f"**Q2**: the best baseline, {best['baseline']} ({lr_text(best)}, chosen on validation: "
        f"{accuracy(best)}), against the worst, {worst['baseline']} ({lr_text(worst)}: "
        f"{accuracy(worst)}). {q2['candidates']} test images are right for the first and "
        f"wrong for the second; shown: {count}, by rule ({q2['rule']})."
        + one_class(q2, worst["baseline"]),
        "",
        table(
            ["file", "true", f"{best['baseline']} p(fake)", f"{worst['baseline']} p(fake)"], images
        )
        if images
        else "*No test image qualifies.*",
        "",
        s.figure("error_analysis/best_right_worst_wrong", "best baseline right, worst wrong"),
    ]
    return "\n".join(out)


def one_class(q2: dict, worst: str) -> str:
    """A note when every qualifying image is of one class (the worst errs on one side)."""
    by_class = q2.get("candidates_by_class", {})
    empty = [name for name, n in by_class.items() if n == 0]
    if len(empty) != 1 or not q2["candidates"]:
        return ""
    other = next(name for name in by_class if name not in empty)
    return (
        f" No {empty[0]} image qualifies: {worst}'s mistakes among them are all {other} "
        f"images, so only {other} images can be shown."
    )


LN2 = 0.6931  # the binary cross-entropy of a constant guess of 0.5


def why(rows: list[dict]) -> list[str]:
    """Per swept baseline, why its worst run is worst, from what the runs record: its step
    size against the best run's, its training loss at the end, whether it is at chance."""
    out = []
    for baseline in dict.fromkeys(r["baseline"] for r in rows):
        runs = [r for r in rows if r["baseline"] == baseline]
        best, worst = runs[0], runs[-1]
        if worst.get("lr") is None or len(runs) < 2:
            continue
        if worst["test_acc"] == best["test_acc"]:
            text = (
                f"{baseline}'s runs all end at {pct(worst['test_acc'])} test accuracy, so its best "
                f"and worst ({lr_text(worst)}) differ only by the tie-break"
            )
        else:
            step = "larger" if worst["lr"] > best["lr"] else "smaller"
            text = (
                f"{baseline}'s worst run takes a {step} step ({lr_text(worst)}) than its best "
                f"({lr_text(best)})"
            )
        loss, reference = worst.get("final_train_loss"), best.get("final_train_loss")
        if loss is not None and reference is not None:
            text += (
                f"; the worst's training loss ends the epoch at {loss:.3f} (best run: "
                f"{reference:.3f})"
            )
            if abs(loss - LN2) < 0.05:
                text += ", about ln 2, the loss of a constant guess"
            elif loss > LN2:
                text += ", above ln 2 (a constant guess): its steps overshoot"
        if worst["test_acc_low"] <= 0.5 <= worst["test_acc_high"]:
            text += (
                "; its test accuracy is not distinguishable from chance (the interval holds 50%)"
            )
        elif worst["test_acc_high"] < 0.5:
            text += "; its test accuracy is below chance (the whole interval is under 50%)"
            if worst.get("test_auc") is not None and worst["test_auc"] < 0.5:
                text += (
                    f" and its ROC AUC {worst['test_auc']:.3f} is under 0.5: it ranks the "
                    "classes the wrong way round, which a constant guess cannot do"
                )
        else:
            text += "; its test accuracy is above chance all the same (the interval is over 50%)"
        out.append(text + ".")
    return out

"""Section 7 (faces) of the report, each sentence built from the study's results alone.

A baseline's figure is the mean test accuracy over seeds of its validation-chosen rate
(Student-t interval); a single run's accuracy carries its 95% Wilson interval. Baselines
are compared on the same test images by McNemar's exact test (the seeds' majority votes),
Holm-corrected over the pairs of a table; "not distinguishable with N seeds" is never
"tied". A run flagged constant (one class for every image, ranking no better than chance)
is named as such, never ranked by tie-breaks. The course reports' figures come from the
course's images and sit in a table of their own, never ranked with this run's numbers.
"""

from __future__ import annotations

from mlpcnn.report.markdown import interval, missing, pct, pvalue, table
from mlpcnn.report.study import Study
from mlpcnn.verdicts.paired import ALPHA, strength

COURSE_BASELINES = ("xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune")
COURSE_SPLITS = {"train": 1400, "val": 200, "test": 400}  # about; see DESIGN's course data


def accuracy(run: dict) -> str:
    """``85.75% [82.0, 88.9]``: a run's test accuracy and its Wilson interval."""
    return (
        f"{pct(run['test_acc'])} [{100 * run['test_acc_low']:.1f}, "
        f"{100 * run['test_acc_high']:.1f}]"
    )


def auc(run: dict) -> str:
    """``0.912 [0.88, 0.94]``: a run's ROC AUC with its Hanley-McNeil interval."""
    if run.get("test_auc") is None:
        return "n/a"
    if run.get("test_auc_low") is None:
        return f"{run['test_auc']:.3f}"
    return f"{run['test_auc']:.3f} [{run['test_auc_low']:.2f}, {run['test_auc_high']:.2f}]"


def lr_text(run: dict) -> str:
    return "default settings" if run.get("lr") is None else f"lr {run['lr']:g}"


def seeds_text(baseline: dict) -> str:
    """``81.58% [79.1, 84.0], 3 seeds``; one seed: the single run's figure; seeds that all
    gave the same predictions: the figure, said to be one fit."""
    n = baseline["test_acc"]["n"]
    if n > 1 and baseline.get("distinct_fits") == 1:
        return f"{pct(baseline['test_acc']['mean'])}, deterministic ({n} seeds, one fit)"
    return f"{interval(baseline['test_acc'])}, {n} seed{'s' * (n != 1)}"


def comparison(c: dict) -> str:
    """One McNemar comparison as a clause: ``a is higher than b (McNemar ... p = )``, read
    from its numbers (the difference, the Holm p, the seeds), not from its verdict's words."""
    apart = c["p_holm"] is not None and c["p_holm"] < ALPHA
    word = (
        f"{c['a']} is {'higher' if c['difference'] > 0 else 'lower'} than {c['b']}"
        if apart
        else f"{c['a']} and {c['b']} are not distinguishable image by image ({_fits(c)})"
    )
    borderline = ", borderline" if strength(c["p_holm"]) == "borderline" else ""
    return (
        f"{word} ({c['a_only']} vs {c['b_only']} test images right for one only, McNemar "
        f"p = {pvalue(c['p_value'])}, Holm p = {pvalue(c['p_holm'])} over {c['family']}"
        f"{borderline})"
    )


def _fits(c: dict) -> str:
    """How many distinct fits the majority votes rest on (deterministic seeds count once)."""
    n = c["seeds"]
    return f"majority votes; {n} distinct fit{'s' * (n != 1)} on the side with fewer"


def _word(c: dict) -> str:
    """A comparison's verdict from its numbers: higher / lower / not distinguishable."""
    if c["p_holm"] is None:
        return "not tested"
    word = (("higher" if c["difference"] > 0 else "lower") if c["p_holm"] < ALPHA
            else "not distinguishable")  # fmt: skip
    return word + (" (borderline)" if strength(c["p_holm"]) == "borderline" else "")


def comparison_rows(comparisons: list[dict]) -> list[list[str]]:
    return [
        [f"{c['a']} vs {c['b']}", str(c["a_only"]), str(c["b_only"]), pvalue(c["p_value"]),
         pvalue(c["p_holm"]), f"{_word(c)} ({_fits(c)})",
         f"{c['distinguishable_seeds']} of {len(c['p_holm_per_seed'])}"]
        for c in comparisons
    ]  # fmt: skip


COMPARISON_HEADERS = ["pair (a vs b)", "a only right", "b only right", "McNemar p",
                      "Holm p", "verdict (majority votes)", "seeds apart (Holm < 0.05)"]  # fmt: skip


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
    kind, base, backbone = d["dataset"], d["baselines"], d["backbone"] or {}
    sha = (backbone.get("weights_sha256") or "n/a")[:12]
    ranking, comparisons = d["ranking"], d["comparisons"]
    seeds = max(b["test_acc"]["n"] for b in base.values())

    def rows(names):
        return [
            [n, lr_text(base[n]), interval(base[n]["val_acc"]), seeds_text(base[n]),
             accuracy(d["chosen_by_val"][n]), auc(d["chosen_by_val"][n]),
             constant_text(base[n])]
            for n in names if n in base
        ]  # fmt: skip

    headers = ["baseline", "lr chosen on validation", "val acc (mean)",
               "test acc, mean [95% t] over seeds", "first seed's run [95% Wilson]",
               "first seed's ROC AUC [95%]", "constant seeds"]  # fmt: skip
    apart = [c for c in comparisons if _word(c).startswith(("higher", "lower"))]
    out += [
        "",
        data_paragraph(s, kind),
        "",
        f"Pretrained backbone: {backbone.get('backbone')} (asked for: "
        f"`{backbone.get('requested')}`; weights `{backbone.get('weights_file')}`, sha256 "
        f"{sha}...). Each baseline's learning rate is chosen on validation accuracy from a "
        "sweep of one run per rate (the first seed, as the course runs it); that rate is then "
        f"trained with every seed ({seeds} for the course's baselines). Precision: "
        f"{precision_text(base)}.",
        "",
        table(headers, rows(ranking)),
        "",
        standin_warning(kind)
        + "Ranked by the mean test accuracy of the validation-chosen rate: "
        + " > ".join(ranking)
        + ". The order is a ranking of means only; which pairs it separates is decided "
        "on the shared test images, image by image, by McNemar's exact test on each "
        "baseline's majority vote over its seeds, Holm-corrected over all "
        f"{len(comparisons)} pairs (table below): {len(apart)} of {len(comparisons)} pairs are "
        "distinguishable"
        + (
            "; not distinguishable: "
            + ", ".join(
                f"{c['a']} vs {c['b']} ({_fits(c)}, Holm p = {pvalue(c['p_holm'])})"
                for c in comparisons
                if c not in apart
            )
            if len(apart) < len(comparisons)
            else ""
        )
        + ". "
        + not_apart(comparisons)
        + constants(base, ranking, d["constant_rule"])
        + " The ranking reads mean accuracies, the tests majority votes image by image: the "
        "two can disagree in sign where a pair is not distinguishable.",
        "",
        table(COMPARISON_HEADERS, comparison_rows(comparisons)),
        "",
        s.figure("error_analysis/test_acc_vs_lr", "test accuracy against learning rate"),
        "",
        *diagnosis_section(d.get("diagnosis", {})),
        "### Beyond the handout",
        "",
        table(headers, rows(("finetune_long", "scratch_backbone", "handmade"))),
        "",
        *extras(d),
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


def data_paragraph(s: Study, kind: str) -> str:
    """What the images are: their split sizes beside the course's, and the sample figure."""
    faces = s.results.get("prepare_faces", {})
    counts = {split: sum(c.values()) for split, c in faces.get("counts", {}).items()}
    size = faces.get("image_size", {})
    sizes = " / ".join(f"{counts.get(k, 0):,}" for k in COURSE_SPLITS)
    course = " / ".join(f"{n:,}" for n in COURSE_SPLITS.values())
    what = (
        "the synthetic stand-in (no course images were found): "
        "face-like images drawn at half resolution and brought to full size, real ones "
        "smoothly, fakes with a generator's nearest-neighbour and checkerboard traces, "
        f"stored at {size.get('width_max', 0):.0f} px, so that the resize to the networks' "
        "224 px (and to 64 px for XGBoost) shrinks the traces as it shrinks a photo's"
        if kind == "standin"
        else "the course images"
    )
    steps = -(-counts.get("train", 0) // 32)
    return (
        f"Dataset: **{kind}**, {what}. Train / validation / test images: {sizes} (the "
        f"course: about {course}); one epoch is {steps} batches of 32 (the course: 44).\n\n"
        + s.figure("prepare_faces/samples", "the first training images of each class")
    )


def precision_text(base: dict) -> str:
    """What precision each baseline ran in, grouped, from the baselines' summaries."""
    groups: dict[str, list[str]] = {}
    for name, b in base.items():
        groups.setdefault(b.get("precision") or "float32", []).append(name)
    if set(groups) == {"float32"}:
        return "float32 throughout"
    words = {"bfloat16": "bfloat16 autocast (matrix products in bfloat16; weights, gradients and "
                         "optimiser state in float32; frozen features and logits rounded to "
                         "bfloat16)"}  # fmt: skip
    return "; ".join(f"{words.get(p, p)} for {', '.join(names)}" for p, names in groups.items())


def not_apart(comparisons: list[dict]) -> str:
    close = [f"{c['a']} vs {c['b']} (Holm p = {pvalue(c['p_holm'])})" for c in comparisons
             if strength(c["p_holm"]) == "borderline"]  # fmt: skip
    return (
        f"Borderline (adjusted p between 0.01 and 0.1: a rerun on another CPU can move it): "
        f"{'; '.join(close)}. "
        if close
        else ""
    )


def constant_text(baseline: dict) -> str:
    n, flagged = len(baseline["seeds"]), baseline["constant_seeds"]
    return "none" if not flagged else f"{len(flagged)} of {n}"


def constants(base: dict, ranking: list[str], rule: str) -> str:
    flagged = [b for b in ranking if base[b]["constant_seeds"]]
    if not flagged:
        return f"No chosen run is constant (rule: {rule})."
    return (
        f"Constant runs (rule: {rule}): "
        + ", ".join(f"{b} ({constant_text(base[b])} seeds)" for b in flagged)
        + "; such a model's place in the ranking is that of a constant guess, not a finding."
    )


def diagnosis_section(diagnosis: dict) -> list[str]:
    """Why a network trained from scratch is constant: the same weights read four ways."""
    out = []
    for strategy, dx in diagnosis.items():
        rows = [[name, accuracy(v), auc(v), pvalue(v.get("test_auc_p")), f"{v['p_fake_spread']:.3f}",
                 "yes" if v["constant"] else "no"] for name, v in dx["variants"].items()]  # fmt: skip
        meaning = {
            "running statistics": "the weights rank the test images better than chance once "
            "batch norm uses batch statistics: the running statistics, moved only part of the "
            "way by the epoch's few updates, hide what the weights learnt",
            "too few steps": "the same weights stay at chance with batch statistics, and only "
            "training longer gives a model that ranks the images better than chance: the "
            "epoch is too short",
            "neither": "neither batch statistics nor a longer run give a model that ranks "
            "the images better than chance",
        }.get(dx["explanation"], "the model was not constant")
        p = dx.get("p_value")
        strength = (
            ""
            if p is None
            else f" (Mann-Whitney p = {pvalue(p)}"
            + (", borderline: a rerun on another CPU can flip it" if 0.01 <= p < 0.1 else "")
            + ")"
        )
        out += [
            f"### Why {strategy} is constant",
            "",
            f"{strategy}'s chosen run (first seed) predicts one class for every test image. "
            "Its weights read three ways (eval mode as trained, train mode, recomputed "
            f"statistics), and a run of the same rate and seed for {dx['longer_steps']} steps "
            f"(the course's epoch is 44); verdict by rule: **{dx['explanation']}**"
            f"{strength}: {meaning}. A variant ranks better than chance when its ROC AUC is "
            "above 0.5 with Mann-Whitney p < 0.05; the rule reads the batch-statistics variants "
            "first (the smaller p), then the longer run. The headline keeps the course "
            "protocol (eval mode, one epoch).",
            "",
            table(
                [
                    "variant",
                    "test acc [95% Wilson]",
                    "ROC AUC [95%]",
                    "AUC vs 0.5: p",
                    "p(fake) spread",
                    "constant",
                ],
                rows,
            ),
            "",
        ]
    return out


def one_class_runs(d: dict) -> list[str]:
    """Chosen runs that answer one class for every image yet rank the images (not
    constant): their threshold fails, not their ranking."""
    return [
        f"{name}'s first run answers one class for every test image yet ranks the images "
        f"(ROC AUC {auc(run)}): its threshold of 0.5 fails, not its ranking."
        for name, run in d["chosen_by_val"].items()
        if run.get("one_class") and not run.get("constant")
    ]


def changes(base: dict, long: str, short: str) -> str:
    """What ``long`` changes against ``short`` (their training records and rates), each
    named, so that no one change is credited with the difference."""
    if long not in base or short not in base:
        return f"{long} is compared with {short}"
    a, b = base[long].get("training") or {}, base[short].get("training") or {}
    named = []
    if a.get("epochs") != b.get("epochs"):
        named.append(f"{a.get('epochs')} epochs instead of {b.get('epochs')}")
    if a.get("schedule") != b.get("schedule"):
        named.append(f"a {a.get('schedule')} schedule instead of {b.get('schedule')}")
    if bool(a.get("augment")) != bool(b.get("augment")):
        named.append("augmentation (" + (a.get("augment") or "none") + ")")
    if base[long].get("rates") == 1 and base[short].get("rates", 1) > 1:
        named.append(f"one fixed rate ({lr_text(base[long])}; {short} chose {lr_text(base[short])} "
                     "on validation) instead of a sweep")  # fmt: skip
    count = {1: "one thing", 2: "two things", 3: "three things", 4: "four things"}
    return (
        f"{long} changes {count.get(len(named), f'{len(named)} things')} against {short}: "
        + "; ".join(named)
        + ("; the comparison credits none of them alone" if len(named) > 1 else "")
    )


def extras(d: dict) -> list[str]:
    """Sentences on the extras, each compared with what it changes (McNemar, own family)."""
    rows = d["extra_comparisons"]
    notes = {
        "finetune_long": changes(d["baselines"], "finetune_long", "finetune"),
        "scratch_backbone": "scratch_backbone is the pretrained strategies' architecture and "
        "input from random weights: against finetune it measures the ImageNet weights, "
        "against the course's scratch ResNet18 the architecture",
        "handmade": "handmade is a logistic regression on the high-pass residual energy of "
        "each colour channel, 3 numbers an image: how easy the data is",
    }
    out = [notes[name] + "." for name in notes if any(c["a"] == name for c in rows)]
    out += one_class_runs(d)
    if rows:
        out.append(
            "Each compared with what it changes: " + "; ".join(comparison(c) for c in rows) + "."
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
    kind = d["dataset"]
    q1 = [
        [r["baseline"], r["role"], lr_text(r), pct(r["val_acc"]), accuracy(r), auc(r),
         "yes" if r.get("constant") else "no", r["ties"] or "-"]
        for r in d["q1"]["rows"]
    ]  # fmt: skip
    out += [
        "",
        f"**Q1** ({d['q1']['rule']}; ties: other runs with the same test accuracy; constant: "
        f"{d['constant_rule']}):",
        "",
        table(
            [
                "baseline",
                "which",
                "learning rate",
                "val acc",
                "test acc [95% Wilson]",
                "ROC AUC [95%]",
                "constant",
                "ties",
            ],
            q1,
        ),
        "",
        (standin_warning(kind) + " ".join(why(d["q1"]["rows"]))).strip(),
        "",
    ]
    for i, q2 in enumerate(d["q2"]):
        out += q2_paragraph(q2, i)
    out.append(
        s.figure("error_analysis/best_right_worst_wrong", "best baseline right, worst wrong")
    )
    return "\n".join(out)


def q2_paragraph(q2: dict, i: int) -> list[str]:
    """One (best, worst) pair of Q2: who they are, how the images were chosen, the table."""
    best, worst = q2["best"], q2["worst"]
    shown = len(q2["shown_files"])
    count = f"all {shown} such images" if q2["fewer_than_five"] else f"5 of the {q2['candidates']}"
    images = [
        [f"`{f}`", label, f"{b:.2f}", f"{w:.2f}"]
        for f, label, b, w in zip(q2["shown_files"], q2["shown_labels"], q2["best_p_fake"],
                                  q2["worst_p_fake"], strict=True)
    ]  # fmt: skip
    if i == 0:
        lead = (f"**Q2**: the best baseline by mean test accuracy, {best['baseline']}, against "
                f"the worst, {worst['baseline']}, each by its first seed's run at the rate "
                "chosen on validation")  # fmt: skip
    else:
        lead = (f"**Q2, against the worst baseline that is not constant**: {best['baseline']} "
                f"against {worst['baseline']}")  # fmt: skip
    constant = (
        f" {worst['baseline']}'s run is constant: it gives every image the same answer, so "
        "its mistakes are all the images of one class and its confidence orders nothing; the "
        f"images are ordered by {best['baseline']}'s confidence instead."
        if q2["worst_constant"]
        else ""
    )
    return [
        f"{lead} ({best['baseline']} {lr_text(best)}: {accuracy(best)}; {worst['baseline']} "
        f"{lr_text(worst)}: {accuracy(worst)}). {q2['candidates']} test images are right for "
        f"the first and wrong for the second; shown: {count}, by rule ({q2['rule']})."
        + constant
        + one_class(q2, worst["baseline"]),
        "",
        table(
            ["file", "true", f"{best['baseline']} p(fake)", f"{worst['baseline']} p(fake)"], images
        )
        if images
        else "*No test image qualifies.*",
        "",
    ]


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
        flagged = [r for r in runs if r.get("constant")]
        if len(flagged) == len(runs):
            out.append(
                f"{baseline}'s best, second and worst runs are all constant (one class for "
                "every test image, ranking no better than chance): their order is a tie-break "
                "between constant guesses, not a ranking of learning rates."
            )
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
            if worst.get("test_auc_high") is not None and worst["test_auc_high"] < 0.5:
                text += (
                    f", but its ROC AUC {auc(worst)} lies below 0.5: it ranks the classes the "
                    "wrong way round, more than chance would"
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
        if flagged:
            text += (
                f"; constant (one class for every image): {', '.join(lr_text(r) for r in flagged)}"
            )
        out.append(text + ".")
    return out

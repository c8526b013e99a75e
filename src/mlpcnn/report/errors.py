"""Section 7.6 of the report (deepfake): the error analysis, Q1 (best and worst runs and
why) and Q2 (the images the best baseline gets right and the worst gets wrong)."""

from __future__ import annotations

from mlpcnn.report.faces import (
    COURSE_BASELINES,
    STANDIN_CUES,
    accuracy,
    auc,
    called_fake,
    lr_text,
    names_text,
    plain,
    standin_warning,
)
from mlpcnn.report.markdown import absent, capital, opening, pct, table
from mlpcnn.report.study import Study

THRESHOLD_RULE = (
    "a run's threshold of 0.5 fails when the run ranks the test images well (the 95% "
    "interval of its AUC above 0.5 and the AUC at least 0.8) yet calls under 30% or over "
    "70% of them fake (the test set is half fake)"
)


GOOD_RANKING = 0.8


def ranks_well(run: dict) -> bool:
    """The ranking half of :data:`THRESHOLD_RULE`: better than chance, AUC at least 0.8."""
    return run.get("ranking") == "better than chance" and (run.get("test_auc") or 0) >= GOOD_RANKING


def threshold_fails(run: dict) -> bool:
    """:data:`THRESHOLD_RULE`."""
    share = run.get("called_fake")
    return bool(ranks_well(run) and share is not None and not 0.3 <= share <= 0.7)


def threshold_text(run: dict) -> str:
    if not ranks_well(run):
        return "n/a (no good ranking)"
    return "fails" if threshold_fails(run) else "holds"


WHY_BEST_RULE = (
    "the two are not apart when the second's accuracy lies in the best's 95% Wilson "
    "interval; else the best wins by its ranking when the 95% intervals of the two AUCs do "
    "not overlap, and at the threshold when they do"
)


def why_best(best: dict, second: dict) -> str:
    """Why ``best`` beats ``second`` of one sweep (:data:`WHY_BEST_RULE`)."""
    if best["test_acc"] == second["test_acc"]:
        return "tied: the order is the tie-break's"
    if second["test_acc"] >= best["test_acc_low"]:
        return "not apart: the second's accuracy lies in the best's 95% interval"
    a, b = (best.get(k) for k in ("test_auc_low", "test_auc_high"))
    c, d = (second.get(k) for k in ("test_auc_low", "test_auc_high"))
    if None in (a, b, c, d):
        return "n/a"
    if a > d:
        return "ranks better"
    if c > b:
        return "ranks worse, wins at the threshold"
    return f"ranks alike; the second calls {called_fake(second)} fake"


def q1_answer(rows: list[dict], base: dict) -> str:
    """7.6 Q1's answer, three sentences: why each best run beats its second, where the
    worst runs end, and where a low accuracy is the threshold's failure."""
    by = {}
    for r in rows:
        by.setdefault(r["baseline"], {})[r["role"]] = r
    seconds = {
        n: next((r[k] for k in r if k.startswith("second best")), None) for n, r in by.items()
    }
    reasons = {n: why_best(r["best"], seconds[n]) for n, r in by.items()
               if "best" in r and seconds[n] is not None}  # fmt: skip
    tied = [n for n, w in reasons.items() if w.startswith("tied")]
    clauses = []
    for n, why_ in reasons.items():
        who = plain(n)
        if why_.startswith("tied"):
            clauses.append(f"for {who}, all rates end at the same accuracy")
        elif why_.startswith("not apart"):
            clauses.append(f"for {who}, the second's accuracy lies in the best's 95% interval")
        elif why_ == "ranks better":
            clauses.append(f"for {who}, the best rate ranks the images better than the second")
        elif why_.startswith("ranks alike"):
            share = called_fake(seconds[n])
            clauses.append(f"for {who}, the best and second rates rank the images alike, and "
                           f"the second calls {share} of them fake")  # fmt: skip
        else:
            clauses.append(
                f"for {who}, the best rate ranks worse than the second yet gets more images right"
            )
    first = "; ".join(clauses)
    worst = [r for r in rows if "worst" in r["role"] and r["baseline"] not in tied]
    flat = [plain(r["baseline"]) for r in worst if r.get("final_train_loss") is not None
            and abs(r["final_train_loss"] - LN2) < 0.05]  # fmt: skip
    over = [plain(r["baseline"]) for r in worst if r.get("final_train_loss") is not None
            and r["final_train_loss"] >= LN2 + 0.05]  # fmt: skip
    second = ", and ".join(x for x in (
        f"the worst runs of {names_text(flat)} end the epoch with a training loss near ln 2, "
        "that of a constant guess" if flat else "",
        f"{'those' if flat else 'the worst runs'} of {names_text(over)} end above it" if over else "",
    ) if x)  # fmt: skip
    failed = [
        f"{plain(name)} seed {p['seed']} (AUC {p['test_auc']:.3f}, calls {called_fake(p)} fake)"
        for name, b in base.items() if name in COURSE_BASELINES
        for p in b.get("per_seed", []) if threshold_fails(p)
    ]  # fmt: skip
    third = (
        "A low accuracy with a good ranking is the threshold's failure: " + "; ".join(failed) + "."
        if failed
        else "No seed of a chosen rate ranks the images well yet fails at the 0.5 threshold."
    )
    return " ".join(x for x in ("**Answer.**", _sentence(first), _sentence(second), third) if x)


def _sentence(text: str) -> str:
    return f"{capital(text)}." if text else ""


def section_errors(s: Study) -> str:
    d = s.results.get("error_analysis")
    out = opening(
        "## 7.6: error analysis",
        "**Q1** (handout 7.6): for each baseline, its two best runs and its worst, and why.",
    )
    if not d:
        return absent(out, "error_analysis")
    kind, rows = d["dataset"], d["q1"]["rows"]
    second = {r["baseline"]: r for r in rows if r["role"].startswith("second best")}
    q1 = [
        [r["baseline"], r["role"], lr_text(r), pct(r["val_acc"]), accuracy(r), auc(r),
         r.get("ranking") or "n/a", called_fake(r),
         "n/a" if r.get("final_train_loss") is None else f"{r['final_train_loss']:.3f}",
         "yes" if r.get("constant") else "no", r["ties"] or "-",
         why_best(r, second[r["baseline"]]) if r["role"] == "best" and r["baseline"] in second
         else "-"]
        for r in rows
    ]  # fmt: skip
    seeds = [
        [name, str(p["seed"]), pct(p["test_acc"]), auc(p), p.get("ranking") or "n/a",
         called_fake(p), threshold_text(p)]
        for name, b in d["baselines"].items() if name in COURSE_BASELINES and b.get("lr")
        for p in b.get("per_seed", [])
    ]  # fmt: skip
    out += [
        "",
        q1_answer(rows, d["baselines"]),
        "",
        "The runs of each sweep are its first seed's, picked by the rule in the appendix. Ties "
        "are other runs with the same test accuracy. The last column says why the best beats "
        "the second, by the appendix's rule.",
        "",
        table(
            [
                "baseline",
                "which",
                "learning rate",
                "val acc",
                "test acc [95% Wilson]",
                "ROC AUC [95%]",
                "ranks",
                "calls fake",
                "final training loss",
                "constant",
                "ties",
                "why the best beats the second",
            ],
            q1,
        ),
        "",
        standin_warning(kind).strip(),
        "",
        table(
            ["baseline", "why its worst run is worst"],
            [[plain(b), text] for b, text in why(rows).items()],
        ),
        "",
        "The chosen rate of each swept baseline, seed by seed. The threshold column follows "
        "the threshold rule in the appendix.",
        "",
        table(
            [
                "baseline",
                "seed",
                "test acc",
                "ROC AUC [95%]",
                "ranks",
                "calls fake",
                "threshold leans to",
            ],
            seeds,
        ),
        "",
        "**Q2** (handout 7.6): five test images the best baseline gets right and the worst "
        "gets wrong.",
        "",
    ]
    for i, q2 in enumerate(d["q2"]):
        out += q2_paragraph(q2, i, d["chosen_by_val"])
    out.append(
        s.figure("error_analysis/best_right_worst_wrong", "best baseline right, worst wrong")
    )
    return "\n".join(out)


def q2_paragraph(q2: dict, i: int, chosen: dict) -> list[str]:
    """One (best, worst) pair of Q2: the answer (what the images share), how they were
    chosen, the table."""
    best, worst = q2["best"], q2["worst"]
    shown = len(q2["shown_files"])
    count = f"all {shown} such images" if q2["fewer_than_five"] else f"5 of the {q2['candidates']}"
    traits = q2.get("shown_traits") or {}
    cue_names = traits.get("cue_names", [])
    images = []
    for k, (f, label, b, w) in enumerate(zip(q2["shown_files"], q2["shown_labels"],
                                             q2["best_p_fake"], q2["worst_p_fake"], strict=True)):  # fmt: skip
        energy = traits.get("energy_percentile", [None] * shown)[k]
        cues = (traits.get("cues") or [None] * shown)[k]
        images.append([f"`{f}`", label, f"{b:.2f}", f"{w:.2f}",
                       "n/a" if energy is None else f"{energy:.0f}",
                       *(["-"] * len(cue_names) if cues is None else [f"{c:.2f}" for c in cues])])  # fmt: skip
    medians = traits.get("cue_median_of_test_fakes")
    if images and medians:
        images.append(["median of the test fakes", "", "", "", "50",
                       *(f"{m:.2f}" for m in medians)])  # fmt: skip
    b, w = capital(plain(best["baseline"])), plain(worst["baseline"])
    lead = (
        f"{b} is the best baseline and {w} the worst, each by its first seed's run at the "
        "rate chosen on validation."
        if i == 0
        else f"Against the worst baseline that is not constant, {w}."
    )
    worst_rank = chosen.get(worst["baseline"], worst).get("ranking")
    caveat = (
        f" {capital(plain(worst['baseline']))} ranks the test "
        "images at chance, so which images it gets wrong says little about them."
        if worst_rank in ("at chance", None) or q2["worst_constant"]
        else ""
    )
    constant = (
        f" The run of {w} is constant: its mistakes are all the images of one class, "
        f"so the images are ordered by {plain(best['baseline'])}'s confidence."
        if q2["worst_constant"]
        else ""
    )
    return [
        f"**Answer{'' if i == 0 else ' (second pair)'}.** {shared_text(q2)}{caveat}",
        "",
        f"{lead} {b} reaches {accuracy(best)} at {lr_text(best)}, {w} {accuracy(worst)} at "
        f"{lr_text(worst)}. Of the test images, {q2['candidates']} are right for the first and wrong "
        f"for the second; shown: {count}. "
        + (
            "They are chosen by the shown-images rule in the appendix."
            if i == 0
            else "They are chosen by the same rule."
        )
        + constant
        + one_class(q2, w),
        "",
        table(
            [
                "file",
                "true",
                f"{best['baseline']} p(fake)",
                f"{worst['baseline']} p(fake)",
                "fine-scale energy (percentile in its class)",
                *(STANDIN_CUES.get(n, (n,))[0] for n in cue_names),
            ],
            images,
        )
        if images
        else "*No test image qualifies.*",
        "",
    ]


def shared_text(q2: dict) -> str:
    """What the shown images share, by the traits' rule: the classes, where their
    fine-scale energy sits within their class, and (stand-in) which traces every shown
    fake carries weaker than the median test fake."""
    labels, traits = q2["shown_labels"], q2.get("shown_traits") or {}
    if not labels:
        return "No test image qualifies."
    counts = {c: labels.count(c) for c in ("real", "fake") if c in labels}
    parts = [" and ".join(f"{n} {c}" for c, n in counts.items()) if len(counts) > 1
             else f"all {next(iter(counts))}"]  # fmt: skip
    energy = traits.get("energy_percentile") or []
    for c in counts:
        mine = [e for e, label in zip(energy, labels, strict=True) if label == c]
        if mine and all(e < 50 for e in mine):
            parts.append(f"every {c} one has less fine-scale energy than most {c} test images")
        elif mine and all(e > 50 for e in mine):
            parts.append(f"every {c} one has more fine-scale energy than most {c} test images")
    cues, medians = traits.get("cues"), traits.get("cue_median_of_test_fakes")
    if cues and medians:
        fakes = [c for c in cues if c is not None]
        weak = [STANDIN_CUES.get(name, (name,))[0] for j, name in enumerate(traits["cue_names"])
                if fakes and all(f[j] < medians[j] for f in fakes)]  # fmt: skip
        if weak:
            parts.append(
                f"every fake one carries a weaker {names_text(weak)} than the median test fake"
            )
    if len(parts) == 1:
        return f"The {len(labels)} shown images are {parts[0]}; by these measures they share nothing else."
    return f"The {len(labels)} shown images are {parts[0]}; " + "; ".join(parts[1:]) + "."


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


def why(rows: list[dict]) -> dict[str, str]:
    """Per swept baseline, why its worst run is worst, from what the runs record: its step
    size against the best run's, its training loss at the end, whether it is at chance."""
    out = {}
    for baseline in dict.fromkeys(r["baseline"] for r in rows):
        runs = [r for r in rows if r["baseline"] == baseline]
        best, worst = runs[0], runs[-1]
        if worst.get("lr") is None or len(runs) < 2:
            continue
        flagged = [r for r in runs if r.get("constant")]
        if len(flagged) == len(runs):
            out[baseline] = (
                f"{capital(plain(baseline))}'s best, second and worst runs are all constant (one class for "
                "every test image, ranking no better than chance): their order is a tie-break "
                "between constant guesses, not a ranking of learning rates."
            )
            continue
        if worst["test_acc"] == best["test_acc"]:
            text = (
                f"{capital(plain(baseline))}'s runs all end at {pct(worst['test_acc'])} test accuracy, so its best "
                f"and worst ({lr_text(worst)}) differ only by the tie-break"
            )
        else:
            step = "larger" if worst["lr"] > best["lr"] else "smaller"
            text = (
                f"{capital(plain(baseline))}'s worst run takes a {step} step ({lr_text(worst)}) than its best "
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
                f"; constant (one class for every image, ranking no better than chance): "
                f"{', '.join(lr_text(r) for r in flagged)}"
            )
        out[baseline] = text + "."
    return out

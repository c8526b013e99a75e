"""Section 7.4 (faces) of the report and the words section 7 shares (7.6 is
``report.errors``), each sentence built from the study's results alone.

A baseline's figure is the mean test accuracy over seeds of its validation-chosen rate
(Student-t interval); a single run's accuracy carries its 95% Wilson interval. Baselines
are compared on the same test images by McNemar's exact test (the seeds' majority votes),
Holm-corrected over the pairs of a table; "not distinguishable with N seeds" is never
"tied". A run flagged constant (one class for every image, ranking no better than chance)
is named as such, never ranked by tie-breaks. The course reports' figures come from the
course's images and sit in a table of their own, never ranked with this run's numbers.
"""

from __future__ import annotations

from mlpcnn.report.markdown import (
    absent,
    borderline,
    capital,
    interval,
    opening,
    pct,
    pvalue,
    table,
)
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


def _fits(c: dict) -> str:
    """How many distinct fits the majority votes rest on (deterministic seeds count once)."""
    n, shared = c["seeds"], len(c.get("p_holm_per_seed") or {}) or None
    if shared == 1:
        return "one shared seed's runs"
    return f"majority votes; {n} distinct fit{'s' * (n != 1)} on the side with fewer"


def _word(c: dict) -> str:
    """A comparison's verdict from its numbers: higher / lower / not distinguishable."""
    if c["p_holm"] is None:
        return "not tested"
    word = (("higher" if c["difference"] > 0 else "lower") if c["p_holm"] < ALPHA
            else "not distinguishable")  # fmt: skip
    return word + borderline(c["p_holm"], " (borderline)")


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


# The stand-in's traces of a fake (src/mlpcnn/faces/standin.py; the names are its CUES,
# which a test holds equal): what each imitates, and at what scale it lives.
STANDIN_CUES = {
    "fingerprint": ("up-sampling fingerprint", "a generator's up-sampling layers leave a "
                    "periodic pattern", "periods of 2, 4 and 8 pixels"),
    "colour_noise": ("colour and noise", "no camera sensor noise; tones and colours kept "
                     "from the extremes", "every pixel (noise), the whole image (colour)"),
    "seam": ("blending seam", "a face swap pastes a resized face with a soft mask",
             "the face's outline, a colour step and a blur"),
    "texture": ("smooth skin", "a generator loses fine skin texture", "a few pixels, on the skin"),
}  # fmt: skip


def source_line(s: Study) -> str:
    """The report's first lines on section 7: where the images come from and which
    precision made the numbers (bfloat16 on one CPU, float32 on another give others)."""
    kind = s.results.get("prepare_faces", {}).get("dataset")
    what = {"standin": "**a synthetic stand-in**, not the course images",
            "course": "**the course images**"}.get(kind, "not in this run")  # fmt: skip
    base = s.results.get("error_analysis", {}).get("baselines", {})
    if not base:
        return f"Deepfake data: {what}."
    return f"Deepfake data: {what}. Deepfake precision: {precision_text(base)}." + (
        " A CPU without native bfloat16 runs float32 instead and gives other numbers."
        if any(b.get("precision") == "bfloat16" for b in base.values())
        else ""
    )


def chosen_text(b: dict) -> str:
    """The rate chosen on validation, and the tie it broke: ``lr 0.1 (tied with 4 others;
    the first in the sweep)``."""
    ties = b.get("tied_on_val_acc") or []
    if not ties:
        return lr_text(b)
    others = f"{len(ties)} other rate{'s' * (len(ties) != 1)}"
    return f"{lr_text(b)} (tied with {others}; the first in the sweep)"


def over_seeds(b: dict, figure: str) -> str:
    """A mean over seeds with its interval; seeds that gave one fit: the figure alone."""
    n = b[figure]["n"]
    if n > 1 and (b.get("distinct_fits") == 1 or b[figure].get("sd") == 0):
        return f"{pct(b[figure]['mean'])}, all {n} seeds the same"
    return f"{interval(b[figure])}, {n} seed{'s' * (n != 1)}"


def called_fake(run: dict) -> str:
    share = run.get("called_fake")
    return "n/a" if share is None else f"{100 * share:.1f}%"


PLAIN = {  # how a sentence names a baseline (tables keep the stage's names)
    "xgboost": "XGBoost on raw pixels",
    "scratch": "ResNet18 trained from scratch",
    "linear_probe": "the linear probe",
    "sklearn_logreg": "logistic regression on frozen features",
    "finetune": "fine-tuning",
    "finetune_long": "longer fine-tuning",
    "scratch_backbone": "the pretrained architecture from scratch",
    "handmade": "the hand-made detector",
}


def plain(name: str) -> str:
    return PLAIN.get(name, name)


def _tied(comparisons: list[dict], a: str, b: str) -> bool:
    """Whether a and b were compared and are not distinguishable image by image."""
    c = next((c for c in comparisons if {c["a"], c["b"]} == {a, b}), None)
    return bool(c and c["p_holm"] is not None and c["p_holm"] >= ALPHA)


def groups(d: dict) -> tuple[list[str], list[str]]:
    """The baselines not distinguishable image by image from the best (the leaders), and
    those not distinguishable from the worst (the last), in ranking order."""
    ranking, comparisons = d["ranking"], d["comparisons"]
    best, worst = ranking[0], ranking[-1]
    lead = [b for b in ranking if b == best or _tied(comparisons, best, b)]
    last = [b for b in ranking if b not in lead and (b == worst or _tied(comparisons, worst, b))]
    return lead, last


def best_line(d: dict) -> str:
    """Section 7.4's answer, three sentences: which baselines lead (none of them apart
    from the best image by image), which trail, and what the numbers rest on."""
    base, kind = d["baselines"], d["dataset"]
    lead, last = groups(d)

    def listed(names: list[str]) -> str:
        return names_text([plain(n) for n in names])

    within = (" no pair among them differs image by image" if len(lead) > 1
              else " it differs from the runner-up image by image")  # fmt: skip
    trail = (
        f"{listed(last)} trail" + (", not distinguishable from each other" if len(last) > 1 else "")
        + (", borderline" if len(last) > 1 and any(strength(c["p_holm"]) == "borderline"
           for c in d["comparisons"] if {c["a"], c["b"]} <= set(last)) else "")
        + "."
        if last else ""
    )  # fmt: skip
    data = ("These are the stand-in's numbers: the order is a property of its traces and "
            "of each baseline's input, not a finding about the course images."
            if kind == "standin" else "These are the course images' numbers.")  # fmt: skip
    first = (f"After one epoch, {listed(lead)} lead{'' if len(lead) > 1 else 's'} in test "
             f"accuracy, and{within}; {plain(lead[0])} reaches "
             f"{over_seeds(base[lead[0]], 'test_acc')}.")  # fmt: skip
    return " ".join(x for x in ("**Answer.**", first, capital(trail), data) if x)


def backbone_text(backbone: dict) -> str:
    """Which pretrained network the pretrained baselines use, and why, in plain words."""
    name = backbone.get("backbone")
    sha = (backbone.get("weights_sha256") or "n/a")[:12]
    weights = f"(weights `{backbone.get('weights_file')}`, sha256 {sha}...)"
    if name == "resnet18":
        return f"The pretrained baselines use ResNet18 with ImageNet weights, as the handout asks {weights}."
    why = (" because the handout's ResNet18 weights were not in the torch hub cache and this "
           "run had no network" if backbone.get("requested") == "auto" else " as asked")  # fmt: skip
    return (f"The pretrained baselines use EfficientNet-Lite0 with ImageNet weights instead of "
            f"the handout's ResNet18{why} {weights}.")  # fmt: skip


def section_deepfake(s: Study) -> str:
    d = s.results.get("error_analysis")
    out = opening(
        "## 7.4: deepfake baselines",
        "**Question** (handout 7.4): which baseline tells real from fake faces best after "
        "one epoch?",
    )
    if not d:
        return absent(out, "error_analysis")
    kind, base, backbone = d["dataset"], d["baselines"], d["backbone"] or {}
    ranking, comparisons = d["ranking"], d["comparisons"]
    seeds = max(b["test_acc"]["n"] for b in base.values())
    apart = [c for c in comparisons if _word(c).startswith(("higher", "lower"))]
    out += [
        "",
        best_line(d),
        "",
        *images_section(s, kind),
        "### The baselines",
        "",
        backbone_text(backbone)
        + " Each baseline's learning rate is chosen on validation accuracy from a "
        "sweep of one run per rate with the first seed, as the course runs it. "
        f"A tie goes to the first rate in the sweep's order. The chosen rate is then trained "
        f"with every seed ({seeds} for the course's baselines).",
        "",
        table(BASELINE_HEADERS, baseline_rows(d, ranking)),
        "",
        "Accuracy reads the threshold of 0.5, the ROC AUC the ranking of the images. "
        + constants(base, ranking, d["constant_rule"]),
        "",
        f"In all, {len(apart)} of {len(comparisons)} pairs differ image by image (McNemar's exact "
        "test on the seeds' majority votes, Holm over the pairs). "
        "The order of the means is not itself a finding where a pair does not differ.",
        "",
        table(COMPARISON_HEADERS, comparison_rows(comparisons)),
        "",
        s.figure("error_analysis/test_acc_vs_lr", "test accuracy against learning rate"),
        "",
        *diagnosis_section(d.get("diagnosis", {})),
        *extras_section(d),
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


RANKING_WORDS = (
    "a run ranks better than chance when the 95% interval of its AUC lies above 0.5, at "
    "chance when it holds 0.5"
)


BASELINE_HEADERS = ["baseline", "lr chosen on validation", "val acc over seeds",
                    "test acc over seeds [95% t]", "first seed: test acc [95% Wilson]",
                    "first seed: ROC AUC [95%]", "first seed: ranks", "first seed: calls fake",
                    "constant seeds"]  # fmt: skip


def baseline_rows(d: dict, names) -> list[list[str]]:
    base, first = d["baselines"], d["chosen_by_val"]
    return [
        [n, chosen_text(base[n]), over_seeds(base[n], "val_acc"), over_seeds(base[n], "test_acc"),
         accuracy(first[n]), auc(first[n]), first[n].get("ranking") or "n/a",
         called_fake(first[n]), constant_text(base[n])]
        for n in names if n in base
    ]  # fmt: skip


def images_section(s: Study, kind: str) -> list[str]:
    """The images: sizes beside the course's, the samples and the spectra; on the
    stand-in, what it can and cannot tell."""
    faces = s.results.get("prepare_faces", {})
    counts = {split: sum(c.values()) for split, c in faces.get("counts", {}).items()}
    sizes = " / ".join(f"{counts.get(k, 0):,}" for k in COURSE_SPLITS)
    course = " / ".join(f"{n:,}" for n in COURSE_SPLITS.values())
    steps = -(-counts.get("train", 0) // 32)
    side = faces.get("image_size", {}).get("width_max", 0)
    inputs = faces.get("inputs", {})
    out = [
        "### The images",
        "",
        f"{'The synthetic stand-in' if kind == 'standin' else 'The course images'}: "
        f"{sizes} train / validation / test images (the course: about {course}). "
        f"One epoch is {steps} batches of 32 (the course: 44).",
        "",
        table(["input", "what the baseline sees"], [[name, text] for name, text in inputs.items()]),
        *(
            [
                "",
                "XGBoost sees the whole image shrunk to 64 px, where the course notebook crops the "
                "centre 64 px of a 224-px image; `prepare_faces.xgboost_input: centre_crop` restores "
                "the course's input.",
            ]
            if inputs.get("xgboost", "").startswith("resize the whole")
            else []
        ),
        "",
    ]
    if kind == "standin":
        out += [
            f"**What the stand-in can and cannot tell.** Its images are drawn at {side:.0f} px, "
            "larger than any baseline's input, so each input shrinks them as it would shrink a photo. "
            "Real and fake faces come from one renderer: nothing in the content tells them "
            "apart. A fake carries four traces that detectors of generated faces look for, "
            "each at a strength drawn uniformly per image, independently of the others.",
            "",
            table(
                ["trace", "what it imitates", "where it lives"],
                [list(v) for v in STANDIN_CUES.values()],
            ),
            "",
            "The traces live at different scales and the inputs shrink the images by "
            "different factors, so each input keeps a different share of them; how much of "
            "each trace each input keeps is not measured here. The ranking below is a "
            "property of these traces and inputs. Only a run on the course images, whose "
            "traces are a real generator's, can rank the baselines for the handout "
            "(`data/raw/whichfaceisreal/README.md` says how).",
            "",
        ]
    out += [
        s.figure("prepare_faces/samples", "the first training images of each class"),
        "",
        "The mean spectrum of the images' finest detail, the classic forensic figure: a "
        "generator's up-sampling shows as peaks, a camera's noise as an even floor.",
        "",
        s.figure("prepare_faces/spectrum", "mean amplitude spectrum, real against fake"),
        "",
    ]
    peaks = faces.get("spectrum_peaks")
    if peaks:
        out += [
            table(
                ["period", "real: peak over its neighbours", "fake: peak over its neighbours"],
                [
                    [
                        k.removeprefix("period_").replace("px", " px"),
                        f"{v.get('0_real', 0):.2f}",
                        f"{v.get('1_fake', 0):.2f}",
                    ]
                    for k, v in peaks.items()
                ],
            ),
            "",
        ]
    return out


def precision_text(base: dict) -> str:
    """What precision each baseline ran in, grouped, from the baselines' summaries."""
    groups: dict[str, list[str]] = {}
    for name, b in base.items():
        groups.setdefault(b.get("precision") or "float32", []).append(name)
    if set(groups) == {"float32"}:
        return "float32 throughout"
    words = {"bfloat16": "bfloat16 autocast (matrix products in bfloat16, weights in float32)"}
    return "; ".join(f"{words.get(p, p)} for {names_text([plain(n) for n in names])}"
                     for p, names in groups.items())  # fmt: skip


def constant_text(baseline: dict) -> str:
    n, flagged = len(baseline["seeds"]), baseline["constant_seeds"]
    return "none" if not flagged else f"{len(flagged)} of {n}"


def constants(base: dict, ranking: list[str], rule: str) -> str:
    flagged = [b for b in ranking if base[b]["constant_seeds"]]
    if not flagged:
        return "No chosen run is constant by the appendix's rule."
    return (
        "Constant runs: "
        + ", ".join(f"{b} in {constant_text(base[b])} seeds" for b in flagged)
        + ". Constant is defined in the appendix. Such a model's place in the ranking is "
        "that of a constant guess, not a finding."
    )


CAUSES = {
    "running statistics": "batch norm's running statistics: with batch statistics (train "
    "mode, or statistics recomputed on the training set) the same weights answer both classes",
    "too few steps": "too few steps: with batch statistics the weights still give one answer, "
    "and only the longer run answers both classes",
    "neither": "neither its running statistics nor its step count: no variant answers both classes",
}


def diagnosis_section(diagnosis: dict) -> list[str]:
    """Why a network trained from scratch is constant, two questions apart: what makes its
    output constant, and whether its weights rank the images at all."""
    out = []
    for strategy, dx in diagnosis.items():
        if dx["explanation"] not in CAUSES:
            continue
        rows = [[name, accuracy(v), auc(v), pvalue(v.get("test_auc_p")),
                 f"{v['p_fake_spread']:.3f}", "no" if v.get("one_class", True) else "yes",
                 "yes" if v["constant"] else "no"] for name, v in dx["variants"].items()]  # fmt: skip
        p = dx.get("p_value")
        flag = borderline(p)
        ranking = (
            f"{', '.join(dx['ranked_by'])} rank the test images better than chance "
            f"(p = {pvalue(p)}{flag}): the weights learnt something the constant output hides."
            if dx.get("ranked_by")
            else "No variant ranks the test images better than chance ("
            + (
                "none has an AUC above 0.5"
                if p is None or p >= 1
                else f"smallest p = {pvalue(p)}{flag}"
            )
            + "): this seed's weights learnt nothing that tells the classes apart the right way round."
        )
        out += [
            f"### Why {strategy} is constant",
            "",
            f"**Answer.** The chosen run of {plain(strategy)} (first seed) gives every test image "
            "the same answer. "
            f"That is consistent with {CAUSES[dx['explanation']]}. {ranking}",
            "",
            f"The same weights are read in eval mode as trained, in train mode and with "
            f"recomputed statistics; a second run of the same rate and seed trains for "
            f"{dx['longer_steps']} steps (the course's epoch is 44). A variant ranks better "
            "than chance when its AUC is above 0.5 with Mann-Whitney p < 0.05. The headline "
            "keeps the course's protocol (eval mode, one epoch).",
            "",
            table(
                [
                    "variant",
                    "test acc [95% Wilson]",
                    "ROC AUC [95%]",
                    "AUC vs 0.5: p",
                    "p(fake) spread",
                    "answers both classes",
                    "constant",
                ],
                rows,
            ),
            "",
        ]
    return out


EXTRAS = ("finetune_long", "scratch_backbone", "handmade")


def extras_section(d: dict) -> list[str]:
    """The extras: their table, what each changes, and each against what it changes."""
    names = [n for n in EXTRAS if n in d["baselines"]]
    if not names:
        return []
    rows = d["extra_comparisons"]
    notes = {
        "finetune_long": changes(d["baselines"], "finetune_long", "finetune"),
        "scratch_backbone": "The pretrained architecture from scratch has the pretrained "
        "baselines' architecture and input with random weights. Against fine-tuning it measures "
        "the ImageNet weights, against ResNet18 from scratch the architecture",
        "handmade": "The hand-made detector is a logistic regression on three numbers an image, "
        "the fine-scale energy of each colour channel: how far a simple cue goes",
    }
    lead = [notes[n] for n in names if n == "finetune_long"]
    out = [notes[n] + "." for n in names if n != "finetune_long"]
    out += one_class_runs(d)
    return [
        "### Beyond the handout",
        "",
        f"**Answer.** {extras_answer(rows)}",
        "",
        table(BASELINE_HEADERS, baseline_rows(d, names)),
        "",
        *lead,
        " ".join(out),
        "",
        f"Each extra against what it changes, on the same test images (McNemar's exact test "
        f"on the majority votes over the seeds each pair shares, Holm over these {len(rows)} "
        "pairs; an extra trained with one seed meets that seed's run):",
        "",
        table(COMPARISON_HEADERS, comparison_rows(rows)),
        "",
    ]


def extras_answer(rows: list[dict]) -> str:
    """Each extra against the first course baseline it is compared with, image by image:
    one clause an extra, at most three sentences."""
    firsts = {}
    for c in rows:
        firsts.setdefault(c["a"], c)
    said = []
    for c in list(firsts.values())[:3]:
        word = _word(c).replace(" (borderline)", ", borderline")
        verb = (
            "is not distinguishable from"
            if word.startswith("not")
            else "gets more images right than"
            if word.startswith("higher")
            else "gets fewer images right than"
        )
        said.append(f"{capital(plain(c['a']))} {verb} {plain(c['b'])}"
                    + (", borderline" if "borderline" in word else "")
                    + f" (Holm p = {pvalue(c['p_holm'])}).")  # fmt: skip
    return " ".join(said) if said else "n/a"


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
        named.append(f"Epochs: {a.get('epochs')} instead of {b.get('epochs')}.")
    if a.get("schedule") != b.get("schedule"):
        named.append(f"Schedule: {a.get('schedule')} instead of {b.get('schedule')}.")
    if bool(a.get("augment")) != bool(b.get("augment")):
        named.append("Augmentation: " + (a.get("augment") or "none") + ".")
    if base[long].get("rates") == 1 and base[short].get("rates", 1) > 1:
        named.append(f"Rate: one fixed, {lr_text(base[long])}, instead of a sweep; "
                     f"{plain(short)} chose {lr_text(base[short])} on validation.")  # fmt: skip
    count = {1: "one thing", 2: "two things", 3: "three things", 4: "four things"}
    return (
        f"{capital(plain(long))} changes {count.get(len(named), f'{len(named)} things')} against "
        f"{plain(short)}"
        + (", and the comparison credits none of them alone." if len(named) > 1 else ".")
        + ("\n" if named else "")  # the list a paragraph of its own, as Markdown renders it
        + "".join(f"\n- {n}" for n in named)
        + "\n"
    )  # a list: its caller starts a new paragraph after it


def references(s: Study) -> list[list[str]]:
    rows = []
    for name in COURSE_BASELINES:
        refs = [s.reference_value("deepfake_test_acc", report, name) for report in ("A", "B")]
        if any(ref is not None for ref in refs):
            rows.append([name, *(pct(ref) for ref in refs)])
    return rows


def names_text(names: list[str]) -> str:
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] if names else ""

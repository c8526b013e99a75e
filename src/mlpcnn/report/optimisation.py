"""Section 6.1 of the report (cities): learning rate, epochs, batch norm, batch size.

Each section opens with its answer in at most three sentences, then its figure, its
tables (runs; each family of comparisons) and a few notes; the rules are in the
appendix."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

from mlpcnn.common.params import number_label
from mlpcnn.report import answers
from mlpcnn.report.cities import nearest_arm, reference_fit, rival
from mlpcnn.report.markdown import (
    absent,
    borderline,
    capital,
    claim,
    comparisons,
    difference,
    interval,
    opening,
    pct,
    points,
    pvalue,
    table,
)
from mlpcnn.report.study import Study
from mlpcnn.verdicts.curves import RULE

if TYPE_CHECKING:
    import pandas as pd

KEY = "mlp_batch_size"  # the params whose rate the probe lowers
PAIRED_NOTE = (
    "Runs that share a seed start from the same weights and draw the same batches, so they "
    "are compared seed by seed."
)


def section_learning_rate(s: Study) -> str:
    d, a = s.results.get("mlp_learning_rate"), answers.learning_rate(s)
    out = opening(
        "## 6.1 Q1: learning rate", "How does the learning rate change the validation loss?"
    )
    if not d:
        return absent(out, "mlp_learning_rate")
    if not a:  # no per-epoch history: the summary's figures, without verdicts or tests
        a = {"runs": {}, "final": None, "best": None}
    n = len(d["seeds"])
    rows = [
        [r["lr"], interval(r["final_val_loss"], 3, percent=False),
         interval(r["best_val_loss"], 3, percent=False), interval(r["final_val_acc"]),
         answers.curve_text(a["runs"][lr_key(r["lr"])]) if a["runs"] else _run_state(r, n)]
        for r in d["runs"].values()
    ]  # fmt: skip
    notes = []
    for name, run in a["runs"].items():
        if run["verdict"] == "stuck at the class prior":
            notes.append(
                f"{capital(lr_words(name))} does not diverge but learns nothing: it ends just above "
                f"the loss of predicting the class frequencies, {d['class_prior_val_loss']:.3f}."
            )
        elif run["counts"].get("unstable"):
            flagged = [f for f in run["per_seed"].values() if f["flag"] == "unstable"]
            notes.append(
                f"{capital(lr_words(name))} is unstable, not overfitting: in {len(flagged)} of {run['seeds']} "
                f"seeds its training loss ends {_span([f['train_rise'] for f in flagged])} above "
                "its lowest level, so the optimiser undoes its own progress."
            )
    families = []
    for criterion in ("final", "best"):
        v = a[criterion]
        if v:
            families += [f"Lowest {criterion} validation loss: {v['winner']}, {v['mean']:.3f}.", "",
                         comparisons(v["versus"], f"{criterion} val loss", percent=False), ""]  # fmt: skip
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
                "curve (rule in the appendix)",
            ],
            rows,
        ),
        "",
        f"Each figure is the mean over {n} seeds with its 95% interval. {PAIRED_NOTE}",
        "",
        " ".join(notes),
        "",
        *families,
    ]
    return "\n".join(out)  # fmt: skip


def q1_answer(s: Study, a: dict) -> str:
    """6.1 Q1 in three sentences: the rate with the lowest final loss and its closest
    rival; the rate with the lowest loss on the way, when another; what the curve rule
    says of every rate."""
    final, best = a["final"], a.get("best")
    winner = final["winner"]
    out = [f"{capital(lr_words(winner))} ends with the lowest validation loss, {final['mean']:.3f}, "
           f"{rival(final['versus'])}."]  # fmt: skip
    if best and best["winner"] != winner:
        t = best["versus"].get(f"{best['winner']} vs {winner}")
        out.append(f"{capital(lr_words(best['winner']))} reaches a lower loss on the way, "
                   f"{best['mean']:.3f}" + (f", {claim(t, ', borderline')} (Holm p = {pvalue(t['p_holm'])})"
                   if t else "") + ", but does not keep it.")  # fmt: skip
    curves = [f"{k} {'' if r['verdict'] == 'diverged' else 'is '}{answers.curve_word(r)}"
              for k, r in a["runs"].items() if k != winner]  # fmt: skip
    own = answers.curve_word(a["runs"][winner]) if winner in a["runs"] else "n/a"
    out.append(
        f"By the curve rule {lr_words(winner)} is {own}" + "".join(f"; {c}" for c in curves) + "."
    )
    return " ".join(out)


def section_epochs(s: Study) -> str:
    d = s.results.get("mlp_epochs")
    epochs = s.params.get("mlp_epochs", {}).get("epochs", "the")
    out = opening("## 6.1 Q2: epochs", f"What happens to the losses over {epochs} epochs?")
    if not d:
        return absent(out, "mlp_epochs")
    f = d["final"]
    best = ", ".join(map(str, d["best_val_loss_epoch"]))  # in the order of d["seeds"]
    seeds = ", ".join(map(str, d["seeds"]))
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
        f"By seed ({seeds} in turn), the validation loss is lowest at epochs {best}. "
        f"It ends {interval(d['val_loss_rise_after_best'], 4, percent=False)} above its lowest. "
        f"The final training loss is {interval(gap, 4, percent=False)} above the validation loss"
        + (
            ", so the validation loss does not sit above it."
            if gap["high"] is not None and gap["high"] >= 0 and gap["mean"] > -0.05
            else "."
        ),
    ]
    return "\n".join(out)  # fmt: skip


def q2_answer(s: Study, d: dict) -> str:
    """6.1 Q2: does it overfit within the epochs, and what the curve does at the end."""
    run = answers.epochs(s)
    if not run:
        return "n/a"
    over = run["counts"].get("overfitting", 0)
    if run["verdict"] == "overfitting":
        first = sorted(d["best_val_loss_epoch"])[len(d["best_val_loss_epoch"]) // 2]
        said = (
            f"It overfits from about epoch {first}, the median epoch of its lowest validation loss."
        )
    else:
        seeds = "no seed" if not over else f"{over} of {run['seeds']} seeds"
        said = (f"It does not overfit within {d['epochs']} epochs: in {seeds} does the validation "
                f"loss end over {RULE.rise:.0%} above its lowest while the training loss does not.")  # fmt: skip
    return f"{said} Over its last epochs the curve rule reads: {answers.curve_word(run)}."


def section_batchnorm(s: Study) -> str:
    d = s.results.get("mlp_batchnorm")
    out = opening(
        "## 6.1 Q3: batch norm",
        "Does BatchNorm1d before each ReLU speed up training, and is it more than input scaling?",
    )
    if not d:
        return absent(out, "mlp_batchnorm")
    arms, t, n = d["arms"], d["accuracy_threshold"], len(d["seeds"])
    a = answers.batchnorm(s)
    rows = []
    for name, r in arms.items():
        change = ", ".join(f"{k}: {v}" for k, v in r.items() if k in ("batchnorm", "standardise"))
        median = r["epochs_to_threshold_median"]
        rows.append([name, change or "-", f"{median:g}" if median is not None else "never (median)",
                     f"{r['seeds_reaching_threshold']} of {n}", interval(r["final_val_acc"]),
                     interval(r["final_test_acc"])]
                    + ([answers.curve_text(a["runs"][name])] if a else []))  # fmt: skip
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
                "curve at the last epoch",
            ][: len(rows[0])],
            rows,
        ),
        "",
    ]
    if a:
        out += [
            f"{PAIRED_NOTE} Epochs to {pct(t, 0)} are compared on a log scale.{_censored(d)}",
            "",
            comparisons(a["accuracy"], "final val acc"),
            "",
            speed_table(a["speed"]),
        ]
    return "\n".join(out)  # fmt: skip


def _censored(d: dict) -> str:
    """How a seed that never reaches the threshold is counted, if any does not."""
    n = len(d["seeds"])
    never = sum(n - r["seeds_reaching_threshold"] for r in d["arms"].values())
    epochs = d["epochs"]
    if not never:
        return ""
    seeds = (
        "A seed that never reaches it counts"
        if never == 1
        else f"{never} seeds that never reach it count"
    )
    return f" {seeds} as reaching it at epoch {epochs + 1}."


def speed_table(tests: dict) -> str:
    """Epochs to the threshold, compared on a log scale, each as a ratio with its interval."""
    rows = [[k, f"{math.exp(c['difference']):.1f}x [{math.exp(c['low']):.1f}, "
                f"{math.exp(c['high']):.1f}]", f"{c['test']} on log epochs, Holm over {c['family']}",
             pvalue(c["p_holm"]), claim(c, ", borderline")] for k, c in tests.items()]  # fmt: skip
    return table(["comparison", "ratio of epochs [95%]", "test", "Holm p", "verdict"], rows)


def q3_answer(a: dict, threshold: float) -> str:
    """6.1 Q3: speed (epochs to the threshold), final accuracy, and input scaling."""
    speed = a["speed"].get("base vs batchnorm")
    acc = a["accuracy"].get("base vs batchnorm")
    if not speed or not acc:
        return "n/a"
    ratio = a["speed_ratio"]["base vs batchnorm"]
    out = [
        f"The base model needs {ratio:.1f} times the epochs batch norm needs to reach "
        f"{pct(threshold, 0)} validation accuracy, {claim(speed, ', borderline')} "
        f"(Holm p = {pvalue(speed['p_holm'])}).",
        f"At the last epoch batch norm is {points(-acc['difference'])} ahead, {claim(acc, ', borderline')} "
        f"(Holm p = {pvalue(acc['p_holm'])}).",
    ]
    scaled = [a[k].get("batchnorm vs standardised") for k in ("speed", "accuracy")]
    if all(scaled):
        same = not any(t["distinguishable"] for t in scaled)
        out.append(
            "Standardised inputs alone are not distinguishable from batch norm on either measure, "
            "so this run cannot tell batch norm's gain from input scaling." if same else
            "Standardised inputs alone differ from batch norm on at least one measure."
        )  # fmt: skip
    return " ".join(out)


def section_batch_size(s: Study) -> str:
    d = s.results.get("mlp_batch_size")
    out = opening(
        "## 6.1 Q4: batch size",
        "How do batch size and epochs trade accuracy, stability and time?",
    )
    if not d:
        return absent(out, "mlp_batch_size")
    a = answers.batch_size(s)
    rows = []
    for name, r in d["runs"].items():
        b = r["batch_size"]
        rows.append([
            r["arm"], b, r["epochs"], f"{r['iterations_per_epoch']:,}",
            s.reference_value("batch_size_iterations", "A", b) or "n/a",
            later_epoch_seconds(d["timing"]["epoch_seconds"][name]),
            interval(r["final_val_acc"]), interval(r["final_test_acc"]),
            pct(ref_a) if (ref_a := s.reference_value("batch_size_val_acc", "A", b)) is not None
            and nearest_arm(d, b, ref_a) == r["arm"] else "",
            pct(s.reference_value("batch_size_test_acc", "B", b)) if r["arm"] == "base" else "",
            interval(r["batch_loss_noise"], 3, percent=False), interval(r["loss_noise"], 3, percent=False),
        ] + ([answers.curve_text(a["runs"][name])] if a else []))  # fmt: skip
    heads = ["arm", "batch", "epochs", "iterations/epoch", "ref. A", "s/epoch (median after the first)",
             "val acc [95%]", "test acc [95%]", "ref. A val", "ref. B test", "noise per batch [95%]",
             "noise per window [95%]", "curve"]  # fmt: skip
    out += [
        "", f"**Answer.** {q4_answer(d, a) if a else 'n/a'}", "",
        s.figure("mlp_batch_size/val_acc_base", "validation accuracy per epoch by batch size, base arm"), "",
        s.figure("mlp_batch_size/val_acc_batchnorm", "validation accuracy per epoch by batch size, batch-norm arm"), "",
        s.figure("mlp_batch_size/batch_loss", "training loss per batch by batch size"), "",
        s.figure("mlp_batch_size/stability", "loss noise by batch size"), "",
        table(heads[: len(rows[0])], rows), "",
        first_epoch_note(d["timing"]["epoch_seconds"]), "",
        *((fit, "") if (fit := reference_fit(d, s.reference("batch_size_val_acc", "A"))) else ()),
    ]  # fmt: skip
    if a:
        out += accuracy_tables(a) + noise_tables(d, a) + probe_section(s, d, a)
    return "\n".join(out)  # fmt: skip


def accuracy_tables(a: dict) -> list[str]:
    """Per arm, its best batch size against every other, paired, one Holm family."""
    out = [PAIRED_NOTE, ""]
    for arm, x in a["arms"].items():
        out += [f"The {arm.replace('batchnorm', 'batch-norm')} arm is best at {x['best'].split(': ')[1]}.", "",
                comparisons(x["versus"], "final val acc", words=lambda k: k.split(": ")[1]), ""]  # fmt: skip
    return out


NOISE_WORDS = {"batch_loss_noise": "per batch", "loss_noise": "per window of equal samples"}


def noise_tables(d: dict, a: dict) -> list[str]:
    """Each step to the next larger batch on each noise measure, paired by seed."""
    noise = a.get("noise")
    if not noise:
        return []
    one = [k for k, r in d["runs"].items() if r["batch_size"] == 1 and r["batchnorm_mode"]]
    out = [
        "Loss noise is how much the training loss jumps about late in training (appendix). "
        "Per batch a small batch is a noisier estimate by construction; per window of equal "
        "samples it need not be.",
        "",
    ]
    if one:
        out += ["The batch-norm row at batch 1 is not batch norm: a single sample has no batch "
                "variance, so each norm layer stays a learnt affine map. It is left out of its arm's "
                "steps.", ""]  # fmt: skip
    rows = [[arm, NOISE_WORDS[measure], step, *_test_cells(t, 3)]
            for arm, measures in noise.items() for measure, tests in measures.items()
            for step, t in tests.items()]  # fmt: skip
    return [
        *out,
        table(["arm", "noise", "step", "difference [95%]", "Holm p", "verdict"], rows),
        "",
    ]


def _test_cells(t: dict, digits: int) -> list[str]:
    return [
        difference(t, percent=False, digits=digits),
        pvalue(t["p_holm"]),
        claim(t, ", borderline"),
    ]


CAUSES = {
    "the step": "The step size: at a lower rate batch norm closes its gap to the arm without it.",
    "the statistics": "The batch statistics: normalising over so few samples costs accuracy "
    "even with a larger batch's steps.",
    "both": "Both the batch statistics and the step size.",
    "not resolved": "These runs do not resolve the cause.",
}
CAUSE_SHORT = {"the step": "the step size", "the statistics": "the batch statistics",
               "both": "both the batch statistics and the step size",
               "not resolved": "a cause these runs do not resolve"}  # fmt: skip
CAUSE_TESTS = {  # the tests each cause rests on (verdicts.cities.PROBE_RULE)
    "the step": ("lower rate", "lower rate, against no batch norm"),
    "the statistics": ("groups",),
    "both": ("lower rate", "lower rate, against no batch norm", "groups"),
}


def cause_text(p: dict) -> str:
    """The probe's cause in words, flagged borderline where a test it rests on is."""
    weak = any(p["tests"][k]["strength"] == "borderline" for k in CAUSE_TESTS.get(p["cause"], ()))
    text = CAUSES[p["cause"]]
    return f"{text[:-1]}; a test it rests on is borderline." if weak else text


def probe_section(s: Study, d: dict, a: dict) -> list[str]:
    """Why batch norm trails at a small batch: the probe's runs, tests and cause."""
    p = a.get("probe")
    if not p:
        return []
    small, large = p["batch_size"], p["group_batch"]
    base, bn = p["arms"]
    rows = [[name, interval(r["final_val_acc"]), interval(r["final_test_acc"])]
            for name, r in d.get("probes", {}).items()]  # fmt: skip
    tests = p["tests"]
    lower, groups, gap = (
        tests["lower rate"],
        tests["groups"],
        tests["lower rate, against no batch norm"],
    )
    rate = s.params.get(KEY, {}).get("lr")
    epochs = d["runs"][f"{bn}: batch {large}"]["epochs"]
    versus = ("not distinguishable from" if not gap["distinguishable"] else
              "still below" if gap["difference"] < 0 else "above")  # fmt: skip
    return [
        f"### Why batch norm trails at batch {small}", "",
        f"**Answer.** {cause_text(p)} Normalised over groups of {small} within batches of "
        f"{large}, over the same {epochs} epochs, batch norm ends "
        f"{_probe_clause(groups, f'plain batch norm at {large}')}. At lr {p['lower_lr']:g}, batch "
        f"norm at batch {small} ends {_probe_clause(lower, f'at lr {rate:g}')}, at "
        f"{pct(p['means']['lower_rate'])}, {versus} "
        f"the base arm's {pct(d['runs'][f'{base}: batch {small}']['final_val_acc']['mean'])}.", "",
        table(["probe run (same seeds and epochs)", "val acc [95%]", "test acc [95%]"], rows), "",
        "The rule that names the cause is in the appendix.", "",
        comparisons(tests, "final val acc", label="probe"), "",
    ]  # fmt: skip


def _probe_clause(t: dict, than: str) -> str:
    flag = borderline(t)
    if not t["distinguishable"]:
        return f"not distinguishable from {than}{flag} (Holm p = {pvalue(t['p_holm'])})"
    word = "higher" if t["difference"] > 0 else "lower"
    return f"{points(abs(t['difference']))[1:]} {word} than {than}{flag} (Holm p = {pvalue(t['p_holm'])})"


def q4_answer(d: dict, a: dict) -> str:
    """6.1 Q4 in three sentences: each arm's best batch size against its closest rival
    (one sentence an arm), then steps, time and noise."""
    words = {"base": "Without batch norm", "batchnorm": "With batch norm"}
    out = [f"{words.get(arm, f'In the {arm} arm')}, batch {x['best'].split(' batch ')[1]} is best "
           f"on final validation accuracy, {rival(x['versus'], lambda k: k.split(': ')[1], 'distinguishable from')}."
           for arm, x in a["arms"].items()]  # fmt: skip
    arm = next(iter(a["arms"]))
    runs = {k: r for k, r in d["runs"].items() if r["arm"] == arm}
    first, last = next(iter(runs.values())), list(runs.values())[-1]
    seconds = {k: later_epoch_seconds(d["timing"]["epoch_seconds"][k]) for k in runs}
    timed = [k for k in runs if not seconds[k].startswith("n/a")]
    said = (f"Smaller batches take more steps per epoch, {first['iterations_per_epoch']:,} at batch "
            f"{first['batch_size']} against {last['iterations_per_epoch']:,} at batch {last['batch_size']}")  # fmt: skip
    if len(timed) > 1:
        said += (f", and more time, {seconds[timed[0]]} s an epoch at batch {runs[timed[0]]['batch_size']} "
                 f"against {seconds[timed[-1]]} s at {runs[timed[-1]]['batch_size']}")  # fmt: skip
    noise = a.get("noise")
    if noise:
        ts = [t for arm in noise.values() for t in arm["batch_loss_noise"].values()]
        falls = sum(bool(t["distinguishable"]) and t["difference"] < 0 for t in ts)
        said += (
            f"; batch by batch their loss is noisier at {falls} of {len(ts)} steps (table below)"
        )
    return " ".join([*out, said + "."])


def _run_state(r: dict, n: int) -> str:
    """A rate's state from its summary alone (diverged seeds, stuck), for a run without history."""
    if r["seeds_diverged"]:
        return f"diverged in {r['seeds_diverged']} of {n} seeds (epochs {', '.join(map(str, r['diverged_epochs']))})"
    return "stuck at the class-prior loss" if r["stuck_at_class_prior"] else "trained"


def _span(values: list[float]) -> str:
    """``24% to 29%``, or ``36%`` when there is one value (or all agree)."""
    low, high = f"{min(values):.0%}", f"{max(values):.0%}"
    return low if low == high else f"{low} to {high}"


def lr_words(name: str) -> str:
    """``lr 0.001`` as a sentence names it: ``learning rate 0.001``."""
    return name.replace("lr ", "learning rate ", 1)


def lr_key(lr: float) -> str:
    """A rate's name as the stage writes it (``lr 1e-05``)."""
    return f"lr {number_label(lr)}"


def same_configuration_text(s: Study) -> str:
    """Whether runs of one configuration in two stages agree seed by seed."""
    checks = answers.same_configuration(s)
    lr = checks.get("learning rate 0.001")
    if not lr:
        return ""
    agree = [k for k, c in checks.items() if c["identical"] and k != "learning rate 0.001"]
    out = ["Learning rate 0.001 in 6.1 Q1 is the base model of Q2 and Q3, trained in one "
           "batched run with the other rates."]  # fmt: skip
    if lr["identical"]:
        out.append("Its per-seed validation accuracy is identical to the base arm of 6.1 Q3.")
    else:
        out += [f"Its per-seed validation accuracy at epoch {lr['epoch']} differs from the base arm "
                f"of 6.1 Q3 by up to {100 * lr['max_difference']:.2f} points, so the conclusions "
                "rest on intervals over seeds, never on one seed."]  # fmt: skip
    if agree:
        out.append(
            f"Runs of the same configuration agree exactly with their 6.1 Q3 arm: {', '.join(agree)}."
        )
    return " ".join(out)


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

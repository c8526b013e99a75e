"""Sections 6.1-6.2 (cities) of the report, each built from the study's results alone."""

from __future__ import annotations

from mlpcnn.report.markdown import (
    flat_figure,
    interval,
    missing,
    num,
    pct,
    points,
    pvalue,
    table,
    verdict,
)
from mlpcnn.report.study import Study


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
    d = s.results.get("mlp_learning_rate")
    out = ["## 6.1 Q1: learning rate", "", "How does the learning rate change the validation loss?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_learning_rate")])
    n = len(d["seeds"])
    rows, sentences = [], []
    for r in d["runs"].values():
        state = (
            f"diverged in {r['seeds_diverged']} of {n} seeds (epochs {', '.join(map(str, r['diverged_epochs']))})"
            if r["seeds_diverged"]
            else ("stuck at the class-prior loss" if r["stuck_at_class_prior"] else "trained")
        )
        rows.append(
            [
                r["lr"],
                interval(r["final_val_loss"], 3, percent=False),
                interval(r["best_val_loss"], 3, percent=False),
                interval(r["final_val_acc"]),
                state,
            ]
        )
        if r["seeds_diverged"]:
            sentences.append(
                f"lr {r['lr']:g} diverged (loss NaN or infinite) in {r['seeds_diverged']} of {n} seeds."
            )
        elif r["stuck_at_class_prior"]:
            sentences.append(
                f"lr {r['lr']:g} did not diverge but learnt nothing: its final validation loss "
                f"{r['final_val_loss']['mean']:.3f} is that of predicting the class frequencies "
                f"({d['class_prior_val_loss']:.3f})."
            )
    for criterion, label in (("final", "final"), ("best", "best (lowest over the epochs)")):
        v = d["verdicts"][criterion]
        if not v["winner"]:
            sentences.append(
                f"No learning rate trained without diverging; none wins by the {label} loss."
            )
            continue
        winner = d["runs"][v["winner"]]
        ties = [k.split(" vs ", 1)[1] for k, t in v["versus"].items() if not t["distinguishable"]]
        sentences.append(
            f"By the {label} validation loss, {v['winner']} is lowest "
            f"({interval(winner[v['criterion']], 3, percent=False)})"
            + (
                "; it is the only rate that trained without diverging."
                if not v["versus"]
                else f"; not distinguishable from it with {n} seeds: {', '.join(ties)} "
                f"({_family(v['versus'])})."
                if ties
                else f"; every other rate is distinguishably higher ({_family(v['versus'])})."
            )
        )
    if d["verdicts"]["final"]["winner"] != d["verdicts"]["best"]["winner"]:
        sentences.append(
            "The two criteria disagree: a rate whose loss reaches a lower minimum and then climbs "
            "back overfits; early stopping would read the best loss, the course reads the final one."
        )
    out += [
        "",
        s.figure("mlp_learning_rate/val_loss", "validation loss per epoch by learning rate"),
        "",
        table(
            ["lr", "final val loss [95%]", "best val loss [95%]", "final val acc [95%]", "run"],
            rows,
        ),
        "",
        f"Each figure is the mean over {n} seeds with its 95% t-interval; a seed starts every rate from the same weights and batches.",
        "",
        " ".join(sentences),
    ]
    return "\n".join(out)  # fmt: skip


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
    best_epochs = sorted(d["best_val_loss_epoch"])
    rise = d["val_loss_rise_after_best"]
    late = min(best_epochs) >= d["epochs"] - 5
    trend = (
        "in every seed the validation loss was still at its lowest in the last five epochs, so more epochs could still help"
        if late
        else f"the validation loss reached its lowest at epochs {', '.join(map(str, best_epochs))} (by seed) and ended "
        f"{interval(rise, 4, percent=False)} above it"
    )
    gap = d["train_minus_val_loss_final"]
    out += [
        "",
        s.figure("mlp_epochs/loss", "train, validation and test loss per epoch"),
        "",
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
    sentences = [
        verdict(*k.split(" vs "), c, "final validation accuracy")
        for k, c in d["comparisons"].items()
    ]
    text = " ".join(sentences)
    bn = next((a for a, r in arms.items() if r.get("batchnorm") and not r.get("standardise")), None)
    scaled = next(
        (a for a, r in arms.items() if r.get("standardise") and not r.get("batchnorm")), None
    )
    if bn and scaled and bn != base and scaled != base:
        g_bn, g_sc = d["gain_over_base"][bn], d["gain_over_base"][scaled]
        if g_bn > 0:
            text += (
                f" Over the {base} arm, batch norm gains {points(g_bn)} and standardised inputs alone "
                f"{points(g_sc)}: input scaling accounts for {min(max(g_sc / g_bn, 0), 9.99):.0%} of batch norm's gain "
                "(a ratio of means; the tests above say which differences the seeds resolve)."
            )
    out += [
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
            ],
            rows,
        ),
        "",
        text,
    ]
    return "\n".join(out)  # fmt: skip


def section_batch_size(s: Study) -> str:
    d = s.results.get("mlp_batch_size")
    out = [
        "## 6.1 Q4: batch size",
        "",
        "How do batch size and epochs trade accuracy, stability and time?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_batch_size")])
    n = len(d["seeds"])
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
                f"{_mean(d['timing']['epoch_seconds'][name]):.2f}",
                interval(r["final_val_acc"]),
                interval(r["final_test_acc"]),
                pct(s.reference_value("batch_size_val_acc", "A", b)) if r["arm"] == "base" else "",
                pct(s.reference_value("batch_size_test_acc", "B", b)) if r["arm"] == "base" else "",
                interval(r["batch_loss_noise"], 3, percent=False),
                interval(r["loss_noise"], 3, percent=False),
            ]
        )
    text = []
    for arm in dict.fromkeys(r["arm"] for r in d["runs"].values()):
        runs = {k: r for k, r in d["runs"].items() if r["arm"] == arm}
        best = max(runs, key=lambda k: runs[k]["final_test_acc"]["mean"])
        tests = {k: c for k, c in d["comparisons"].items() if k.startswith(f"{arm}: ")}
        ties = [
            k.split(" vs ")[1 if k.startswith(best) else 0]
            for k, c in tests.items()
            if best in k.split(" vs ") and not c["distinguishable"]
        ]
        noise = {}
        for key, what in (("batch_loss_noise", "batch by batch"), ("loss_noise", "per window")):
            finite = {k: r[key]["mean"] for k, r in runs.items() if r[key]["mean"] is not None}
            if finite:
                hi, lo = max(finite, key=finite.get), min(finite, key=finite.get)
                noise[what] = (f"{what}, noisiest at {hi.split(': ')[1]} "
                               f"({interval(runs[hi][key], 3, percent=False)}) and steadiest at "
                               f"{lo.split(': ')[1]} ({interval(runs[lo][key], 3, percent=False)})")  # fmt: skip
        text.append(
            f"**{arm} arm**: the best final test accuracy is {best}'s ({interval(runs[best]['final_test_acc'])})"
            + (
                f"; not distinguishable from it with {n} seeds: {', '.join(ties)}"
                if ties
                else "; it is distinguishably above every other batch size"
            )
            + f" ({_family(tests)}). Training loss noise: {'; '.join(noise.values()) or 'n/a'}."
        )
    one = next(
        (r for r in d["runs"].values() if r["batch_size"] == 1 and r["batchnorm_mode"]), None
    )
    if one:
        text.append(
            f"At batch 1 the batch-norm arm uses {one['batchnorm_mode']}: one sample has no batch variance, "
            "so it normalises with its running statistics, which keep their initial values."
        )
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
                "s/epoch",
                "val acc [95%]",
                "test acc [95%]",
                "ref. A val",
                "ref. B test",
                "noise per batch [95%]",
                "noise per window [95%]",
            ],
            rows,
        ),
        "",
        " ".join(text),
    ]
    return "\n".join(out)  # fmt: skip


def section_grid(s: Study) -> str:
    d = s.results.get("mlp_select")
    out = [
        "## 6.2 Q1-Q4: depth and width",
        "",
        "Which (depth, width) is best and worst, do they over- or underfit, and how do depth and width matter?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_select")])
    ref_a = {r["cell"]: r["val_acc"] for name in ("grid_best", "grid_worst")
             for r in s.references.get(name, []) if r["report"] == "A"}  # fmt: skip
    rows = [
        [c, r["depth"], r["width"], _cell_interval(r, "val"), _cell_interval(r, "test"),
         pct(ref_a.get(c)) if c in ref_a else "", pct(s.reference_value("grid_val_acc", "B", c)),
         r["verdict"]]
        for c, r in d["cells"].items()
    ]  # fmt: skip
    best, worst, nn = d["best"], d["worst"], d["nearest_neighbour"]
    n = best["seeds"]
    tied = d["not_distinguishable_from_best"]
    adjacent = [k for k in d["adjacent"] if d["comparisons"][k]["distinguishable"]]
    refs = "; ".join(
        f"report {r['report']}'s best cell was {r['cell']} ({pct(r['val_acc'])}), ours "
        f"{_cell_interval(d['cells'][r['cell']], 'val')}" for r in s.references.get("grid_best", [])
        if r["cell"] in d["cells"]
    )  # fmt: skip
    text = [
        f"Best by mean validation accuracy: **{best['cell']}** (depth {best['depth']}, width {best['width']}), "
        f"{_cell_interval(best, 'val')} validation and {_cell_interval(best, 'test')} test accuracy over {n} seeds; "
        f"worst: **{worst['cell']}**, {_cell_interval(worst, 'val')}.",
        verdict(best["cell"], worst["cell"], d["best_vs_worst"], "validation accuracy"),
        f"Cells not distinguishable from the best with {n} seeds: {', '.join(tied) or 'none'}; neighbours in the "
        f"ranking that are distinguishable: {', '.join(adjacent) or 'none'} (every pair of cells is one family: "
        f"{_family(d['comparisons'])}).",
        f"Verdicts (rule: {d['fit_rule']['rule']}): best {best['verdict']}, worst {worst['verdict']}; the best "
        f"cell's final train accuracy is {100 * best['train_acc_below_reference']:.2f} points below the 1-NN validation accuracy "
        f"({pct(nn['val_acc'])}).",
        f"Against the course reports, cell by cell: {refs}." if refs else "",
    ]
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
                "verdict",
            ],
            rows,
        ),
        "",
        " ".join(text),
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
            f"; after training the topmost dead layer is at {top['median']:.0f} (median; quartiles {top['q25']:.0f} and "
            f"{top['q75']:.0f})"
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
            f"the output (median over {decay['n']} seeds, computed in float64), beyond what float32 can "
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
    rows = []
    for name, arm in fixes["arms"].items():
        t = arm["table"]
        test = arm["test_vs_control"]
        rows.append([
            name, t["hidden_layers"], ", ".join(f"{k}: {v}" for k, v in arm["arm"].items()) or "-",
            f"{pct(t['val_acc_mean'])} [{pct(t['val_acc_low'])}, {pct(t['val_acc_high'])}]",
            f"{points(test['difference'])} (p = {pvalue(test['p_holm'])})" if name != fixes["control"] else "-",
            f"{t['seeds_with_dead_layer']} of {len(fixes['seeds'])}",
            num(t["worst_span_decades"], 1),
        ])  # fmt: skip
    best = fixes["arms"][fixes["best_fix"]]["table"]
    control = fixes["arms"][fixes["control"]]["table"]
    best_test = fixes["arms"][fixes["best_fix"]]["test_vs_control"]
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
                "vs control (Welch, Holm-adjusted p)",
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
        f"Welch's t-test, Holm-adjusted over the arms: p = {pvalue(best_test['p_holm'])}).",
        "",
        s.figure(
            "residual_study/fixes", "scale-free gradient ratio per layer and accuracy of each fix"
        ),
        "",
        s.figure("residual_study/comparison", "course measure: plain network and the best fix"),
    ]
    return "\n".join(out)  # fmt: skip


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
    diff, t = d["difference_sine_minus_raw"], d["val_difference_test"]
    text = (
        f"The sine encoding changes validation accuracy by {points(diff['val_acc'])} and test accuracy by "
        f"{points(diff['test_acc'])}"
        + (f" (report A: about {gain_a:+g} points)" if gain_a is not None else "")
        + ". "
        + verdict("sine", "raw", t, "final validation accuracy")
    )
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
    rows = []
    for name, r in sweep["settings"].items():
        e = r["ensemble_vs_nearest"]
        rows.append([
            name, r["kind"], r["features"], f"{r['highest_frequency_used']:.2f}" if r["highest_frequency_used"] else "-",
            _cell_interval(r, "val"), _cell_interval(r, "test"),
            f"{r['seeds_ahead_of_nearest']} of {r['seeds']}", pvalue(r["max_p_vs_nearest"]),
            f"{pct(r['ensemble_test_acc'])} ({e['a_only']}/{e['b_only']}, p = {pvalue(e['p_value'])})",
            "yes" if r["beats_nearest_neighbour"] else "no",
        ])  # fmt: skip
    goal = sweep["settings"][sweep["goal_setting"]]
    verdict_on_goal = (
        f"The goal ({sweep['goal']}) is met by **{sweep['goal_setting']}**: "
        if sweep["goal_met"]
        else f"**{sweep['goal_setting']}** does not meet the goal ({sweep['goal']}): "
    )
    beating = sweep["settings_beating_nearest_neighbour"]
    return "\n".join(
        [
            "### Beyond the course: input encodings at one architecture",
            "",
            f"Every setting trains the same network (depth {arch['depth']}, width {arch['width']}, {arch['epochs']} epochs, "
            f"lr {arch['lr']:g}, {arch['lr_schedule']} schedule); only the input encoding differs, from the raw coordinates "
            "and the course's sine encoding to Fourier features. Each is tested against 1-nearest-neighbour city by city on "
            f"the test split ({nn['test_acc']:.4f}): {sweep['beats_rule']}.",
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
                    "ensemble test acc (MLP only/1-NN only, p)",
                    "beats 1-NN",
                ],
                rows,
            ),
            "",
            f"Settings that beat 1-NN: {', '.join(beating) or 'none'}. " + verdict_on_goal,
            f"mean test accuracy {_cell_interval(goal, 'test')}, largest per-seed p {pvalue(goal['max_p_vs_nearest'])}. "
            + _limits(sweep),
            "",
            s.figure(
                "encoding_summary/sweep",
                "test error of each encoding against its highest frequency",
            ),
        ]
    )


def _limits(sweep: dict) -> str:
    """Where the goal setting's test errors are, by neighbourhood (see prepare_cities)."""
    e = sweep.get("goal_errors_by_neighbourhood")
    if not e:
        return ""
    cities, errors, nearest = e["cities"], e["mean_errors_per_seed"], e["nearest_neighbour_errors"]
    total, border = sum(errors.values()), errors.get("border (some)", 0)
    share = sum(cities.values())
    return (
        f"What limits it: of its {total:.0f} test errors (mean over seeds), {border:.0f} are border cities "
        f"(some of their 5 nearest training cities belong to another country: {cities['border (some)']:,} of the "
        f"{share:,} test cities) and {errors['surrounded (all)']:.0f} are surrounded by another country's cities "
        f"({cities['surrounded (all)']:,} test cities, which no smooth classifier gets right); "
        f"{errors['inside (none)']:.0f} lie inside their country. 1-NN's {sum(nearest.values())} errors split "
        f"{nearest['border (some)']} / {nearest['surrounded (all)']} / {nearest['inside (none)']}."
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)

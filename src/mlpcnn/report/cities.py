"""Sections 6.1-6.2 (cities) of the report, each built from the study's results alone."""

from __future__ import annotations

from mlpcnn.report.markdown import missing, num, pct, points, pvalue, table
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
    m = s.results
    d = m.get("mlp_learning_rate")
    out = ["## 6.1 Q1: learning rate", "", "How does the learning rate change the validation loss?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_learning_rate")])
    rows, sentences = [], []
    for r in d["runs"].values():
        state = (
            f"diverged at epoch {r['diverged_epoch']}"
            if r["diverged"]
            else ("stuck at the class-prior loss" if r.get("stuck_at_class_prior") else "trained")
        )
        rows.append(
            [
                r["lr"],
                num(r["final_val_loss"]),
                pct(r["final_val_acc"]),
                num(r["best_val_loss"]),
                state,
            ]
        )
        if r["diverged"]:
            sentences.append(
                f"lr {r['lr']:g} diverged (loss NaN or infinite) at epoch {r['diverged_epoch']}."
            )
        elif r.get("stuck_at_class_prior"):
            sentences.append(
                f"lr {r['lr']:g} did not diverge but learnt nothing: its final validation loss "
                f"{r['final_val_loss']:.3f} is that of predicting the class frequencies "
                f"({d['class_prior_val_loss']:.3f})."
            )
    best = d["best_lr"]
    best_run = next(r for r in d["runs"].values() if r["lr"] == best)
    sentences.insert(
        0,
        f"The lowest final validation loss is lr {best:g}'s ({best_run['final_val_loss']:.3f}, "
        f"{pct(best_run['final_val_acc'])} validation accuracy).",
    )
    out += [
        "",
        s.figure("mlp_learning_rate/val_loss", "validation loss per epoch by learning rate"),
        "",
        table(["lr", "final val loss", "final val acc", "best val loss", "run"], rows),
        "",
        " ".join(sentences),
    ]
    return "\n".join(out)  # fmt: skip


def section_epochs(s: Study) -> str:
    m = s.results
    d = m.get("mlp_epochs")
    epochs = s.params.get("mlp_epochs", {}).get("epochs", "the")
    out = ["## 6.1 Q2: epochs", "", f"What happens to the losses over {epochs} epochs?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_epochs")])
    f = d["final"]
    epochs = d.get("epochs", None)
    last_is_best = d["best_val_loss_epoch"] >= max(1, (epochs or d["best_val_loss_epoch"]) - 5)
    trend = (
        "the validation loss was still at its lowest near the end, so more epochs could still help"
        if last_is_best
        else f"the validation loss was lowest at epoch {d['best_val_loss_epoch']} and did not improve after"
    )
    out += [
        "",
        s.figure("mlp_epochs/loss", "train, validation and test loss per epoch"),
        "",
        table(
            ["", "train", "validation", "test"],
            [
                ["final loss", num(f["train_loss"]), num(f["val_loss"]), num(f["test_loss"])],
                ["final accuracy", pct(f["train_acc"]), pct(f["val_acc"]), pct(f["test_acc"])],
            ],
        ),
        "",
        f"The best validation loss, {d['best_val_loss']:.4f}, came at epoch {d['best_val_loss_epoch']} "
        f"(test accuracy then {pct(d['test_acc_at_best_val_loss'])}); {trend}. Train and validation "
        f"losses end {abs(f['train_loss'] - f['val_loss']):.3f} apart: no sign of overfitting."
        if abs(f["train_loss"] - f["val_loss"]) < 0.05
        else f"The best validation loss, {d['best_val_loss']:.4f}, came at epoch {d['best_val_loss_epoch']}; {trend}.",
    ]
    return "\n".join(out)  # fmt: skip


def section_batchnorm(s: Study) -> str:
    m = s.results
    d = m.get("mlp_batchnorm")
    out = ["## 6.1 Q3: batch norm", "", "Does BatchNorm1d before each ReLU speed up training?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_batchnorm")])
    runs, t = d["runs"], d["accuracy_threshold"]
    rows = [
        [n, r["epochs_to_threshold"] or "never", pct(r["final_val_acc"]), pct(r["final_test_acc"])]
        for n, r in runs.items()
    ]
    w, wo = runs["with batch norm"], runs["without batch norm"]
    if w["epochs_to_threshold"] and wo["epochs_to_threshold"]:
        speed = (
            f"With batch norm the model reached {pct(t, 0)} validation accuracy after "
            f"{w['epochs_to_threshold']} epochs, without it after {wo['epochs_to_threshold']}"
        )
    else:
        speed = (
            f"Epochs to {pct(t, 0)} validation accuracy: {w['epochs_to_threshold'] or 'never'} with batch "
            f"norm, {wo['epochs_to_threshold'] or 'never'} without"
        )
    final = "higher" if w["final_val_acc"] > wo["final_val_acc"] else "lower"
    out += [
        "",
        s.figure(
            "mlp_batchnorm/batchnorm",
            "validation accuracy and loss with and without batch norm",
        ),
        "",
        table(["", f"epochs to {pct(t, 0)} val acc", "final val acc", "final test acc"], rows),
        "",
        f"{speed}; its final validation accuracy is {final} "
        f"({pct(w['final_val_acc'])} against {pct(wo['final_val_acc'])}).",
    ]
    return "\n".join(out)  # fmt: skip


def section_batch_size(s: Study) -> str:
    m = s.results
    d = m.get("mlp_batch_size")
    out = ["## 6.1 Q4: batch size", "", "How do batch size and epochs trade accuracy against time?"]
    if not d:
        return "\n".join([*out, "", missing("mlp_batch_size")])
    rows = []
    for name, r in d["runs"].items():
        ref_a = s.reference_value("batch_size_val_acc", "A", r["batch_size"])
        ref_b = s.reference_value("batch_size_test_acc", "B", r["batch_size"])
        seconds = d["timing"][name]["seconds_per_epoch"]
        rows.append(
            [
                r["batch_size"],
                r["epochs"],
                f"{r['iterations_per_epoch']:,}",
                s.reference_value("batch_size_iterations", "A", r["batch_size"]) or "n/a",
                f"{seconds:.2f}",
                pct(r["final_val_acc"]),
                pct(r["final_test_acc"]),
                pct(ref_a),
                pct(ref_b),
            ]
        )
    best = max(d["runs"].values(), key=lambda r: r["final_test_acc"])
    one = next((r for r in d["runs"].values() if r["batch_size"] == 1), None)
    text = (
        f"The best test accuracy is batch {best['batch_size']}'s ({pct(best['final_test_acc'])})."
    )
    if one:
        text += (
            f" At batch 1, batch norm uses {one['batchnorm_mode']}: one sample has no batch variance, "
            "so it normalises with its running statistics, which keep their initial values."
        )
    out += [
        "",
        s.figure("mlp_batch_size/val_acc", "validation accuracy per epoch by batch size"),
        "",
        s.figure("mlp_batch_size/batch_loss", "training loss per batch by batch size"),
        "",
        table(
            [
                "batch",
                "epochs",
                "iterations/epoch",
                "ref. A",
                "s/epoch",
                "val acc",
                "test acc",
                "ref. A val",
                "ref. B test",
            ],
            rows,
        ),
        "",
        text,
    ]
    return "\n".join(out)  # fmt: skip


def section_grid(s: Study) -> str:
    m = s.results
    d = m.get("mlp_select")
    out = [
        "## 6.2 Q1-Q4: depth and width",
        "",
        "Which (depth, width) is best and worst, do they over- or underfit, and how do depth and width matter?",
    ]
    if not d:
        return "\n".join([*out, "", missing("mlp_select")])
    rows = [
        [
            c,
            r["depth"],
            r["width"],
            f"{pct(r['val_acc_mean'])} ± {pct(r['val_acc_std'])}",
            f"{pct(r['test_acc_mean'])} ± {pct(r['test_acc_std'])}",
            pct(s.reference_value("grid_val_acc", "B", c)),
            r["verdict"],
        ]
        for c, r in d["cells"].items()
    ]
    best, worst, nn = d["best"], d["worst"], d["nearest_neighbour"]
    real = [k for k, v in d["adjacent_differences"].items() if v["real"]]
    noise = [k for k, v in d["adjacent_differences"].items() if v["real"] is False]
    bw = d["best_vs_worst"]
    alpha = bw.get("alpha", 0.05)
    text = [
        f"Best: **{best['cell']}** (depth {best['depth']}, width {best['width']}), {pct(best['val_acc_mean'])} "
        f"± {pct(best['val_acc_std'])} validation and {pct(best['test_acc_mean'])} test accuracy over "
        f"{best['seeds']} seeds; worst: **{worst['cell']}**, {pct(worst['val_acc_mean'])} ± {pct(worst['val_acc_std'])}. "
        f"The gap, {points(bw['difference'])}, is "
        + (
            "beyond the seed spread"
            if bw["real"]
            else f"not distinguishable from seed noise with {best['seeds']} seeds"
        )
        + f" (Welch's t-test p = {num(bw['p_value'], 3)}).",
        f"Verdicts (rule: {d['fit_rule']['rule']}): best {best['verdict']}, worst {worst['verdict']}; the best "
        f"cell's final train accuracy is {100 * best['train_acc_below_reference']:.2f} points below the 1-NN validation accuracy "
        f"({pct(nn['val_acc'])}).",
        f"Neighbours in the ranking that differ beyond seed noise ({bw.get('test', 'Welch')} p < {alpha:g}, "
        "uncorrected): " + (", ".join(real) or "none") + ". "
        f"Not distinguishable with {best['seeds']} seeds: " + (", ".join(noise) or "none") + ".",
    ]
    out += [
        "",
        table(
            [
                "cell",
                "depth",
                "width",
                "val acc (mean ± sd)",
                "test acc (mean ± sd)",
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
            f"{points(test['difference'])} (p = {pvalue(test['p_value'])})" if name != fixes["control"] else "-",
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
        if best_test["p_value"] is not None and best_test["p_value"] < 0.05
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
                "vs control (Welch, uncorrected)",
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
        f"Welch p = {pvalue(best_test['p_value'])}).",
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
        [
            name,
            *(
                f"{pct(d[name][f'{split}_acc_mean'])} ± {pct(d[name][f'{split}_acc_std'])}"
                for split in splits
            ),
        ]
        for name in ("raw", "sine")
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
        + "; the difference is "
        + (
            "beyond the seed spread"
            if t["real"]
            else f"not distinguishable from seed noise with {len(d['seeds'])} seeds"
        )
        + f" ({t.get('test', 'Welch')} p = {num(t['p_value'], 3)})."
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
        nn = sweep["nearest_neighbour"]
        met = "beats" if sweep["goal_met"] else "does not beat"
        out += [
            "",
            "### Beyond the course: Fourier features",
            "",
            f"Setting **{sweep['goal_setting']}** {met} 1-nearest-neighbour on both splits; the best setting, "
            f"{sweep['best_setting']}, reaches {pct(sweep['best_val_acc'])} validation and "
            f"{pct(sweep['best_test_acc'])} test accuracy against 1-NN's {pct(nn['val_acc'])} and "
            f"{pct(nn['test_acc'])}; settings beating 1-NN on both: "
            + (", ".join(sweep["settings_beating_nearest_neighbour"]) or "none")
            + ".",
            "",
            s.figure(
                "encoding_summary/sweep",
                "validation accuracy against the highest frequency",
            ),
        ]
    return "\n".join(out)  # fmt: skip

"""Sections 6.1-6.2 (cities) of the report, each built from the study's results alone."""

from __future__ import annotations

from mlpcnn.report.markdown import missing, num, pct, points, table
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
    plain, residual = m.get("gradient_study"), m.get("residual_study")
    shape = s.params.get("gradient_study", {})
    depth, width = shape.get("depth", "many"), shape.get("width", "few")
    out = [
        f"## 6.2 Q5-Q6: gradients of a {depth}-layer network",
        "",
        f"Do gradients vanish in {depth} layers of width {width}, and do residual connections help?",
    ]
    if not plain:
        return "\n".join([*out, "", missing("gradient_study")])
    studies = {"plain": plain} | ({"residual": residual} if residual else {})
    layers = list(plain["last_epoch"])
    last = plain["network"]["hidden_layers"] - 1
    rows = [
        [
            name,
            *(f"{study['last_epoch'][k]:.3g}" for k in layers),
            num(study.get("ratio_first_to_last_layer"), 3),
            study["zero_layers_last_epoch"],
            pct(study["final_val_acc"]),
        ]
        for name, study in studies.items()
    ]
    text = []
    if plain["zero_layers_last_epoch"] == plain["network"]["hidden_layers"]:
        text.append(
            "In the plain network every layer's gradient is exactly zero in the last epoch: its ReLUs "
            "are dead, the network outputs a constant and predicts "
            f"{pct(plain['final_val_acc'])} of the validation set right (the largest class)."
        )
    else:
        text.append(
            f"In the plain network layer 0's gradient is {num(plain.get('ratio_first_to_last_layer'), 3)} "
            f"times layer {last}'s in the last epoch."
        )
    if residual:
        zero = residual["zero_layers_last_epoch"]
        alive = (
            "every layer's gradient is non-zero in the last epoch"
            if zero == 0
            else f"{zero} of {residual['network']['hidden_layers']} layers have a zero gradient in the last epoch"
        )
        text.append(
            f"With residual blocks ({residual['network']['block']}) {alive}, and the network reaches "
            f"{pct(residual['final_val_acc'])} validation accuracy in {residual['epochs']} epochs."
        )
    out += [
        "",
        s.figure(
            "residual_study/comparison" if residual else "gradient_study/gradients",
            "gradient magnitude per epoch of layers " + ", ".join(k.split("_")[1] for k in layers),
        ),
        "",
        s.figure(
            "residual_study/comparison_heatmap" if residual else "gradient_study/heatmap",
            "gradient magnitude of every layer and epoch",
        ),
        "",
        f"Magnitude: {plain['magnitude']}.",
        "",
        table(
            ["network", *layers, f"layer 0 / layer {last}", "zero layers", "final val acc"], rows
        ),
        "",
        " ".join(text),
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

"""Stage residual_study (6.2 Q6): fixes of the deep network, against a shallow control.

Every arm trains the same seeds (replicas of one batched run), the same epochs and
optimiser as gradient_study; an arm changes only what it names: residual blocks (the
course's, or well-conditioned: standardised inputs and branches that start at the
identity), batch norm, He initialisation; the controls are shallow networks of the same
width. Per arm: the course's measure, the scale-free ||grad W|| / ||W|| per layer and
epoch, dead layers after training, and validation accuracy with a 95% interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import (
    PLOTS,
    device_from,
    environment,
    load_params,
    naming,
    read_summary,
    write_results,
)

from mlpcnn.cities.encodings import standardiser
from mlpcnn.cities.figures import plot_fixes, plot_gradient_heatmaps, plot_gradient_magnitudes
from mlpcnn.cities.gradients import (
    alive_units,
    check_layers,
    dead_layers,
    gradient_frame,
    layer_series,
    train_recording_gradients,
)
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.stats import compare, seed_interval
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam, check_keys

KEY = "residual_study"
PLAIN = "gradient_study"
OUT = PLOTS / KEY
ARM_KEYS = ("depth", "residual", "zero_branch", "batchnorm", "init", "standardise")
KEYS = (
    *MODEL_KEYS,
    *TRAIN_KEYS,
    "seeds",
    "arms",
    "controls",
    "max_span_decades",
    "layers_shown",
    "log_floor",
)


def main() -> None:
    params = load_params(KEY, KEYS)
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds = seeds_of(KEY, params)
    floor, max_span = params["log_floor"], params["max_span_decades"]
    arms = {**params["arms"], **params["controls"]}
    with naming(KEY):
        shown = check_layers(params["layers_shown"], params["depth"])
        if not params["arms"] or not params["controls"]:
            raise InvalidParam("arms: expected at least one arm and one control")
        for name, arm in arms.items():
            group = "arms" if name in params["arms"] else "controls"
            check_keys(arm, ARM_KEYS, f"{group}.{name}")
    standardise = standardiser(data.train[0])

    results, magnitudes, ratios = {}, {}, {}
    for name, arm in arms.items():
        scale = standardise if arm.get("standardise", False) else (lambda x: x)
        splits = {s: (scale(x), y) for s, (x, y) in data.splits.items()}
        model_params = {**params, **{k: v for k, v in arm.items() if k != "standardise"}}
        overrides = {k: arm[k] for k in ("residual", "zero_branch", "init") if k in arm}
        group = "arms" if name in params["arms"] else "controls"
        config = mlp_config(f"{KEY}.{group}.{name}", model_params, data.n_classes, **overrides)
        train = train_config(KEY, params, len(data.train[1]), config.batchnorm)
        model = stacked_mlps(config, seeds).to(device)
        result, recorder = train_recording_gradients(model, splits["train"], splits, train, seeds)
        dead = dead_layers(alive_units(model, splits["train"][0]))  # (R, layers)
        magnitudes[name], ratios[name] = recorder.epoch_means(), recorder.epoch_ratios()
        results[name] = summarise_arm(name, arm, config, result, ratios[name], dead, max_span)

    table = pd.DataFrame([{"arm": n, **r["table"]} for n, r in results.items()])
    write_csv(OUT / "arms.csv", table)
    history = pd.concat([r["history"].assign(arm=n) for n, r in results.items()], ignore_index=True)
    write_csv(OUT / "history.csv", history)
    deep = list(params["arms"])
    controls = list(params["controls"])
    control = max(controls, key=lambda n: results[n]["table"]["val_acc_mean"])
    best = pick_best(results, deep)
    # Every other arm against the control, one Holm-corrected family.
    tests = compare({n: (results[n]["val_acc"], results[control]["val_acc"])
                     for n in arms if n != control})  # fmt: skip
    for name in arms:
        results[name]["test_vs_control"] = tests.get(name)

    write_csv(OUT / "gradients.csv", gradient_frame(magnitudes[best][:, :, 0]))
    write_csv(OUT / "layers.csv", layer_series(magnitudes[best][:, :, 0], shown, floor))
    last_ratios = {
        n: pd.DataFrame({"layer": np.arange(ratios[n].shape[1]),
                         "log10_ratio": _log_median(ratios[n][-1:])[0]})
        for n in deep
    }  # fmt: skip
    write_csv(OUT / "ratios.csv", series_table(last_ratios, "layer", ["log10_ratio"]))
    plain = pd.read_csv(PLOTS / PLAIN / "gradients.csv").drop(columns="epoch").to_numpy()
    plain_seed = read_summary(PLAIN)["representative_seed"]
    label = f"{best}, seed {seeds[0]}"
    studies = {f"plain, seed {plain_seed}": plain, label: magnitudes[best][:, :, 0]}
    plot_gradient_magnitudes(
        {label: magnitudes[best][:, :, 0]},
        shown,
        OUT / "gradients.png",
        floor=floor,
        title=f"6.2 Q6: gradient magnitude per epoch, {best}",
    )
    plot_gradient_heatmaps(
        {label: magnitudes[best][:, :, 0]},
        OUT / "heatmap.png",
        floor=floor,
        title="gradient magnitude of every hidden layer",
    )
    plot_gradient_magnitudes(
        studies,
        shown,
        OUT / "comparison.png",
        floor=floor,
        title="6.2 Q5-Q6: the plain network and the best fix",
    )
    plot_gradient_heatmaps(
        studies,
        OUT / "comparison_heatmap.png",
        floor=floor,
        title="gradient magnitude of every hidden layer",
    )
    accuracy = table.rename(
        columns={"val_acc_mean": "mean", "val_acc_low": "low", "val_acc_high": "high"}
    )
    plot_fixes(
        {n: ratios[n][-1] for n in deep},
        accuracy,
        OUT / "fixes.png",
        control=(results[control]["table"]["val_acc_mean"], f"control: {control}"),
        title=f"6.2 Q6: fixes at depth {params['depth']}, width {params['width']}, "
        f"{len(seeds)} seeds",
    )

    write_results(
        KEY,
        {
            "best_fix_val_acc_mean": results[best]["table"]["val_acc_mean"],
            "control_val_acc_mean": results[control]["table"]["val_acc_mean"],
        },
        {
            "depth": params["depth"],
            "width": params["width"],
            "epochs": params["epochs"],
            "seeds": seeds,
            "max_span_decades": max_span,
            "best_fix": best,
            "best_fix_rule": "among the deep arms with no dead layer in any seed and a span "
            "within max_span_decades at every epoch, the highest mean validation accuracy; "
            "else the highest mean validation accuracy",
            "control": control,
            "ratio": "per batch ||grad W|| / ||W|| of each hidden layer (W before the step; "
            "batches where ||W|| = 0 are left out), per epoch the mean over batches",
            "span": "per epoch, max minus min over layers of log10 of the median (over seeds) "
            "ratio; worst_span is its maximum over epochs",
            "arms": {n: {k: v for k, v in r.items() if k != "history"} for n, r in results.items()},
            "timing": {"train_seconds": {n: r["train_seconds"] for n, r in results.items()}},
            **environment(device),
        },
    )


def summarise_arm(name, arm, config, result, ratios, dead, max_span) -> dict:
    """An arm's figures: accuracy with a 95% t-interval, dead layers, span of the ratio."""
    val = result.history["val_acc"][-1]  # (R,)
    interval = seed_interval(val)
    low, high = interval["low"], interval["high"]
    median = _log_median(ratios)  # (epochs, layers)
    spans = np.nanmax(median, axis=1) - np.nanmin(median, axis=1)
    history = pd.concat([result.frame(r).assign(replica=r) for r in range(len(val))])
    return {
        "arm": arm,
        "hidden_layers": config.depth,
        "history": history,
        "val_acc": val.tolist(),
        "table": {
            "hidden_layers": config.depth,
            "val_acc_mean": float(val.mean()),
            "val_acc_low": low,
            "val_acc_high": high,
            "seeds_with_dead_layer": int(dead.any(axis=1).sum()),
            "dead_layers_total": int(dead.sum()),
            "worst_span_decades": float(np.max(spans)),
            "within_span": bool(np.max(spans) <= max_span),
            "first_epoch_val_loss": float(result.history["val_loss"][0].mean()),
        },
        "span_per_epoch": spans.tolist(),
        "train_seconds": float(result.train_seconds.sum()),
    }


def pick_best(results: dict, deep: list[str]) -> str:
    ok = [
        n
        for n in deep
        if results[n]["table"]["seeds_with_dead_layer"] == 0 and results[n]["table"]["within_span"]
    ]
    pool = ok or deep
    return max(pool, key=lambda n: results[n]["table"]["val_acc_mean"])


def _log_median(ratios: np.ndarray) -> np.ndarray:
    """``(epochs, layers, R)`` -> ``(epochs, layers)``: log10 of the median over seeds
    of the positive ratios (NaN where none is positive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.nanmedian(np.where(ratios > 0, ratios, np.nan), axis=2))


if __name__ == "__main__":
    run_cities(main)

"""Stage deepfake@<strategy> (7.4): one baseline, swept over the learning rates.

    python pipeline/deepfake.py finetune

The course's baselines: xgboost (raw pixels, default settings), scratch (ResNet18 from
random weights), linear_probe (frozen pretrained backbone, linear head), sklearn_logreg
(logistic regression on the same frozen features), finetune (every layer trained).
Extras: finetune_long (several epochs, cosine schedule, flips and crops),
scratch_backbone (the pretrained backbone's architecture from random weights) and
handmade (a logistic regression on a high-pass residual energy feature). Each run's
test accuracy carries a 95% Wilson interval and its ROC AUC. Torch strategies run on
``device`` (CUDA when available).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stage_faces import read_backbone_record, require_face_arrays, run_faces
from stage_shared import (
    PLOTS,
    ParamError,
    device_from,
    environment,
    foreach_item,
    naming,
    read_params,
    write_results,
)

from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_distinct, check_keys
from mlpcnn.faces.analysis import score_run
from mlpcnn.faces.strategies import (
    KEYS,
    PRETRAINED,
    STRATEGIES,
    TRAIN_KEYS,
    Settings,
    input_of,
    run_strategy,
    training,
)

KEY = "deepfake"


def main() -> None:
    strategy, key, params = foreach_item(KEY, "strategies", (*TRAIN_KEYS, "max_iter"), ("seed",))
    if strategy not in STRATEGIES:
        raise ParamError(f"params.yaml: {key}: unknown strategy (known: {', '.join(STRATEGIES)})")
    own = read_params()[KEY]["strategies"][strategy] or {}
    if own and not KEYS[strategy]:
        raise ParamError(
            f"params.yaml: {key}.{next(iter(own))}: {strategy} takes no params; remove it"
        )
    with naming(""):
        check_keys(own, KEYS[strategy], key)
    device = device_from(params)
    backbone = read_backbone_record()
    settings = Settings(
        seed=params["seed"],
        lrs=params.get("lrs") or [None],
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        schedule=params.get("schedule", "constant"),
        augment=params.get("augment", False),
        max_iter=params.get("max_iter", 100),
        backbone=backbone["backbone"],
        device=device,
    )
    with naming(key):
        settings.check()
        check_distinct(settings.lrs, "lrs")

    with np.load(require_face_arrays()) as arrays:
        kind = str(arrays["kind"])
        labels = {s: arrays[f"{s}_labels"] for s in ("train", "val", "test")}
        files = arrays["test_files"]
        images = {s: arrays[f"{s}_{input_of(strategy)}"] for s in labels}

    runs, notes = run_strategy(strategy, images, labels, settings)

    out = PLOTS / KEY / strategy
    write_csv(
        out / "test_probs.csv",
        pd.DataFrame(
            {"file": files, "label": labels["test"]}
            | {name: r.test_probs for name, r in runs.items()}
        ),
    )
    losses = {name: pd.Series(r.batch_loss) for name, r in runs.items() if len(r.batch_loss)}
    steps = max((len(v) for v in losses.values()), default=0)
    write_csv(out / "batch_loss.csv", pd.DataFrame({"batch": np.arange(1, steps + 1)} | losses))
    scored = {
        name: {"lr": lr_of(name), "extra": strategy == "xgboost" and name != "default",
               "val_acc": r.val_acc, **score_run(labels["test"], r.test_probs)}
        for name, r in runs.items()
    }  # fmt: skip
    chosen = [name for name in runs if not scored[name]["extra"]]
    best = max(chosen, key=lambda name: (runs[name].val_acc, runs[name].test_acc))
    uses_backbone = strategy in PRETRAINED or strategy == "scratch_backbone"
    write_results(
        f"{KEY}/{strategy}",
        {"best_test_acc": runs[best].test_acc},
        {
            "strategy": strategy,
            "dataset": kind,
            "backbone": backbone if uses_backbone else None,
            "runs": scored,
            "best_run_by_val_acc": best,
            "best_lr_by_val_acc": lr_of(best),
            "best_val_acc": runs[best].val_acc,
            "best_test_acc": runs[best].test_acc,
            "training": training(strategy, settings),
            "notes": notes,
            "timing": {name: r.seconds for name, r in runs.items()},
            **environment(device),
        },
    )


def lr_of(name: str) -> float | None:
    return None if name == "default" else float(name.removeprefix("lr "))


if __name__ == "__main__":
    run_faces(main)

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
from stage_faces import read_backbone_record, require_face_arrays, run_faces
from stage_shared import (
    PLOTS,
    ParamError,
    device_from,
    environment,
    foreach_item,
    naming,
    write_results,
)

from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_distinct, check_keys
from mlpcnn.faces.analysis import batch_loss_table, lr_of, probs_table, score_runs
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
    item = foreach_item(KEY, "strategies", (*TRAIN_KEYS, "max_iter"), ("seed",))
    strategy, key, params = item.name, item.key, item.params
    if strategy not in STRATEGIES:
        raise ParamError(f"params.yaml: {key}: unknown strategy (known: {', '.join(STRATEGIES)})")
    if item.own and not KEYS[strategy]:
        raise ParamError(
            f"params.yaml: {key}.{next(iter(item.own))}: {strategy} takes no params; remove it"
        )
    with naming(""):
        check_keys(item.own, KEYS[strategy], key)
    device = device_from(params)
    backbone = read_backbone_record()
    settings = Settings(
        seed=params["seed"], lrs=params.get("lrs") or [None], epochs=params["epochs"],
        batch_size=params["batch_size"], schedule=params.get("schedule", "constant"),
        augment=params.get("augment", False), max_iter=params.get("max_iter", 100),
        backbone=backbone["backbone"], device=device,
    )  # fmt: skip
    with naming(key):
        settings.check()
        check_distinct(settings.lrs, "lrs")

    with np.load(require_face_arrays()) as arrays:
        kind, files = str(arrays["kind"]), arrays["test_files"]
        labels = {s: arrays[f"{s}_labels"] for s in ("train", "val", "test")}
        images = {s: arrays[f"{s}_{input_of(strategy)}"] for s in labels}
    runs, notes = run_strategy(strategy, images, labels, settings)

    out = PLOTS / KEY / strategy
    write_csv(out / "test_probs.csv", probs_table(files, labels["test"], runs))
    write_csv(out / "batch_loss.csv", batch_loss_table(runs))
    scored, best = score_runs(strategy, runs, labels["test"])
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
            **environment(device),
        },
        {name: r.seconds for name, r in runs.items()},
    )


if __name__ == "__main__":
    run_faces(main)

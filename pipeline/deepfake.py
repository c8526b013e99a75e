"""Stage deepfake@<strategy> (7.4): one baseline, swept over the learning rates.

    python pipeline/deepfake.py finetune

The course's baselines: xgboost (raw pixels, default settings), scratch (ResNet18 from
random weights), linear_probe (frozen pretrained backbone, linear head), sklearn_logreg
(logistic regression on the same frozen features), finetune (every layer trained).
Extras: finetune_long (several epochs, cosine schedule, flips and crops),
scratch_backbone (the pretrained backbone's architecture from random weights) and
handmade (a logistic regression on a high-pass residual energy feature). Each run's
test accuracy carries a 95% Wilson interval and its ROC AUC. The sweep runs with the
first of ``deepfake.seeds``; the rate chosen on validation is trained again with the
others (the baseline's figure is the mean over seeds). Torch strategies run on
``device`` (CUDA when available), in bfloat16 autocast as ``deepfake.cpu_autocast`` says
on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch
from stage_faces import read_backbone_record, require_face_arrays, run_faces
from stage_shared import (
    PLOTS,
    ParamError,
    announce,
    device_from,
    environment,
    foreach_item,
    naming,
    write_results,
)

from mlpcnn.common.io import write_csv
from mlpcnn.common.params import check_distinct, check_keys
from mlpcnn.faces.analysis import (
    TIE_RULE,
    batch_loss_table,
    distinct,
    lr_of,
    probs_table,
    score_runs,
    seed_summary,
    tied_runs,
)
from mlpcnn.faces.baselines import resolve_precision
from mlpcnn.faces.strategies import (
    COURSE_STEPS,
    KEYS,
    PRETRAINED,
    STRATEGIES,
    TORCH,
    TRAIN_KEYS,
    Settings,
    input_of,
    run_strategy,
    training,
)

KEY = "deepfake"
ON_DEVICE = (*TORCH, "sklearn_logreg")  # torch on `device`; the others: CPU, float32
CPU = torch.device("cpu")


def device_and_precision(params: dict, strategy: str) -> tuple[torch.device, str]:
    """What the torch strategies and sklearn_logreg run on (``device``, bfloat16 as
    ``cpu_autocast`` says), checked and said on the stage's first line."""
    device = device_from(params, precision=None)
    with naming(KEY):
        precision = resolve_precision(params["cpu_autocast"], device)
    announce(*((device, precision) if strategy in ON_DEVICE else (CPU, "float32")))
    return device, precision


def main() -> None:
    item = foreach_item(
        KEY,
        "strategies",
        (*TRAIN_KEYS, "max_iter", "seeds", "diagnosis_steps"),
        ("seeds", "cpu_autocast"),
    )
    strategy, key, params = item.name, item.key, item.params
    if strategy not in STRATEGIES:
        raise ParamError(f"params.yaml: {key}: unknown strategy (known: {', '.join(STRATEGIES)})")
    with naming(""):
        check_keys(item.own, KEYS[strategy], key)
    device, precision = device_and_precision(params, strategy)
    backbone = read_backbone_record()
    settings = Settings(
        seeds=params["seeds"], lrs=params.get("lrs") or [None], epochs=params["epochs"],
        batch_size=params["batch_size"], schedule=params.get("schedule", "constant"),
        augment=params.get("augment", False), max_iter=params.get("max_iter", 100),
        diagnosis_steps=params.get("diagnosis_steps", COURSE_STEPS),
        backbone=backbone["backbone"], device=device, precision=precision,
    )  # fmt: skip
    with naming(key):
        settings.check()
        check_distinct(settings.lrs, "lrs")

    with np.load(require_face_arrays()) as arrays:
        kind, files = str(arrays["kind"]), arrays["test_files"]
        labels = {s: arrays[f"{s}_labels"] for s in ("train", "val", "test")}
        images = {s: arrays[f"{s}_{input_of(strategy)}"] for s in labels}
    done = run_strategy(strategy, images, labels, settings)
    runs = done.runs()

    out = PLOTS / KEY / strategy
    write_csv(out / "test_probs.csv", probs_table(files, labels["test"], runs))
    write_csv(out / "batch_loss.csv", batch_loss_table(done.sweep))
    scored = score_runs(strategy, runs, labels["test"])
    names = done.seed_names()
    fits = distinct({k: runs[n].test_probs for k, n in names.items()})
    seeds = seed_summary({k: scored[n] for k, n in names.items()}, fits)
    uses_backbone = strategy in PRETRAINED or strategy == "scratch_backbone"
    write_results(
        f"{KEY}/{strategy}",
        {"test_acc_mean": seeds["test_acc"]["mean"]},
        {
            "strategy": strategy, "dataset": kind,
            "backbone": backbone if uses_backbone else None,
            "runs": {n: scored[n] for n in done.sweep}, "best_run_by_val_acc": done.chosen,
            "best_lr_by_val_acc": lr_of(done.chosen),
            "tied_on_val_acc": tied_runs({n: runs[n].val_acc for n in done.sweep}, done.chosen),
            "tie_rule": TIE_RULE,
            "best_val_acc": runs[done.chosen].val_acc, "best_test_acc": runs[done.chosen].test_acc,
            "chosen_over_seeds": seeds, "diagnosis": done.diagnosis,
            "training": training(strategy, settings),
            "precision": precision if strategy in ON_DEVICE else "float32",
            "notes": done.notes, **environment(device if strategy in ON_DEVICE else CPU),
        },
        done.seconds(),
        (settings.seeds, {"test_acc_mean": [s["test_acc"] for s in seeds["per_seed"]]}),
    )  # fmt: skip


if __name__ == "__main__":
    run_faces(main)

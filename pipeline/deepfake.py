"""Stage deepfake@<strategy> (7.1): one baseline, swept over the learning rates.

    python pipeline/deepfake.py finetune

Strategies: xgboost (raw pixels), scratch (ResNet18 from random weights), linear_probe
(frozen pretrained backbone, linear head), sklearn_logreg (logistic regression on the
same frozen features), finetune (every layer trained), finetune_long (beyond the course:
several epochs, cosine schedule, flips and crops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from stage_faces import require_face_arrays, run_faces
from stage_shared import PLOTS, ParamError, foreach_item, naming, write_results
from torch import nn

from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam, check_distinct, number_label
from mlpcnn.faces.backbones import resolve_backbone
from mlpcnn.faces.baselines import (
    RunResult,
    frozen_features,
    logistic_regression,
    run_torch,
    to_unit,
    xgboost_run,
)

KEY = "deepfake"
STRATEGIES = ("xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune", "finetune_long")
AUGMENT = "random horizontal flip, random 200-pixel crop resized back to 224 (per batch)"
PRETRAINED = ("linear_probe", "sklearn_logreg", "finetune", "finetune_long")
KEYS = ("lrs", "epochs", "batch_size", "schedule", "augment", "max_iter")


def main() -> None:
    strategy, key, params = foreach_item(KEY, "strategies", KEYS, section_keys=("seed",))
    if strategy not in STRATEGIES:
        raise ParamError(f"params.yaml: {key}: unknown strategy (known: {', '.join(STRATEGIES)})")
    seed = params["seed"]
    with naming(key):
        lrs = params.get("lrs") or [None]
        if not isinstance(lrs, list) or any(
            lr is not None and not (isinstance(lr, int | float) and lr > 0) for lr in lrs
        ):
            raise InvalidParam(f"lrs: expected positive learning rates, got {lrs!r}")
        check_distinct(lrs, "lrs")

    with np.load(require_face_arrays()) as arrays:
        kind, backbone_name = str(arrays["kind"]), str(arrays["backbone"])
        labels = {s: arrays[f"{s}_labels"] for s in ("train", "val", "test")}
        files = arrays["test_files"]
        source = (
            "xgboost"
            if strategy == "xgboost"
            else "scratch"
            if strategy == "scratch"
            else "pretrained"
        )
        images = {s: arrays[f"{s}_{source}"] for s in labels}

    runner = {"xgboost": xgboost_runs, "scratch": scratch_runs}.get(strategy, pretrained_runs)
    runs, notes = runner(strategy, params, images, labels, lrs, seed, backbone_name)

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
    best = max(runs, key=lambda name: (runs[name].val_acc, runs[name].test_acc))
    write_results(
        f"{KEY}/{strategy}",
        {"best_test_acc": runs[best].test_acc},
        {
            "strategy": strategy,
            "dataset": kind,
            "backbone": backbone_name if strategy in PRETRAINED else None,
            "runs": {
                name: {"lr": lr_of(name), "val_acc": r.val_acc, "test_acc": r.test_acc}
                for name, r in runs.items()
            },
            "best_lr_by_val_acc": lr_of(best),
            "best_val_acc": runs[best].val_acc,
            "best_test_acc": runs[best].test_acc,
            "training": train_args(params)
            | {
                "augment": AUGMENT if params.get("augment") else None,
                "optimizer": "adam",
                "loss": "BCEWithLogitsLoss",
                "threshold": 0.5,
            },
            "notes": notes,
            "timing": {name: r.seconds for name, r in runs.items()},
        },
    )


Runs = tuple[dict[str, RunResult], dict]


def xgboost_runs(strategy, params, images, labels, lrs, seed, backbone_name) -> Runs:
    pixels = {s: (images[s].astype(np.float32) / 255, labels[s]) for s in labels}
    runs = {label(lr): xgboost_run(pixels, seed, lr) for lr in lrs}
    swept = "" if lrs == [None] else ", learning_rate swept"
    return runs, {"model": f"XGBClassifier with default settings{swept}"}


def scratch_runs(strategy, params, images, labels, lrs, seed, backbone_name) -> Runs:
    from torchvision.models import resnet18

    data = tensors(images, labels)
    runs = {
        label(lr): run_torch(
            lambda: resnet18(num_classes=1), data, to_unit, lr=lr, seed=seed, **train_args(params)
        )
        for lr in lrs
    }
    return runs, {
        "model": "ResNet18 from random initialisation, one logit; input: resize 224, ToTensor"
    }


def pretrained_runs(strategy, params, images, labels, lrs, seed, backbone_name) -> Runs:
    backbone = resolve_backbone(backbone_name)
    prepare = lambda batch: backbone.normalise(to_unit(batch))  # noqa: E731
    data = tensors(images, labels)
    notes = {"backbone": backbone.name}
    if strategy in ("linear_probe", "sklearn_logreg"):
        features = {
            s: (frozen_features(backbone.features, x, prepare), y) for s, (x, y) in data.items()
        }
        notes["features"] = (
            "computed once by the frozen backbone in eval mode, reused for every run"
        )
        if strategy == "sklearn_logreg":
            numpy = {s: (f.numpy(), y.numpy()) for s, (f, y) in features.items()}
            result = logistic_regression(numpy, params["max_iter"], seed)
            return {label(None): result}, notes | result.extra
        head = lambda: nn.Linear(backbone.feature_dim, 1)  # noqa: E731
        identity = lambda f: f  # noqa: E731
        args = train_args(params)
        runs = {
            label(lr): run_torch(head, features, identity, lr=lr, seed=seed, **args) for lr in lrs
        }
        return runs, notes | {"model": "a linear head on the frozen features"}

    def build() -> nn.Module:
        fresh = resolve_backbone(backbone_name)
        return nn.Sequential(fresh.features, nn.Linear(fresh.feature_dim, 1))

    runs = {
        label(lr): run_torch(build, data, prepare, lr=lr, seed=seed, **train_args(params))
        for lr in lrs
    }
    return runs, notes | {"model": f"{backbone.name}, every layer trained, with a new linear head"}


def tensors(images: dict, labels: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return {s: (torch.from_numpy(images[s]), torch.from_numpy(labels[s])) for s in labels}


def train_args(params: dict) -> dict:
    return {
        "epochs": params["epochs"],
        "batch_size": params["batch_size"],
        "schedule": params.get("schedule", "constant"),
        "augment": flips_and_crops if params.get("augment") else None,
    }


def flips_and_crops(batch: torch.Tensor) -> torch.Tensor:
    """Random horizontal flip and a random 200-pixel crop resized back to 224, per batch."""
    if torch.rand(()) < 0.5:
        batch = batch.flip(-1)
    top, left = torch.randint(0, 25, (2,)).tolist()
    crop = batch[..., top : top + 200, left : left + 200]
    return torch.nn.functional.interpolate(
        crop, size=batch.shape[-2:], mode="bilinear", align_corners=False
    )


def label(lr: float | None) -> str:
    return "default" if lr is None else f"lr {number_label(lr)}"


def lr_of(name: str) -> float | None:
    return None if name == "default" else float(name.removeprefix("lr "))


if __name__ == "__main__":
    run_faces(main)

"""The deepfake baselines (7.4) as strategies: which input each reads and how it runs.

A strategy turns the decoded splits (uint8 arrays, see :mod:`mlpcnn.faces.data`) into
one run per learning rate (or one run with default settings) and a few notes on what
was trained. The course's five baselines are xgboost, scratch, linear_probe,
sklearn_logreg and finetune; the extras answer questions beyond the handout:
``finetune_long`` (several epochs, a schedule and augmentation), ``scratch_backbone``
(the pretrained backbone's own architecture from random weights, so that pretrained
against scratch is not also a change of architecture) and ``handmade`` (how hard the data
is for a detector written by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mlpcnn.common.params import InvalidParam, number_label
from mlpcnn.faces.backbones import random_architecture, resolve_backbone
from mlpcnn.faces.baselines import (
    Data,
    RunResult,
    flips_and_crops,
    frozen_features,
    handmade_run,
    logistic_regression,
    run_torch,
    to_device,
    to_unit,
    xgboost_run,
)

COURSE = ("xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune")
EXTRAS = ("finetune_long", "scratch_backbone", "handmade")
STRATEGIES = COURSE + EXTRAS
TORCH = ("scratch", "scratch_backbone", "linear_probe", "finetune", "finetune_long")
IMAGE_NETWORKS = ("scratch", "scratch_backbone", "finetune", "finetune_long")
PRETRAINED = ("linear_probe", "sklearn_logreg", "finetune", "finetune_long")
TRAIN_KEYS = ("lrs", "epochs", "batch_size", "schedule", "augment")
KEYS = {  # what each strategy's own params may set (the shared train keys apply to torch ones)
    "xgboost": ("lrs",),
    "sklearn_logreg": ("max_iter",),
    "handmade": (),
} | {s: TRAIN_KEYS for s in TORCH}
SCHEDULES = ("constant", "cosine")
AUGMENT = "random horizontal flip, random crop of 200/224 of each side resized back (per batch)"


def input_of(strategy: str) -> str:
    """Which decoded input a strategy reads: ``xgboost`` (64 x 64 pixels, flattened),
    ``scratch`` (resize 224) or ``pretrained`` (the backbone's preset)."""
    if strategy == "xgboost":
        return "xgboost"
    return "scratch" if strategy in ("scratch", "handmade") else "pretrained"


@dataclass(frozen=True)
class Settings:
    """How a strategy runs; ``lrs``: learning rates, ``[None]`` for default settings."""

    seed: int
    lrs: list[float | None] = field(default_factory=lambda: [None])
    epochs: int = 1
    batch_size: int = 32
    schedule: str = "constant"
    augment: bool = False
    max_iter: int = 100
    backbone: str = "efficientnet_lite0"  # a resolved name, see backbones.resolved_name
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def check(self) -> None:
        lrs = self.lrs
        if (
            not isinstance(lrs, list)
            or not lrs
            or any(
                lr is not None
                and (isinstance(lr, bool) or not isinstance(lr, int | float) or lr <= 0)
                for lr in lrs
            )
        ):
            raise InvalidParam(f"lrs: expected positive learning rates, got {lrs!r}")
        for name in ("epochs", "batch_size", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParam(f"{name}: expected a positive integer, got {value!r}")
        if self.schedule not in SCHEDULES:
            raise InvalidParam(
                f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}"
            )
        if not isinstance(self.augment, bool):
            raise InvalidParam(f"augment: expected true or false, got {self.augment!r}")


Runs = tuple[dict[str, RunResult], dict]


def run_strategy(
    strategy: str,
    images: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    settings: Settings,
) -> Runs:
    """Every run of ``strategy`` on ``images`` (its input, per split) and ``labels``."""
    if strategy not in STRATEGIES:
        raise InvalidParam(f"strategy: expected one of {', '.join(STRATEGIES)}, got {strategy!r}")
    settings.check()
    if strategy in TORCH and None in settings.lrs:
        raise InvalidParam(f"lrs: {strategy} needs learning rates, got {settings.lrs!r}")
    if settings.augment and strategy not in IMAGE_NETWORKS:
        raise InvalidParam(f"augment: {strategy} does not train a network on images")
    data = {s: (torch.from_numpy(images[s]), torch.from_numpy(labels[s])) for s in labels}
    runner = {
        "xgboost": xgboost_runs,
        "handmade": handmade_runs,
        "scratch": scratch_runs,
        "scratch_backbone": scratch_runs,
    }.get(strategy, pretrained_runs)
    return runner(strategy, data, settings)


def run_label(lr: float | None) -> str:
    return "default" if lr is None else f"lr {number_label(lr)}"


def training(strategy: str, settings: Settings) -> dict | None:
    """What a torch strategy's optimisation was (None for the others: they have their own)."""
    if strategy not in TORCH:
        return None
    return {
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "schedule": settings.schedule,
        "augment": AUGMENT if settings.augment else None,
        "optimizer": "adam",
        "loss": "BCEWithLogitsLoss",
        "threshold": 0.5,
        "precision": "bfloat16 autocast" if settings.device.type == "cuda" else "float32",
    }


def xgboost_runs(strategy: str, data: Data, settings: Settings) -> Runs:
    """XGBoost with default settings; listed learning rates are an extra sweep beside it."""
    pixels = {s: (x.numpy().astype(np.float32) / 255, y.numpy()) for s, (x, y) in data.items()}
    lrs = [None, *(lr for lr in settings.lrs if lr is not None)]
    runs = {run_label(lr): xgboost_run(pixels, settings.seed, lr) for lr in lrs}
    swept = "" if len(lrs) == 1 else "; the learning-rate runs are an extra sweep"
    return runs, {
        "model": f"XGBClassifier with default settings{swept}",
        "input": "resize 224, centre crop 64, flatten: 12,288 values in [0, 1]",
    }


def handmade_runs(strategy: str, data: Data, settings: Settings) -> Runs:
    result = handmade_run(data, settings.seed)
    return {run_label(None): result}, result.extra | {
        "model": "LogisticRegression (defaults, standardised inputs) on the log mean squared "
        "Laplacian residual of each colour channel (3 features)",
        "input": "resize 224",
    }


def scratch_runs(strategy: str, data: Data, settings: Settings) -> Runs:
    """Random weights: ResNet18 on the scratch input (the course's), or the pretrained
    backbone's architecture on the pretrained input (``scratch_backbone``)."""
    data = to_device(data, settings.device)
    if strategy == "scratch":
        name, prepare = "resnet18", to_unit
        notes = {"model": "ResNet18 from random initialisation, one logit",
                 "input": "resize 224, ToTensor"}  # fmt: skip
    else:
        backbone = resolve_backbone(settings.backbone)
        name = backbone.name
        prepare = lambda batch: backbone.normalise(to_unit(batch))  # noqa: E731
        notes = {"model": f"{name} from random initialisation, one logit (the pretrained "
                 "strategies' architecture and input, without the ImageNet weights)",
                 "input": f"{name} preset"}  # fmt: skip
    runs = {
        run_label(lr): run_torch(
            lambda: random_architecture(name), data, prepare, lr=lr, seed=settings.seed,
            **torch_args(settings, data),
        )
        for lr in settings.lrs
    }  # fmt: skip
    return runs, notes


def pretrained_runs(strategy: str, data: Data, settings: Settings) -> Runs:
    backbone = resolve_backbone(settings.backbone)
    data = to_device(data, settings.device)
    prepare = lambda batch: backbone.normalise(to_unit(batch))  # noqa: E731
    notes = {"backbone": backbone.name, "input": f"{backbone.name} preset"}
    if strategy in ("linear_probe", "sklearn_logreg"):
        features = {
            s: (frozen_features(backbone.features, x, prepare), y) for s, (x, y) in data.items()
        }
        notes["features"] = "computed once by the frozen backbone in eval mode, reused by every run"
        if strategy == "sklearn_logreg":
            numpy = {s: (f.cpu().numpy(), y.cpu().numpy()) for s, (f, y) in features.items()}
            result = logistic_regression(numpy, settings.max_iter, settings.seed)
            return {run_label(None): result}, notes | result.extra | {
                "model": "scikit-learn LogisticRegression on the frozen features"
            }
        runs = {
            run_label(lr): run_torch(
                lambda: nn.Linear(backbone.feature_dim, 1), features, lambda f: f, lr=lr,
                seed=settings.seed, **torch_args(settings, features),
            )
            for lr in settings.lrs
        }  # fmt: skip
        return runs, notes | {"model": "a linear head on the frozen features"}

    def build() -> nn.Module:
        fresh = resolve_backbone(backbone.name)
        return nn.Sequential(fresh.features, nn.Linear(fresh.feature_dim, 1))

    runs = {
        run_label(lr): run_torch(
            build, data, prepare, lr=lr, seed=settings.seed, **torch_args(settings, data)
        )
        for lr in settings.lrs
    }
    return runs, notes | {"model": f"{backbone.name}, every layer trained, with a new linear head"}


def torch_args(settings: Settings, data: Data) -> dict:
    augment: Callable | None = None
    if settings.augment:
        augment = flips_and_crops(*data["train"][0].shape[-2:])
    return {
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "schedule": settings.schedule,
        "augment": augment,
    }

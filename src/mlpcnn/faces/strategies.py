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
from mlpcnn.faces.analysis import choose_run, is_constant, lr_of, seed_run
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
from mlpcnn.faces.diagnosis import diagnose_constant

COURSE = ("xgboost", "scratch", "linear_probe", "sklearn_logreg", "finetune")
EXTRAS = ("finetune_long", "scratch_backbone", "handmade")
STRATEGIES = COURSE + EXTRAS
TORCH = ("scratch", "scratch_backbone", "linear_probe", "finetune", "finetune_long")
IMAGE_NETWORKS = ("scratch", "scratch_backbone", "finetune", "finetune_long")
PRETRAINED = ("linear_probe", "sklearn_logreg", "finetune", "finetune_long")
TRAIN_KEYS = ("lrs", "epochs", "batch_size", "schedule", "augment")
KEYS = {  # what each strategy's own params may set (the shared train keys apply to torch ones)
    "xgboost": ("lrs", "seeds"),
    "sklearn_logreg": ("max_iter", "seeds"),
    "handmade": ("seeds",),
} | {s: (*TRAIN_KEYS, "seeds") for s in TORCH}
KEYS["scratch"] = (*KEYS["scratch"], "diagnosis_steps")  # a constant run's longer rerun
SCHEDULES = ("constant", "cosine")
AUGMENT = "random horizontal flip, random crop of 200/224 of each side resized back (per batch)"


def input_of(strategy: str) -> str:
    """Which decoded input a strategy reads: ``xgboost`` (64 x 64 pixels, flattened),
    ``scratch`` (resize 224) or ``pretrained`` (the backbone's preset)."""
    if strategy == "xgboost":
        return "xgboost"
    return "scratch" if strategy in ("scratch", "handmade") else "pretrained"


COURSE_STEPS = 44  # the course's batches an epoch: about 1,400 training images / 32


@dataclass(frozen=True)
class Settings:
    """How a strategy runs; ``lrs``: learning rates, ``[None]`` for default settings.

    ``seeds``: the learning-rate sweep runs with the first (one run per rate, as the course
    does); the rate chosen on validation is then trained again with each of the others.
    ``precision``: ``float32`` or ``bfloat16`` (autocast), see ``resolve_precision``.
    """

    seeds: tuple[int, ...] = (0,)
    lrs: list[float | None] = field(default_factory=lambda: [None])
    epochs: int = 1
    batch_size: int = 32
    schedule: str = "constant"
    augment: bool = False
    max_iter: int = 100
    # a constant scratch run is trained again for at least this many steps (the course's
    # epoch) and twice its own, to tell too few steps from a broken model
    diagnosis_steps: int = COURSE_STEPS
    backbone: str = "efficientnet_lite0"  # a resolved name, see backbones.resolved_name
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    precision: str = "float32"

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
        seeds = self.seeds
        if (
            not isinstance(seeds, tuple | list)
            or not seeds
            or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in seeds)
            or len(set(seeds)) != len(seeds)
        ):
            raise InvalidParam(f"seeds: expected distinct non-negative integers, got {seeds!r}")
        for name in ("epochs", "batch_size", "max_iter", "diagnosis_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParam(f"{name}: expected a positive integer, got {value!r}")
        if self.schedule not in SCHEDULES:
            raise InvalidParam(
                f"schedule: expected one of {', '.join(SCHEDULES)}, got {self.schedule!r}"
            )
        if not isinstance(self.augment, bool):
            raise InvalidParam(f"augment: expected true or false, got {self.augment!r}")


Run = Callable[..., RunResult]  # (lr, seed, **overrides) -> one trained and scored run


@dataclass
class StrategyRuns:
    """What one strategy ran: the sweep (one run per learning rate, first seed), the run
    chosen on validation, that rate at every seed, and the notes on what was trained."""

    sweep: dict[str, RunResult]
    chosen: str
    seeds: dict[int, RunResult]  # seed -> the chosen rate's run (the first is the sweep's)
    notes: dict
    diagnosis: dict | None = None
    longer: RunResult | None = None  # the diagnosis's run for the course's step count

    def seed_names(self) -> dict[int, str]:
        """seed -> the name of the chosen rate's run with it (the first seed's is the
        sweep's run, the others ``<chosen> seed <k>``)."""
        first = next(iter(self.seeds))
        return {k: self.chosen if k == first else seed_run(self.chosen, k) for k in self.seeds}

    def seconds(self) -> dict[str, float]:
        """Each run's training time by name, and the diagnosis's longer run, if any."""
        out = {name: r.seconds for name, r in self.runs().items()}
        if self.longer is not None:
            out["diagnosis: the course's step count"] = self.longer.seconds
        return out

    def runs(self) -> dict[str, RunResult]:
        """Every run by name: the sweep's, then the chosen rate's with the other seeds."""
        names = self.seed_names()
        return self.sweep | {
            names[k]: r for k, r in self.seeds.items() if names[k] not in self.sweep
        }


def run_strategy(
    strategy: str,
    images: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    settings: Settings,
    diagnose: bool = True,
) -> StrategyRuns:
    """Every run of ``strategy`` on ``images`` (its input, per split) and ``labels``: the
    sweep at the first seed, the rate chosen on validation at every seed, and, where the
    course's scratch ResNet18 ends constant (and ``diagnose``), :func:`diagnose_constant`
    (the extra ``scratch_backbone`` is not diagnosed: the section's time budget)."""
    if strategy not in STRATEGIES:
        raise InvalidParam(f"strategy: expected one of {', '.join(STRATEGIES)}, got {strategy!r}")
    settings.check()
    if strategy in TORCH and None in settings.lrs:
        raise InvalidParam(f"lrs: {strategy} needs learning rates, got {settings.lrs!r}")
    if settings.augment and strategy not in IMAGE_NETWORKS:
        raise InvalidParam(f"augment: {strategy} does not train a network on images")
    data = {s: (torch.from_numpy(images[s]), torch.from_numpy(labels[s])) for s in labels}
    maker = {
        "xgboost": xgboost_runner,
        "handmade": handmade_runner,
        "scratch": scratch_runner,
        "scratch_backbone": scratch_runner,
    }.get(strategy, pretrained_runner)
    run, notes, prepared = maker(strategy, data, settings)
    first, *others = settings.seeds
    lrs = (  # XGBoost's defaults, then any rates as an extra; the regressions have none
        settings.lrs
        if strategy in TORCH
        else [None, *(x for x in settings.lrs if x)]
        if strategy == "xgboost"
        else [None]
    )
    keep = diagnose and strategy == "scratch"
    sweep = {run_label(lr): run(lr, first, keep_model=keep) for lr in lrs}
    chosen = choose_run(strategy, sweep)
    notes |= sweep[chosen].extra  # what the chosen fit reports (convergence, coefficients)
    lr = lr_of(chosen)
    seeds = {first: sweep[chosen]} | {seed: run(lr, seed) for seed in others}
    diagnosis = longer = None
    if keep and is_constant(labels["test"], sweep[chosen].test_probs):
        # the course's epoch (44 steps by default), and at least twice what the run trained
        steps = max(settings.diagnosis_steps, 2 * len(sweep[chosen].batch_loss))
        longer = run(lr, first, steps=steps)
        diagnosis = diagnose_constant(sweep[chosen], prepared, longer, settings.precision)
    for result in sweep.values():
        result.model = None  # the weights were kept for the diagnosis only
    return StrategyRuns(sweep, chosen, seeds, notes, diagnosis, longer)


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
    }


Runner = tuple[Run, dict, tuple | None]  # run, notes, (data, prepare) of a torch network


def xgboost_runner(strategy: str, data: Data, settings: Settings) -> Runner:
    """XGBoost with default settings (``lr None``); a learning rate is an extra run."""
    pixels = {s: (x.numpy().astype(np.float32) / 255, y.numpy()) for s, (x, y) in data.items()}
    swept = "" if settings.lrs == [None] else "; the learning-rate runs are an extra sweep"
    return (
        lambda lr, seed, **_: xgboost_run(pixels, seed, lr),
        {"model": f"XGBClassifier with default settings{swept}",
         "input": "64 x 64 x 3 pixels as prepare_faces took them (its summary's inputs say "
                  "how), flattened: 12,288 values in [0, 1]"},
        None,
    )  # fmt: skip


def handmade_runner(strategy: str, data: Data, settings: Settings) -> Runner:
    notes = {
        "model": "LogisticRegression (defaults, standardised inputs) on the log mean squared "
        "Laplacian residual of each colour channel (3 features)",
        "input": "resize 224",
    }
    return lambda lr, seed, **_: handmade_run(data, seed), notes, None


def scratch_runner(strategy: str, data: Data, settings: Settings) -> Runner:
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

    def run(lr: float, seed: int, **overrides) -> RunResult:
        return run_torch(lambda: random_architecture(name), data, prepare, lr=lr, seed=seed,
                         **torch_args(settings, data) | overrides)  # fmt: skip

    return run, notes, (data, prepare)


def pretrained_runner(strategy: str, data: Data, settings: Settings) -> Runner:
    backbone = resolve_backbone(settings.backbone)
    data = to_device(data, settings.device)
    prepare = lambda batch: backbone.normalise(to_unit(batch))  # noqa: E731
    notes = {"backbone": backbone.name, "input": f"{backbone.name} preset"}
    if strategy in ("linear_probe", "sklearn_logreg"):
        features = {
            s: (frozen_features(backbone.features, x, prepare, precision=settings.precision), y)
            for s, (x, y) in data.items()
        }
        notes["features"] = "computed once by the frozen backbone in eval mode, reused by every run"
        if strategy == "sklearn_logreg":
            numpy = {s: (f.cpu().numpy(), y.cpu().numpy()) for s, (f, y) in features.items()}

            def fit(lr: None, seed: int, **_) -> RunResult:
                return logistic_regression(numpy, settings.max_iter, seed)

            return (
                fit,
                notes | {"model": "scikit-learn LogisticRegression on the frozen features"},
                None,
            )

        def probe(lr: float, seed: int, **overrides) -> RunResult:
            head = lambda: nn.Linear(backbone.feature_dim, 1)  # noqa: E731
            args = torch_args(settings, features) | overrides
            return run_torch(head, features, lambda f: f, lr=lr, seed=seed, **args)

        return probe, notes | {"model": "a linear head on the frozen features"}, None

    def build() -> nn.Module:
        fresh = resolve_backbone(backbone.name)
        return nn.Sequential(fresh.features, nn.Linear(fresh.feature_dim, 1))

    def tune(lr: float, seed: int, **overrides) -> RunResult:
        return run_torch(build, data, prepare, lr=lr, seed=seed,
                         **torch_args(settings, data) | overrides)  # fmt: skip

    notes |= {"model": f"{backbone.name}, every layer trained, with a new linear head"}
    return tune, notes, None


def torch_args(settings: Settings, data: Data) -> dict:
    augment: Callable | None = None
    if settings.augment:
        augment = flips_and_crops(*data["train"][0].shape[-2:])
    return {
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "schedule": settings.schedule,
        "augment": augment,
        "precision": settings.precision,
    }

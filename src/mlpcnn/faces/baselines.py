"""The deepfake baselines: one epoch of a CNN per learning rate, XGBoost and logistic
regression on pixels or frozen features, all scored the same way.

Every torch strategy trains one logit with ``BCEWithLogitsLoss``, Adam, batch 32, and
predicts fake when the probability exceeds 0.5. Images arrive as uint8 arrays decoded
once (see :mod:`mlpcnn.faces.data`); each batch is converted to float on the fly, in
channels-last layout, and evaluation runs under ``torch.inference_mode``. Batch losses
stay on the device until the epoch ends (no per-step host synchronisation).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

Prepare = Callable[[torch.Tensor], torch.Tensor]  # uint8 (B, 3, H, W) -> network input


@dataclass
class RunResult:
    """One (strategy, learning rate) run."""

    val_acc: float
    test_acc: float
    test_probs: np.ndarray  # (N_test,) probability of fake
    batch_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(((probs > 0.5).astype(np.int64) == labels).mean())


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(B, 3, H, W)`` -> float in [0, 1], channels-last (ToTensor's values)."""
    return images.float().div_(255).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict_probs(
    model: nn.Module, images: torch.Tensor, prepare: Prepare, batch: int = 64
) -> np.ndarray:
    """Probability of fake for every image, the model in eval mode."""
    model.eval()
    logits = [model(prepare(images[i : i + batch])).flatten() for i in range(0, len(images), batch)]
    return torch.sigmoid(torch.cat(logits)).cpu().numpy().astype(np.float64)


def train_one_logit(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    prepare: Prepare,
    *,
    lr: float,
    seed: int,
    epochs: int = 1,
    batch_size: int = 32,
    params: list[nn.Parameter] | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    schedule: str = "constant",
    progress: bool | None = None,
) -> np.ndarray:
    """Train ``model`` (in place) with Adam and BCE on one logit; return the batch losses.

    ``params`` restricts what is trained (default: everything); ``augment`` acts on each
    prepared batch; ``schedule`` is ``constant`` or ``cosine`` over all steps.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(params if params is not None else model.parameters(), lr=lr)
    steps = epochs * -(-len(labels) // batch_size)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        if schedule == "cosine"
        else None
    )
    losses = torch.empty(steps, device=labels.device)
    target = labels.float()
    step = 0
    bar = tqdm(
        total=steps, unit="batch", leave=False, disable=None if progress is None else not progress
    )
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator).to(labels.device)
        for start in range(0, len(labels), batch_size):
            idx = order[start : start + batch_size]
            x = prepare(images[idx])
            if augment is not None:
                x = augment(x)
            loss = F.binary_cross_entropy_with_logits(model(x).flatten(), target[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses[step] = loss.detach()
            step += 1
            bar.update(1)
    bar.close()
    return losses.cpu().numpy().astype(np.float64)


def run_torch(
    build: Callable[[], nn.Module],
    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
    prepare: Prepare,
    *,
    lr: float,
    seed: int,
    **train_kwargs,
) -> RunResult:
    """Build a fresh model (seeded), train it, score it on validation and test."""
    torch.manual_seed(seed)
    model = build().to(memory_format=torch.channels_last)
    start = time.perf_counter()
    losses = train_one_logit(model, *data["train"], prepare, lr=lr, seed=seed, **train_kwargs)
    seconds = time.perf_counter() - start
    probs = {s: predict_probs(model, data[s][0], prepare) for s in ("val", "test")}
    return RunResult(
        val_acc=accuracy(probs["val"], data["val"][1].cpu().numpy()),
        test_acc=accuracy(probs["test"], data["test"][1].cpu().numpy()),
        test_probs=probs["test"],
        batch_loss=losses,
        seconds=seconds,
    )


@torch.inference_mode()
def frozen_features(
    backbone: nn.Module, images: torch.Tensor, prepare: Prepare, batch: int = 64
) -> torch.Tensor:
    """The backbone's features of every image, computed once in eval mode."""
    backbone.eval()
    return torch.cat(
        [backbone(prepare(images[i : i + batch])) for i in range(0, len(images), batch)]
    )


def logistic_regression(
    features: dict[str, tuple[np.ndarray, np.ndarray]], max_iter: int, seed: int
) -> RunResult:
    """scikit-learn's LogisticRegression on frozen features; reports whether it converged."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = LogisticRegression(max_iter=max_iter, random_state=seed).fit(*features["train"])
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    probs = {s: model.predict_proba(features[s][0])[:, 1] for s in ("val", "test")}
    return RunResult(
        val_acc=accuracy(probs["val"], features["val"][1]),
        test_acc=accuracy(probs["test"], features["test"][1]),
        test_probs=probs["test"],
        seconds=time.perf_counter() - start,
        extra={"converged": converged, "iterations": int(model.n_iter_[0]), "max_iter": max_iter},
    )


def xgboost_run(
    pixels: dict[str, tuple[np.ndarray, np.ndarray]], seed: int, learning_rate: float | None
) -> RunResult:
    """XGBClassifier with default settings (or one learning rate) on raw pixels in [0, 1]."""
    from xgboost import XGBClassifier

    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    start = time.perf_counter()
    model = XGBClassifier(random_state=seed, n_jobs=torch.get_num_threads(), **kwargs)
    model.fit(*pixels["train"])
    probs = {s: model.predict_proba(pixels[s][0])[:, 1] for s in ("val", "test")}
    return RunResult(
        val_acc=accuracy(probs["val"], pixels["val"][1]),
        test_acc=accuracy(probs["test"], pixels["test"][1]),
        test_probs=probs["test"].astype(np.float64),
        seconds=time.perf_counter() - start,
    )


def first_disagreements(
    labels: np.ndarray, best: np.ndarray, worst: np.ndarray, n: int = 5
) -> list[int]:
    """The first ``n`` test indices, in order, that ``best`` gets right and ``worst`` wrong."""
    right = (best > 0.5).astype(np.int64) == labels
    wrong = (worst > 0.5).astype(np.int64) != labels
    return [int(i) for i in np.flatnonzero(right & wrong)[:n]]

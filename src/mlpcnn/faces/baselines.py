"""The deepfake baselines: one epoch of a CNN per learning rate, XGBoost and logistic
regression on pixels or frozen features, all scored the same way.

Every torch strategy trains one logit with ``BCEWithLogitsLoss``, Adam, batch 32, and
predicts fake when the probability exceeds 0.5. Images arrive as uint8 arrays decoded
once (see :mod:`mlpcnn.faces.data`); each batch is converted to float on the fly, in
channels-last layout, and evaluation runs under ``torch.inference_mode``. Batch losses
stay on the device until the epoch ends (no per-step host synchronisation).

On CUDA the uint8 arrays are copied to the GPU once (through pinned host memory), and
the forward pass and loss run under bfloat16 autocast (weights, gradients and Adam's
state stay float32, so the optimisation protocol is the course's). On the CPU the same
autocast is a choice (:func:`resolve_precision`): it pays on CPUs that multiply bfloat16
in hardware (Intel AMX, AVX-512 bfloat16) and costs elsewhere, so ``auto`` turns it on
only there.
Under autocast the frozen features and the logits are rounded to bfloat16 (8 bits of
mantissa), so nearby probabilities can tie; every summary records the precision.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlpcnn.common.params import InvalidParam
from mlpcnn.common.progress import Progress

Prepare = Callable[[torch.Tensor], torch.Tensor]  # uint8 (B, 3, H, W) -> network input
CPU_AUTOCAST = ("auto", "bfloat16", "off")


@dataclass
class RunResult:
    """One (strategy, learning rate) run."""

    val_acc: float
    test_acc: float
    test_probs: np.ndarray  # (N_test,) probability of fake
    batch_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    model: nn.Module | None = field(default=None, repr=False)  # kept in memory, never saved


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(((probs > 0.5).astype(np.int64) == labels).mean())


Data = dict[str, tuple[torch.Tensor, torch.Tensor]]  # split -> (uint8 images, labels)


def to_device(data: Data, device: torch.device) -> Data:
    """Every split's tensors on ``device``; to CUDA through pinned memory, asynchronously."""
    if device.type != "cuda":
        return {s: (x.to(device), y.to(device)) for s, (x, y) in data.items()}
    return {
        s: tuple(t.pin_memory().to(device, non_blocking=True) for t in pair)
        for s, pair in data.items()
    }


def cpu_has_bf16_matrix_units() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware: Intel AMX tiles, or AVX-512
    bfloat16 dot products (``avx512_bf16``: AMD Zen 4 and later, recent Xeons). On an
    AMD EPYC with avx512_bf16 and no AMX, ResNet18 from scratch trained 2.17x faster in
    bfloat16 (``benchmarks/bench_cpu_autocast.py``, 2026-12-03); without either, bfloat16
    is emulated and slower than float32."""
    check = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(check is not None and check()) or "avx512_bf16" in cpu_flags()


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux's /proc/cpuinfo; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((x for x in text.splitlines() if x.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def resolve_precision(cpu_autocast: str, device: torch.device) -> str:
    """``bfloat16`` (autocast) or ``float32``: always bfloat16 on CUDA; on the CPU as
    ``cpu_autocast`` says, ``auto`` meaning bfloat16 only where the CPU has matrix units
    for it (elsewhere bfloat16 is emulated and slower than float32)."""
    if cpu_autocast not in CPU_AUTOCAST:
        raise InvalidParam(
            f"cpu_autocast: expected one of {', '.join(CPU_AUTOCAST)}, got {cpu_autocast!r}"
        )
    if device.type == "cuda" or cpu_autocast == "bfloat16":
        return "bfloat16"
    if cpu_autocast == "auto" and device.type == "cpu" and cpu_has_bf16_matrix_units():
        return "bfloat16"
    return "float32"


def autocast(device: torch.device, precision: str = "float32") -> torch.autocast:
    """bfloat16 autocast when ``precision`` says so; a no-op for float32."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(B, 3, H, W)`` -> float in [0, 1], channels-last (ToTensor's values)."""
    return images.float().div_(255).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def predict_probs(
    model: nn.Module,
    images: torch.Tensor,
    prepare: Prepare,
    batch: int = 64,
    precision: str = "float32",
    train_mode: bool = False,
) -> np.ndarray:
    """Probability of fake for every image, the model in eval mode (on ``images``' device).

    ``train_mode``: batch norm normalises each batch of ``batch`` images by its own
    statistics instead of the running ones. The model is copied (its running statistics
    stay as they were) and the images are taken in a fixed shuffled order, so that a
    batch is not all one class (the test split is stored class by class)."""
    order = None  # evaluation mode reads the images in place, slice by slice
    if train_mode:
        model = copy.deepcopy(model).train()
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
        order = order.to(images.device)
    else:
        model.eval()
    starts = list(range(0, len(images), batch))
    if train_mode and len(starts) > 1 and len(images) - starts[-1] == 1:
        starts.pop()  # one image has no batch statistics: it joins the batch before
    ends = [*starts[1:], len(images)]
    with autocast(images.device, precision):
        logits = [
            model(prepare(images[a:b] if order is None else images[order[a:b]])).flatten()
            for a, b in zip(starts, ends, strict=True)
        ]
    probs = torch.sigmoid(torch.cat(logits).float())
    if order is not None:
        probs = torch.empty_like(probs).index_put_((order,), probs)  # back to the images' order
    return probs.cpu().numpy().astype(np.float64)


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
    steps: int | None = None,
    precision: str = "float32",
    progress: bool | None = None,
) -> np.ndarray:
    """Train ``model`` (in place) with Adam and BCE on one logit; return the batch losses.

    ``params`` restricts what is trained (default: everything); ``augment`` acts on each
    prepared batch; ``schedule`` is ``constant`` or ``cosine`` over all steps; ``steps``,
    when given, replaces ``epochs``: that many batches, reshuffled at each pass over the
    data (to train for the course's step count on a smaller training set). Runs on the
    device of ``images`` and ``labels`` (and ``model``).
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(params if params is not None else model.parameters(), lr=lr)
    per_epoch = -(-len(labels) // batch_size)
    if steps is None:
        steps = epochs * per_epoch
    else:
        epochs = math.ceil(steps / per_epoch)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        if schedule == "cosine"
        else None
    )
    losses = torch.empty(steps, device=labels.device)
    target = labels.float()
    step = 0
    bar = Progress(steps, "batch", f"training at lr {lr:g}", progress)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator).to(labels.device)
        for start in range(0, len(labels), batch_size):
            if step == steps:
                break
            idx = order[start : start + batch_size]
            x = prepare(images[idx])
            if augment is not None:
                x = augment(x)
            with autocast(labels.device, precision):
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
    data: Data,
    prepare: Prepare,
    *,
    lr: float,
    seed: int,
    precision: str = "float32",
    keep_model: bool = False,
    **train_kwargs,
) -> RunResult:
    """Build a fresh model (seeded), train it, score it on validation and test, on the
    device ``data`` lives on (see :func:`to_device`); ``keep_model`` keeps the trained
    model in the result (for a diagnosis)."""
    torch.manual_seed(seed)
    device = data["train"][0].device
    if device.type == "cuda":  # cuDNN's autotuner may pick other kernels on a rerun
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    model = build().to(device, memory_format=torch.channels_last)
    start = time.perf_counter()
    losses = train_one_logit(
        model, *data["train"], prepare, lr=lr, seed=seed, precision=precision, **train_kwargs
    )
    seconds = time.perf_counter() - start
    probs = {
        s: predict_probs(model, data[s][0], prepare, precision=precision) for s in ("val", "test")
    }
    return RunResult(
        val_acc=accuracy(probs["val"], data["val"][1].cpu().numpy()),
        test_acc=accuracy(probs["test"], data["test"][1].cpu().numpy()),
        test_probs=probs["test"],
        batch_loss=losses,
        seconds=seconds,
        model=model if keep_model else None,
    )


@torch.inference_mode()
def frozen_features(
    backbone: nn.Module,
    images: torch.Tensor,
    prepare: Prepare,
    batch: int = 64,
    precision: str = "float32",
) -> torch.Tensor:
    """The backbone's features of every image (float32, on ``images``' device), computed
    once in eval mode; the backbone is moved to that device."""
    backbone.to(images.device, memory_format=torch.channels_last).eval()
    with autocast(images.device, precision):
        features = [backbone(prepare(images[i : i + batch])) for i in range(0, len(images), batch)]
    return torch.cat(features).float()


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


# The 4-neighbour Laplacian: what is left of an image after removing its smooth part.
LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


@torch.inference_mode()
def residual_energy(images: torch.Tensor, batch: int = 256) -> np.ndarray:
    """uint8 ``(N, 3, H, W)`` -> ``(N, 3)``: log mean squared Laplacian residual per channel.

    The hand-made detector's feature: upsampling and generator artefacts live in the
    highest frequencies, which the Laplacian keeps and smooth image content cancels in.
    """
    kernel = LAPLACIAN.to(images.device).expand(3, 1, 3, 3)
    energies = []
    for i in range(0, len(images), batch):
        x = images[i : i + batch].float() / 255
        residual = F.conv2d(x, kernel, groups=3)  # (B, 3, H-2, W-2)
        energies.append(residual.square().mean(dim=(2, 3)).clamp_min(1e-12).log())
    return torch.cat(energies).cpu().numpy().astype(np.float64)


def handmade_run(data: Data, seed: int) -> RunResult:
    """What a hand-made detector gets: scikit-learn's LogisticRegression (defaults, on
    standardised inputs) on the three residual energies of :func:`residual_energy`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    features = {s: (residual_energy(x), y.cpu().numpy()) for s, (x, y) in data.items()}
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=seed))
    model.fit(*features["train"])
    probs = {s: model.predict_proba(features[s][0])[:, 1] for s in ("val", "test")}
    coef = model[-1].coef_[0]
    return RunResult(
        val_acc=accuracy(probs["val"], features["val"][1]),
        test_acc=accuracy(probs["test"], features["test"][1]),
        test_probs=probs["test"],
        seconds=time.perf_counter() - start,
        extra={"coefficients (standardised; R, G, B)": [round(float(c), 4) for c in coef]},
    )


def flips_and_crops(height: int, width: int, crop: float = 200 / 224):
    """torchvision's v2 transforms for a batch ``(B, 3, height, width)``: a random
    horizontal flip and a random crop of ``crop`` of each side, resized back. v2 draws
    one set of random parameters per call, so a batch is flipped and cropped as a whole.
    """
    from torchvision.transforms import v2

    size = (round(height * crop), round(width * crop))
    return v2.Compose([v2.RandomHorizontalFlip(), v2.RandomCrop(size), v2.Resize((height, width))])

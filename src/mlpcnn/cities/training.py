"""Training R replicas of an MLP at once, with the data held as tensors in memory.

Replica r has its own initial weights (from its seed), its own shuffling generator and
its own learning rate; its loss is its own batch mean, and the loss that is
back-propagated is the sum over replicas, so no replica's gradient depends on another's
(a replica that diverges to NaN leaves the others untouched). Trained alone with the
same seed, a replica follows the same trajectory to float rounding.

Each epoch: one permutation per replica; each step gathers its rows of every replica
into ``(R, B, F)`` (no DataLoader, no per-sample indexing, no host sync; gathering the
whole epoch at once wrote ``R x N x F`` floats to fresh memory every epoch, about a
fifth of an epoch's time with 512 Fourier features: ``benchmarks/bench_epoch_gather.py``);
after the epoch, the train, validation and test splits are evaluated in full in eval
mode and the figures stay on the device until training ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch.optim.adam import adam as functional_adam
from torch.optim.sgd import sgd as functional_sgd

from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import ReplicaMLP, stacked_mlps
from mlpcnn.common.params import InvalidParam, check_distinct
from mlpcnn.common.pool import run_all
from mlpcnn.common.progress import Progress

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}
SCHEDULES: dict[str, Callable[[int, int], float]] = {  # (epoch from 0, epochs) -> lr factor
    "constant": lambda epoch, epochs: 1.0,
    "cosine": lambda epoch, epochs: 0.5 * (1 + math.cos(math.pi * epoch / epochs)),
}
EVAL_FLOATS = 1 << 19  # activations per forward pass when evaluating a whole split (2 MB)
# Each (batch shape, model) compiles a graph of its own (dynamic=False), and dynamo keeps
# at most ``recompile_limit`` per function: 8 by default, exactly what mlp_batch_size
# needs (2 arms x 4 batch sizes). The limit is raised, and reaching it is an error, not a
# silent fall-back to eager steps.
RECOMPILE_LIMIT = 64


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field is checked on construction, the error naming it."""

    epochs: int
    batch_size: int = 256
    lr: float = 1e-3
    optimizer: str = "adam"
    drop_last: bool = True  # iterations per epoch = floor(N / batch_size)
    record_batch_loss: bool = False
    compile: bool = False  # torch.compile one functional training step (see _CompiledStep)
    lr_schedule: str = "constant"  # or "cosine": lr x (1 + cos(pi * epoch / epochs)) / 2
    flush_denormal: bool = False  # training steps flush subnormal floats to zero (see flushing)
    # Batch norm's training statistics over groups of this many samples of each batch
    # (ghost batch norm, Hoffer et al. 2017); None: over the whole batch.
    ghost_batch: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidParam(f"{name}: expected a positive integer, got {value!r}")
        for name in ("drop_last", "record_batch_loss", "compile", "flush_denormal"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParam(f"{name}: expected true or false, got {getattr(self, name)!r}")
        check_lr("lr", self.lr)
        g = self.ghost_batch
        if g is not None and (
            not isinstance(g, int) or isinstance(g, bool) or g < 2 or self.batch_size % g
        ):
            raise InvalidParam(
                f"ghost_batch: expected an integer of at least 2 that divides batch_size "
                f"{self.batch_size}, got {g!r}"
            )
        if g is not None and not self.drop_last:
            raise InvalidParam(
                "ghost_batch: needs drop_last: true (a last, partial batch would not split "
                "into groups)"
            )
        if self.optimizer not in OPTIMIZERS:
            raise InvalidParam(
                f"optimizer: expected one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}"
            )
        if self.lr_schedule not in SCHEDULES:
            raise InvalidParam(
                f"lr_schedule: expected one of {sorted(SCHEDULES)}, got {self.lr_schedule!r}"
            )

    def steps_per_epoch(self, n_train: int, batchnorm: bool = False) -> int:
        if self.batch_size > n_train:
            raise InvalidParam(
                f"batch_size: expected at most the training set size {n_train}, "
                f"got {self.batch_size}"
            )
        if (
            batchnorm
            and self.batch_size > 1
            and not self.drop_last
            and n_train % self.batch_size == 1
        ):
            raise InvalidParam(
                f"drop_last: the last batch would hold one sample ({n_train} = "
                f"{n_train // self.batch_size} x {self.batch_size} + 1), which batch norm cannot "
                "normalise; set drop_last: true or another batch_size"
            )
        return (
            n_train // self.batch_size if self.drop_last else math.ceil(n_train / self.batch_size)
        )


@contextmanager
def flushing(enabled: bool) -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU while inside (``enabled``), then restore
    IEEE arithmetic.

    A deep network's vanishing gradients fall into float32's subnormal range (below
    1.2e-38), where x86 arithmetic is 10-100x slower: a training step of the 100-layer,
    width-32 network costs 4x more with them (``benchmarks/bench_gradient_study.py``).
    Flushed, such values read 0, as values below 1.4e-45 do without it: the smallest
    non-zero gradient a record can show rises from 1.4e-45 to 1.2e-38.
    """
    if not enabled:
        yield
        return
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def check_lr(name: str, value: object) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf
    if not ok:
        raise InvalidParam(f"{name}: expected a positive number, got {value!r}")


def check_lrs(lrs: object, name: str = "lrs") -> list[float]:
    """A non-empty list of distinct positive learning rates (runs are labelled by them)."""
    if not isinstance(lrs, list) or not lrs:
        raise InvalidParam(f"{name}: expected a non-empty list of learning rates, got {lrs!r}")
    for i, lr in enumerate(lrs):
        check_lr(f"{name}[{i}]", lr)
    check_distinct(lrs, name)
    return [float(lr) for lr in lrs]


Split = tuple[torch.Tensor, torch.Tensor]  # features (N, F) float32, labels (N,) int64


@dataclass
class TrainResult:
    """Per-epoch figures, each an array ``(epochs, R)``; optional per-step losses ``(steps, R)``.

    ``history`` holds ``<split>_loss`` and ``<split>_acc`` for every evaluated split (eval
    mode, whole split, after the epoch) and ``train_loss_running``, the mean of the
    epoch's batch losses in train mode, as a course notebook reports it. ``seeds[r]``
    is replica r's seed.
    """

    history: dict[str, np.ndarray]
    steps_per_epoch: int
    train_seconds: np.ndarray  # (epochs,) wall time of the training steps alone
    seeds: list[int]
    batch_loss: np.ndarray | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_seconds)

    @property
    def diverged_epoch(self) -> list[int | None]:
        """Per replica, the first epoch (1-based) whose loss is NaN or infinite, else None."""
        losses = np.stack([v for k, v in self.history.items() if k.endswith("_loss")], axis=-1)
        bad = ~np.isfinite(losses).all(axis=-1)  # (epochs, R)
        return [
            int(np.argmax(bad[:, r])) + 1 if bad[:, r].any() else None for r in range(bad.shape[1])
        ]

    def final(self, name: str) -> np.ndarray:
        """``(R,)``: every replica's figure ``name`` (e.g. ``val_acc``) at the last epoch."""
        return self.history[name][-1]

    def frame(self, replica: int) -> pd.DataFrame:
        """One replica's history, a row per epoch (1-based).

        From the epoch a replica diverged (see ``diverged_epoch``) every figure is NaN:
        the accuracy of a network whose weights are NaN means nothing.
        """
        frame = pd.DataFrame(
            {"epoch": np.arange(1, self.epochs + 1)}
            | {name: values[:, replica] for name, values in self.history.items()}
        )
        diverged = self.diverged_epoch[replica]
        if diverged is not None:
            frame.loc[frame["epoch"] >= diverged, list(self.history)] = np.nan
        return frame

    def table(self, **per_replica: Sequence) -> pd.DataFrame:
        """Every replica's :meth:`frame`, stacked: a row per (replica, epoch), with the
        columns named in ``per_replica`` (one value per replica, e.g. ``lr=[...]``), then
        the replica's ``seed``."""
        return pd.concat(
            [
                self.frame(r).assign(**{k: v[r] for k, v in per_replica.items()}, seed=seed)
                for r, seed in enumerate(self.seeds)
            ],
            ignore_index=True,
        )


class _PerReplicaLR:
    """Give each replica its own learning rate inside one optimizer.

    The optimizer runs with lr = 1 and each parameter's update is then scaled by its
    replica's rate: p <- p_old + lr_r * (p_new - p_old). The update of Adam and of SGD
    (with or without momentum) is linear in lr, so this is the step lr_r would take.
    """

    def __init__(self, params: list[torch.nn.Parameter], lrs: torch.Tensor) -> None:
        self.params = params
        self.lrs = lrs
        self.set_factor(1.0)
        self.before = [torch.empty_like(p) for p in params]

    def set_factor(self, factor: float) -> None:
        """Scale every replica's rate (a schedule)."""
        self.scales = [(self.lrs * factor).view(-1, *([1] * (p.dim() - 1))) for p in self.params]

    def snapshot(self) -> None:
        torch._foreach_copy_(self.before, self.params)

    def rescale(self) -> None:
        with torch.no_grad():
            deltas = torch._foreach_sub(self.params, self.before)
            torch._foreach_mul_(deltas, self.scales)
            torch._foreach_add_(deltas, self.before)
            torch._foreach_copy_(self.params, deltas)


def per_replica_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each replica: logits ``(R, B, C)``, labels ``(R, B)`` -> ``(R,)``."""
    losses = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none")
    return losses.view(logits.shape[0], -1).mean(dim=1)


class _EagerStep:
    """One optimisation step with autograd and a torch.optim optimizer (fused kernels)."""

    def __init__(self, model: ReplicaMLP, optimizer: str, lr: float) -> None:
        self.model = model
        self.lr = lr
        self.optimizer = OPTIMIZERS[optimizer](model.parameters(), lr=lr, fused=True)

    def set_factor(self, factor: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * factor

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, hook: Callable | None, step: int):
        losses = per_replica_loss(self.model(xb), yb)  # (R,)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        if hook is not None:
            hook(self.model, step)
        self.optimizer.step()
        return losses.detach()


def raise_recompile_limit(limit: int) -> None:
    """At least ``limit`` graphs per function, and running out an error (not a silent
    fall back to eager). torch 2.6 renamed the settings (``cache_size_limit``,
    ``fail_on_cache_limit_hit`` before): either name, so the declared torch floor works."""
    dynamo = torch._dynamo.config
    name = "recompile_limit" if hasattr(dynamo, "recompile_limit") else "cache_size_limit"
    setattr(dynamo, name, max(getattr(dynamo, name), limit))
    fail = ("fail_on_recompile_limit_hit" if hasattr(dynamo, "fail_on_recompile_limit_hit")
            else "fail_on_cache_limit_hit")  # fmt: skip
    setattr(dynamo, fail, True)


class _CompiledStep:
    """One optimisation step as a single compiled graph: forward, backward and update.

    Gradients come from ``torch.func.grad_and_value`` over ``functional_call`` of the
    model, the update from torch.optim's functional ``adam`` / ``sgd`` applied in place
    to the model's parameters; ``torch.compile`` fuses the lot into a few kernels. On a
    CPU the per-operation overhead of a small network's step is what costs (the batch
    of one of the batch-size study), and this removes most of it. Each new batch shape
    compiles once (a few seconds).
    """

    def __init__(
        self, model: ReplicaMLP, optimizer: str, lr: float, scheduled: bool = False
    ) -> None:
        self.model = model
        self.kind, self.lr = optimizer, lr
        # A schedule's factor enters the graph as a tensor (a new value, no recompile) and
        # scales the update: Adam's and SGD's are linear in lr. Without a schedule, the
        # plain graph (scaling by 1 would still round).
        self.scheduled = scheduled
        self.factor = torch.ones((), device=next(model.parameters()).device)
        self.names = [name for name, _ in model.named_parameters()]
        self.params = [p.detach() for p in model.parameters()]  # share storage with the model
        self.buffers = dict(model.named_buffers())
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), device=p.device) for p in self.params]
        self.grad_and_losses = torch.func.grad_and_value(self._loss, has_aux=True)
        raise_recompile_limit(RECOMPILE_LIMIT)
        self.compiled = torch.compile(self._scaled_step if scheduled else self._step,
                                      dynamic=False)  # fmt: skip

    def set_factor(self, factor: float) -> None:
        if not self.scheduled:
            if factor != 1.0:
                raise ValueError("set_factor: this compiled step was built without a schedule")
            return
        self.factor.fill_(factor)

    def _scaled_step(self, xb: torch.Tensor, yb: torch.Tensor, factor: torch.Tensor):
        before = [p.clone() for p in self.params]
        losses = self._step(xb, yb)
        for p, old in zip(self.params, before, strict=True):  # old + factor * (update)
            p.copy_(old + factor * (p - old))
        return losses

    def _loss(self, params: list[torch.Tensor], xb: torch.Tensor, yb: torch.Tensor):
        state = {**dict(zip(self.names, params, strict=True)), **self.buffers}
        losses = per_replica_loss(torch.func.functional_call(self.model, state, (xb,)), yb)
        return losses.sum(), losses.detach()

    def _step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        grads, (_, losses) = self.grad_and_losses(self.params, xb, yb)
        grads = list(grads)
        if self.kind == "adam":
            functional_adam(
                self.params, grads, self.exp_avgs, self.exp_avg_sqs, [], self.steps,
                foreach=False, capturable=False, differentiable=False, fused=None,
                grad_scale=None, found_inf=None, has_complex=False, amsgrad=False,
                beta1=0.9, beta2=0.999, lr=self.lr, weight_decay=0.0, eps=1e-8, maximize=False,
            )  # fmt: skip
        else:
            functional_sgd(
                self.params, grads, [None] * len(grads), foreach=False, fused=None,
                grad_scale=None, found_inf=None, weight_decay=0.0, momentum=0.0, lr=self.lr,
                dampening=0.0, nesterov=False, maximize=False,
            )  # fmt: skip
        return losses

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, hook: Callable | None, step: int):
        if hook is not None:
            raise ValueError("compile: a per-step hook needs the eager step (compile: false)")
        return self.compiled(xb, yb, self.factor) if self.scheduled else self.compiled(xb, yb)


def train_replicas(
    model: ReplicaMLP,
    train: Split,
    evaluate_on: Mapping[str, Split],
    config: TrainConfig,
    *,
    lrs: Sequence[float] | None = None,
    after_backward: Callable[[ReplicaMLP, int], None] | None = None,
    progress: bool | None = None,
) -> TrainResult:
    """Train the R replicas of ``model`` in place and return their history.

    Replica r's batches are shuffled by its seed (``model.seeds[r]``); ``lrs[r]`` is its
    learning rate (default: ``config.lr`` for every replica, one optimizer). ``evaluate_on``
    maps split names (e.g. train, val, test) to the data evaluated after every epoch.
    ``after_backward(model, step)`` is called after each backward pass, before the
    optimizer step (e.g. to record gradients). ``progress=None`` shows a bar on a
    terminal and lines elsewhere (:class:`~mlpcnn.common.progress.Progress`).

    Batch norm trains on the batch's statistics, except with a batch of one sample,
    where it normalises with its running statistics as in eval mode (they then keep
    their initial values, so each norm layer is a learned affine map).
    """
    n_replicas = model.replicas
    if lrs is not None:
        lrs = list(lrs)
        if len(lrs) != n_replicas:
            raise InvalidParam(f"lrs: expected {n_replicas} (one per replica), got {len(lrs)}")
        for r, lr in enumerate(lrs):
            check_lr(f"lrs[{r}]", lr)

    x_train, y_train = train
    device = next(model.parameters()).device
    n_train = len(y_train)
    steps = config.steps_per_epoch(n_train, model.config.batchnorm)
    batch = config.batch_size
    model.batch_stats = batch > 1
    model.ghost_batch = config.ghost_batch

    # Per-replica rates: the optimizer steps at lr 1 and each replica's update is rescaled.
    lr = config.lr if lrs is None else 1.0
    take_step = (
        _CompiledStep(model, config.optimizer, lr, scheduled=config.lr_schedule != "constant")
        if config.compile
        else _EagerStep(model, config.optimizer, lr)
    )
    per_replica_lr = (
        None
        if lrs is None
        else _PerReplicaLR(list(model.parameters()), torch.tensor(lrs, device=device))
    )
    generators = [torch.Generator().manual_seed(seed) for seed in model.seeds]

    names = [f"{split}_{what}" for split in evaluate_on for what in ("loss", "acc")]
    history = {name: torch.empty(config.epochs, n_replicas, device=device) for name in names}
    history["train_loss_running"] = torch.empty(config.epochs, n_replicas, device=device)
    batch_loss = (
        torch.empty(config.epochs * steps, n_replicas, device=device)
        if config.record_batch_loss
        else None
    )
    epoch_losses = torch.empty(steps, n_replicas, device=device)
    train_seconds = np.zeros(config.epochs)

    bar = Progress(config.epochs * steps, "step", f"training {n_replicas} replicas", progress)
    schedule = SCHEDULES[config.lr_schedule]
    for epoch in range(config.epochs):
        start = time.perf_counter()
        factor = schedule(epoch, config.epochs)
        take_step.set_factor(1.0 if per_replica_lr is not None else factor)
        if per_replica_lr is not None:
            per_replica_lr.set_factor(factor)
        model.train()
        order = torch.stack([torch.randperm(n_train, generator=g) for g in generators]).to(device)
        with flushing(config.flush_denormal):  # the steps only: evaluation stays IEEE
            for step in range(steps):
                rows = order[:, step * batch : (step + 1) * batch]  # (R, B)
                xb, yb = x_train[rows], y_train[rows]  # (R, B, F), (R, B)
                if per_replica_lr is not None:
                    per_replica_lr.snapshot()
                epoch_losses[step] = take_step(xb, yb, after_backward, epoch * steps + step)
                if per_replica_lr is not None:
                    per_replica_lr.rescale()
                bar.update(1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_seconds[epoch] = time.perf_counter() - start

        history["train_loss_running"][epoch] = epoch_losses.mean(dim=0)
        if batch_loss is not None:
            batch_loss[epoch * steps : (epoch + 1) * steps] = epoch_losses
        for split, (x, y) in evaluate_on.items():
            loss, acc = evaluate(model, x, y)
            history[f"{split}_loss"][epoch] = loss
            history[f"{split}_acc"][epoch] = acc
        if "val_acc" in history and bar.enabled:
            bar.note(epoch=epoch + 1, val_acc=f"{history['val_acc'][epoch].mean().item():.4f}")
    bar.close()

    return TrainResult(
        history={name: values.cpu().numpy().astype(np.float64) for name, values in history.items()},
        steps_per_epoch=steps,
        train_seconds=train_seconds,
        seeds=list(model.seeds),
        batch_loss=None if batch_loss is None else batch_loss.cpu().numpy(),
    )


def train_seeds(
    config: MLPConfig,
    splits: Mapping[str, Split],
    train: TrainConfig,
    seeds: Sequence[int],
    device: torch.device,
    *,
    lrs: Sequence[float] | None = None,
    after_backward: Callable[[ReplicaMLP, int], None] | None = None,
) -> tuple[ReplicaMLP, TrainResult]:
    """Train one MLP per seed (``seeds`` may repeat when ``lrs`` tell them apart) as the
    replicas of one batched run on ``splits["train"]``, evaluating every split after each
    epoch; returns the trained replicas and their history."""
    model = stacked_mlps(config, seeds).to(device)
    result = train_replicas(
        model, splits["train"], splits, train, lrs=lrs, after_backward=after_backward
    )
    return model, result


@dataclass(frozen=True)
class SeedsRun:
    """One batched run to train, as :func:`train_seeds` takes it: what a worker process
    is handed (see :func:`train_runs`)."""

    config: MLPConfig
    train: TrainConfig
    splits: Mapping[str, Split]
    seeds: list[int]
    device: str = "cpu"
    lrs: list[float] | None = None


def train_run(run: SeedsRun) -> tuple[ReplicaMLP, TrainResult]:
    """:func:`train_seeds` of one :class:`SeedsRun`."""
    return train_seeds(run.config, run.splits, run.train, run.seeds, torch.device(run.device),
                       lrs=run.lrs)  # fmt: skip


def train_runs(
    runs: Sequence[SeedsRun], workers: int, blocks: int = 1
) -> list[tuple[ReplicaMLP, TrainResult]]:
    """Independent runs side by side in ``workers`` processes of one thread each (each
    run on one thread whatever ``workers`` is, so its figures do not depend on it; runs
    on a GPU stay in this process, one after the other); results in the order of ``runs``.

    ``blocks`` > 1 cuts each run's seeds (and rates) into that many blocks that train
    apart, so that a single run keeps every core busy, and joins them again. A replica's
    arithmetic does not depend on the others', so the blocks change its figures only to
    rounding; a stage fixes its number of blocks, so its figures do not depend on the
    machine's cores."""
    tasks, owners = [], []
    for i, run in enumerate(runs):
        for part in np.array_split(np.arange(len(run.seeds)), min(blocks, len(run.seeds))):
            lrs = None if run.lrs is None else [run.lrs[k] for k in part]
            tasks.append(replace(run, seeds=[run.seeds[k] for k in part], lrs=lrs))
            owners.append(i)
    on_gpu = any(torch.device(run.device).type in ("cuda", "mps") for run in runs)
    done = run_all(train_run, tasks, 1 if on_gpu else workers, cost=_run_cost)
    joined = []
    for i in range(len(runs)):
        parts = [r for r, owner in zip(done, owners, strict=True) if owner == i]
        joined.append((join_replicas([m for m, _ in parts]), join_results([r for _, r in parts])))
    return joined


def _run_cost(run: SeedsRun) -> float:
    """A guess of a run's time (the dearest start first): replicas x layers x epochs x steps."""
    batches = len(run.splits["train"][1]) / run.train.batch_size
    return (len(run.seeds) + 4) * (run.config.depth + 1) * run.train.epochs * batches


def join_replicas(models: Sequence[ReplicaMLP]) -> ReplicaMLP:
    """Blocks of one run's replicas as one model, in their order."""
    if len(models) == 1:
        return models[0]
    mlps = [m.replica(r) for m in models for r in range(m.replicas)]
    joined = ReplicaMLP(mlps, [seed for m in models for seed in m.seeds])
    return joined.to(models[0].weights[0].device).train(models[0].training)


def join_results(results: Sequence[TrainResult]) -> TrainResult:
    """Blocks of one run's seeds, joined on the replica axis in their order; the
    training seconds per epoch are the slowest block's (the blocks ran side by side)."""
    if len(results) == 1:
        return results[0]
    losses = [r.batch_loss for r in results]
    return TrainResult(
        history={k: np.concatenate([r.history[k] for r in results], axis=1)
                 for k in results[0].history},
        steps_per_epoch=results[0].steps_per_epoch,
        train_seconds=np.max([r.train_seconds for r in results], axis=0),
        seeds=[seed for r in results for seed in r.seeds],
        batch_loss=None if losses[0] is None else np.concatenate(losses, axis=1),
    )  # fmt: skip


def eval_rows(model: ReplicaMLP) -> int:
    """Rows per forward pass when a whole split is evaluated.

    One layer's activations ``(R, rows, widest)`` are kept near ``EVAL_FLOATS`` so they
    stay in the CPU's cache between layers: with 65,536 rows a pass the evaluation of 20
    replicas of the 6 x 16 network is memory-bound and 3-4x slower
    (``benchmarks/bench_eval.py``). Accuracies do not depend on it; a loss
    only to float rounding (it is summed chunk by chunk).
    """
    config = model.config
    widest = max(config.in_features, config.width, config.n_classes)
    return min(1 << 16, max(1 << 10, EVAL_FLOATS // (model.replicas * widest)))


@torch.inference_mode()
def evaluate(
    model: ReplicaMLP, x: torch.Tensor, y: torch.Tensor, rows: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy of every replica on a whole split, in eval mode.

    ``x``: ``(N, F)`` shared by all replicas; returns two ``(R,)`` tensors. ``rows`` per
    forward pass: :func:`eval_rows` unless given.
    """
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros(model.replicas, device=x.device)
    correct = torch.zeros(model.replicas, device=x.device)
    rows = rows or eval_rows(model)
    for start in range(0, len(y), rows):
        xc, yc = x[start : start + rows], y[start : start + rows]
        logits = model(xc)  # (R, n, C)
        target = yc.expand(model.replicas, -1)  # (R, n)
        loss_sum += (
            F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none")
            .view(model.replicas, -1)
            .sum(dim=1)
        )
        correct += (logits.argmax(dim=-1) == target).sum(dim=1)
    model.train(was_training)
    return loss_sum / len(y), correct / len(y)


@torch.inference_mode()
def predict_logits(model: ReplicaMLP, x: torch.Tensor) -> torch.Tensor:
    """Every replica's logits on ``x`` ``(N, F)`` in eval mode: ``(R, N, C)``."""
    was_training = model.training
    model.eval()
    rows = eval_rows(model)
    logits = torch.cat([model(x[s : s + rows]) for s in range(0, len(x), rows)], dim=1)
    model.train(was_training)
    return logits

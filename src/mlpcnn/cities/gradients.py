"""Gradients of deep MLPs: recording them while training, and telling dead from vanished.

The course's measure of a hidden layer's gradient is, per batch, the squared L2 norm of
its weight gradient, and per epoch the mean over the epoch's batches. An exact zero in
it has two causes that look the same: a *dead* layer (every unit's ReLU outputs 0 for
every training input, so no gradient passes it and every layer below gets exactly 0),
or a gradient that *vanished* below what float32 can hold. So beside the measure this
module finds the dead layers, and computes the profile at initialisation in float64.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import torch

from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import ReplicaMLP, stacked_mlps
from mlpcnn.cities.training import (
    Split,
    TrainConfig,
    TrainResult,
    eval_rows,
    join_results,
    per_replica_loss,
    train_replicas,
)
from mlpcnn.common.params import InvalidParam
from mlpcnn.common.pool import run_all


class GradientRecorder:
    """An ``after_backward`` hook for :func:`~mlpcnn.cities.training.train_replicas`.

    For each hidden layer and replica, per batch: the squared L2 norm of the layer's
    weight gradient (the course's measure; the bias is not included) and the scale-free
    ratio ||grad W|| / ||W|| (comparable across layers whatever their inputs' scale; a
    batch where ||W|| = 0 has no ratio). Per epoch, the mean over batches. Layers of one
    shape are reduced together (a 100-layer network costs a handful of operations per
    step, not hundreds).
    """

    def __init__(self, model: ReplicaMLP, steps_per_epoch: int, epochs: int) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.depth = model.config.depth
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for i in range(self.depth):
            groups[tuple(model.weights[i].shape)].append(i)
        device = model.weights[0].device
        self.groups = [(torch.tensor(idx, device=device), idx) for idx in groups.values()]
        dtype = model.weights[0].dtype
        self.sums = torch.zeros(epochs, self.depth, model.replicas, device=device, dtype=dtype)
        self.ratio_sums = torch.zeros_like(self.sums)
        self.ratio_counts = torch.zeros_like(self.sums)

    def __call__(self, model: ReplicaMLP, step: int) -> None:
        epoch = step // self.steps_per_epoch
        for index, layers in self.groups:
            grads = torch.stack([model.weights[i].grad for i in layers])  # (L, R, fan_in, fan_out)
            weights = torch.stack([model.weights[i].detach() for i in layers])
            squared = grads.pow(2).sum(dim=(2, 3))  # (L, R)
            weight_norm = weights.pow(2).sum(dim=(2, 3)).sqrt()
            defined = weight_norm > 0
            ratio = torch.where(defined, squared.sqrt() / weight_norm.clamp_min(1e-30), 0.0)
            self.sums[epoch].index_add_(0, index, squared)
            self.ratio_sums[epoch].index_add_(0, index, ratio)
            self.ratio_counts[epoch].index_add_(0, index, defined.to(ratio.dtype))

    def epoch_means(self) -> np.ndarray:
        """``(epochs, layers, R)``: the course's measure, mean over each epoch's batches."""
        return (self.sums / self.steps_per_epoch).cpu().numpy().astype(np.float64)

    def epoch_ratios(self) -> np.ndarray:
        """``(epochs, layers, R)``: mean ||grad W|| / ||W|| over the batches where defined."""
        means = self.ratio_sums / self.ratio_counts
        return means.cpu().numpy().astype(np.float64)


def train_recording_gradients(
    model: ReplicaMLP,
    splits: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
    config: TrainConfig,
) -> tuple[TrainResult, GradientRecorder]:
    """Train ``model`` on ``splits["train"]`` as :func:`train_replicas` does, evaluating
    every split, and record every hidden layer's gradient each step; returns the result
    and the recorder."""
    train_split = splits["train"]
    recorder = GradientRecorder(model, config.steps_per_epoch(len(train_split[1])), config.epochs)
    result = train_replicas(model, train_split, splits, config, after_backward=recorder)
    return result, recorder


@dataclass(frozen=True)
class DeepRun:
    """One batched run of a deep network to train with its gradients recorded: what a
    worker process is handed (see :func:`run_deep`). ``profile_rows`` > 0 also takes the
    dead layers and the float64 gradient profile at initialisation, on that many
    training rows."""

    config: MLPConfig
    train: TrainConfig
    splits: dict[str, Split]
    seeds: list[int]
    device: str = "cpu"
    profile_rows: int = 0


@dataclass(frozen=True)
class DeepResult:
    """What :func:`run_deep` measured; arrays with a replica axis follow ``result.seeds``.

    ``magnitudes``, ``ratios``: ``(epochs, layers, R)`` (:class:`GradientRecorder`);
    ``dead_final``, ``dead_init``: ``(R, layers)``; ``profile_init``: ``(R, layers)``.
    """

    result: TrainResult
    magnitudes: np.ndarray
    ratios: np.ndarray
    dead_final: np.ndarray
    dead_init: np.ndarray | None = None
    profile_init: np.ndarray | None = None


def run_deep(run: DeepRun) -> DeepResult:
    """Train ``run``'s seeds as replicas, recording every hidden layer's gradient, and
    find the dead layers after training (and, with ``profile_rows``, before)."""
    model = stacked_mlps(run.config, run.seeds).to(run.device)
    x_train, y_train = run.splits["train"]
    dead_init = profile = None
    if run.profile_rows:
        dead_init = dead_layers(alive_units(model, x_train))
        rows = run.profile_rows
        profile = initial_profile(model, x_train[:rows].cpu(), y_train[:rows].cpu())
    result, recorder = train_recording_gradients(model, run.splits, run.train)
    return DeepResult(
        result=result,
        magnitudes=recorder.epoch_means(),
        ratios=recorder.epoch_ratios(),
        dead_final=dead_layers(alive_units(model, x_train)),
        dead_init=dead_init,
        profile_init=profile,
    )


def run_deep_all(runs: Sequence[DeepRun], workers: int, blocks: int = 1) -> list[DeepResult]:
    """:func:`run_deep` of every run, spread over ``workers`` processes of one thread
    each (CUDA runs stay in this process); with ``blocks`` > 1, each run's seeds are cut
    into that many blocks that train apart and are joined again. A replica's arithmetic
    does not depend on the others', so the blocks change its figures only to rounding
    (a GEMM batched over fewer replicas may take another kernel: tested to a tolerance);
    that is why a stage fixes its number of blocks.

    The results follow ``runs``; a run's cost is guessed from its replica-layer-width
    product, so the dearest start first.
    """
    tasks, owners = [], []
    for i, run in enumerate(runs):
        for part in np.array_split(np.asarray(run.seeds), min(blocks, len(run.seeds))):
            tasks.append(DeepRun(run.config, run.train, run.splits, part.tolist(), run.device,
                                 run.profile_rows))  # fmt: skip
            owners.append(i)
    on_cuda = any(torch.device(run.device).type in ("cuda", "mps") for run in runs)  # one GPU
    done = run_all(run_deep, tasks, 1 if on_cuda else workers, cost=_cost)
    return [join([r for r, owner in zip(done, owners, strict=True) if owner == i])
            for i in range(len(runs))]  # fmt: skip


def _cost(run: DeepRun) -> float:
    width = run.config.width
    per_layer = 1.0 + width * width / 64 + (2.0 if run.config.batchnorm else 0.0)
    return len(run.seeds) * run.config.depth * per_layer * run.train.epochs


def join(parts: Sequence[DeepResult]) -> DeepResult:
    """Blocks of one run's seeds, joined on the replica axis in their order; the
    training seconds per epoch are the slowest block's (the blocks ran side by side)."""
    if len(parts) == 1:
        return parts[0]
    results = [p.result for p in parts]

    def cat(name: str, axis: int) -> np.ndarray | None:
        values = [getattr(p, name) for p in parts]
        return None if values[0] is None else np.concatenate(values, axis=axis)

    return DeepResult(
        result=join_results(results),
        magnitudes=cat("magnitudes", 2),
        ratios=cat("ratios", 2),
        dead_final=cat("dead_final", 0),
        dead_init=cat("dead_init", 0),
        profile_init=cat("profile_init", 0),
    )


@torch.inference_mode()
def alive_units(model: ReplicaMLP, x: torch.Tensor) -> np.ndarray:
    """``(R, layers, width)``: whether each hidden unit's ReLU outputs more than 0 for
    at least one row of ``x`` (eval mode, in cache-sized chunks of rows as the
    evaluation: 4x faster than chunks of 16,384 rows for the width-32 arm)."""
    was_training = model.training
    model.eval()
    alive = None
    rows = eval_rows(model)
    for start in range(0, len(x), rows):
        # A ReLU output is never negative: its maximum over rows is > 0 iff one row is.
        found = [a.amax(dim=1) > 0 for a in model.relu_outputs(x[start : start + rows])]
        found = torch.stack(found, dim=1)  # (R, layers, width)
        alive = found if alive is None else alive | found
    model.train(was_training)
    return alive.cpu().numpy()


def dead_layers(alive: np.ndarray) -> np.ndarray:
    """``(R, layers)``: a layer is dead when none of its units is alive."""
    return ~alive.any(axis=-1)


def topmost(dead: np.ndarray) -> np.ndarray:
    """``(R,)``: the index of each replica's topmost dead layer, or -1 when none is dead."""
    layers = np.arange(dead.shape[1])
    return np.where(dead.any(axis=1), np.where(dead, layers, -1).max(axis=1), -1)


def initial_profile(model: ReplicaMLP, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """``(R, layers)``: log10 of each hidden layer's squared weight-gradient norm at the
    model's current weights, on the batch ``(x, y)``, computed in float64 (where float32
    underflows after a few dozen layers); -inf where the gradient is exactly zero.

    Runs on the CPU whatever device the model and the batch are on (a float64 copy of
    the model; the model itself is not touched)."""
    double = copy.deepcopy(model).cpu().double().train()
    double.batch_stats = len(y) > 1
    labels = y.cpu().expand(double.replicas, -1)
    per_replica_loss(double(x.cpu().double()), labels).sum().backward()
    squared = torch.stack(
        [double.weights[i].grad.pow(2).sum(dim=(1, 2)) for i in range(double.config.depth)], dim=1
    )  # (R, layers)
    with np.errstate(divide="ignore"):
        return np.log10(squared.numpy())


def simulate_default_init(
    x: np.ndarray, depth: int, width: int, seeds: int, seed: int = 0
) -> np.ndarray:
    """``(seeds, depth)`` dead-layer flags of ``seeds`` draws of PyTorch's default init
    (weights and biases uniform in +-1/sqrt(fan_in)) of a plain ReLU MLP, on inputs
    ``x``, in float64 with numpy: an independent check of the torch study."""
    rng = np.random.default_rng(seed)
    dead = np.zeros((seeds, depth), dtype=bool)
    for s in range(seeds):
        h = x.astype(np.float64)
        for i in range(depth):
            bound = 1 / math.sqrt(h.shape[1])
            w = rng.uniform(-bound, bound, (h.shape[1], width))
            b = rng.uniform(-bound, bound, width)
            h = np.maximum(h @ w + b, 0.0)
            dead[s, i] = not (h > 0).any()
    return dead


def zero_below(dead: np.ndarray) -> np.ndarray:
    """``(R,)``: how many layers have an exactly zero weight gradient because of dead
    layers: all layers up to one above the topmost dead one (its input is 0)."""
    top = topmost(dead)
    return np.where(top >= 0, np.minimum(top + 2, dead.shape[1]), 0)


def decay_per_layer(profile: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """``(R,)``: slope of log10 squared gradient norm against layer index (decades per
    layer, positive = larger towards the output) over each replica's live layers above
    its topmost dead layer; NaN with fewer than 3 such layers."""
    top = topmost(dead)
    slopes = np.full(len(profile), np.nan)
    for r, row in enumerate(profile):
        layers = np.arange(top[r] + 2, len(row))
        layers = layers[np.isfinite(row[layers])]
        if len(layers) >= 3:
            slopes[r] = np.polyfit(layers, row[layers], 1)[0]
    return slopes


def representative(top: np.ndarray, fallback: np.ndarray) -> int:
    """The replica whose topmost dead layer is the median among replicas with one (the
    lower median; ties: the first); with none dead, the replica of median ``fallback``."""
    candidates = np.flatnonzero(top >= 0)
    values = top[candidates] if len(candidates) else fallback
    candidates = candidates if len(candidates) else np.arange(len(fallback))
    target = np.sort(values)[(len(values) - 1) // 2]
    return int(candidates[np.flatnonzero(values == target)[0]])


def check_layers(layers: Sequence[int], depth: int) -> list[int]:
    """Hidden layer indices to show: a non-empty list within ``[0, depth)``."""
    if not layers or any(not isinstance(i, int) or not 0 <= i < depth for i in layers):
        raise InvalidParam(f"layers_shown: expected layers in [0, {depth - 1}], got {layers}")
    return list(layers)


def gradient_frame(magnitudes: np.ndarray) -> pd.DataFrame:
    """Wide: one row per epoch, one ``layer_<i>`` column per layer of ``(epochs, layers)``."""
    columns = {f"layer_{i}": magnitudes[:, i] for i in range(magnitudes.shape[1])}
    return pd.DataFrame({"epoch": np.arange(1, len(magnitudes) + 1), **columns})


def layer_series(magnitudes: np.ndarray, layers: Sequence[int], floor: float) -> pd.DataFrame:
    """Long, for a log-scale chart: (series ``layer <i>``, epoch, magnitude) of ``layers``
    of ``(epochs, layers)``, an exact zero drawn at ``floor`` (flagged in ``zero``), as
    the PNG draws it: a log scale cannot show 0, and a chart of dead layers would be empty.
    """
    rows = [
        {
            "series": f"layer {layer}",
            "epoch": epoch + 1,
            "magnitude": max(float(value), floor),
            "zero": bool(value == 0),
        }
        for layer in layers
        for epoch, value in enumerate(magnitudes[:, layer])
    ]
    return pd.DataFrame(rows, columns=["series", "epoch", "magnitude", "zero"])


def quantile_profile(log_values: np.ndarray) -> pd.DataFrame:
    """Per layer of ``(R, layers)`` log10 values (-inf = exact zero): the median and
    quartiles over replicas of the finite values, and the fraction that are zero."""
    rows = []
    for layer in range(log_values.shape[1]):
        column = log_values[:, layer]
        finite = column[np.isfinite(column)]
        quartiles = np.quantile(finite, [0.25, 0.5, 0.75]) if len(finite) else [np.nan] * 3
        rows.append(
            {
                "layer": layer,
                "q25": quartiles[0],
                "median": quartiles[1],
                "q75": quartiles[2],
                "zero_fraction": float(np.mean(~np.isfinite(column))),
            }
        )
    return pd.DataFrame(rows)


def quartiles(values: np.ndarray) -> dict:
    """``n``, ``q25``, ``median``, ``q75`` of ``values`` (None for each with none)."""
    if len(values) == 0:
        return {"n": 0, "q25": None, "median": None, "q75": None}
    q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75])
    return {"n": len(values), "q25": float(q25), "median": float(median), "q75": float(q75)}


@dataclass(frozen=True)
class PlainStudy:
    """What the vanishing-gradient study measured of R seeds of the plain deep network.

    ``dead_init``, ``dead_final``: ``(R, layers)`` dead-layer flags before and after
    training; ``profile_init``: ``(R, layers)`` log10 gradient at init (float64);
    ``magnitudes``: ``(epochs, layers, R)`` the course's measure; ``final_val_acc``:
    ``(R,)``; ``simulated``: ``(draws, layers)`` dead flags of the independent simulation.
    """

    seeds: list[int]
    dead_init: np.ndarray
    dead_final: np.ndarray
    profile_init: np.ndarray
    magnitudes: np.ndarray
    final_val_acc: np.ndarray
    simulated: np.ndarray

    @property
    def depth(self) -> int:
        return self.dead_init.shape[1]

    @cached_property
    def representative(self) -> int:
        """The replica shown in the course's chart (see :func:`representative`)."""
        return representative(topmost(self.dead_final), self.final_val_acc)

    def profile_last(self) -> np.ndarray:
        """``(R, layers)``: log10 of the course's measure in the last epoch (-inf at 0)."""
        with np.errstate(divide="ignore"):
            return np.log10(self.magnitudes[-1].T)

    def per_seed(self) -> pd.DataFrame:
        top_init, top_final = topmost(self.dead_init), topmost(self.dead_final)
        return pd.DataFrame(
            {
                "seed": self.seeds,
                "topmost_dead_init": top_init,
                "topmost_dead_final": top_final,
                "dead_layers_init": self.dead_init.sum(axis=1),
                "dead_layers_final": self.dead_final.sum(axis=1),
                "zero_layers_last_epoch": (self.magnitudes[-1] == 0).sum(axis=0),
                "decay_decades_per_layer_init": decay_per_layer(self.profile_init, self.dead_init),
                "final_val_acc": self.final_val_acc,
            }
        )

    def summary(self, shown: Sequence[int], profile_rows: int) -> dict:
        """The study's figures over seeds, and the representative seed's (the profile and
        the simulation ran on the first ``profile_rows`` training rows)."""
        per_seed, rep, depth = self.per_seed(), self.representative, self.depth
        top_init = per_seed["topmost_dead_init"].to_numpy()
        top_final = per_seed["topmost_dead_final"].to_numpy()
        zero_last = per_seed["zero_layers_last_epoch"].to_numpy()
        decay = per_seed["decay_decades_per_layer_init"].to_numpy()
        final_val = self.final_val_acc
        return {
            "representative_seed": self.seeds[rep],
            "representative_topmost_dead": int(top_final[rep]),
            "representative_zero_layers_last_epoch": int(zero_last[rep]),
            "representative_rule": "the seed whose topmost dead layer after training is the "
            "(lower) median among seeds with a dead layer",
            "layers_shown": list(shown),
            "last_epoch": {f"layer_{i}": float(self.magnitudes[-1, i, rep]) for i in shown},
            "seeds_with_dead_layer": {
                "init": float(np.mean(top_init >= 0)),
                "after_training": float(np.mean(top_final >= 0)),
            },
            "seeds_all_zero_last_epoch": float(np.mean(zero_last == depth)),
            "seeds_all_layers_dead_below": float(np.mean(zero_below(self.dead_final) == depth)),
            "topmost_dead_init": quartiles(top_init[top_init >= 0]),
            "topmost_dead_after_training": quartiles(top_final[top_final >= 0]),
            "zero_layers_explained_by_dead": int(np.sum(zero_below(self.dead_final) <= zero_last)),
            "decay_decades_per_layer_init": quartiles(decay[np.isfinite(decay)]),
            "simulation": {
                "what": "independent float64 numpy draws of the default init on the first "
                f"{profile_rows} training rows",
                "seeds": len(self.simulated),
                "with_dead_layer": float(self.simulated.any(axis=1).mean()),
                "all_zero": float(np.mean(zero_below(self.simulated) == depth)),
                "study_at_init_with_dead_layer": float(np.mean(top_init >= 0)),
                "study_at_init_all_zero": float(np.mean(zero_below(self.dead_init) == depth)),
                "study_seeds": len(self.seeds),
            },
            "final_val_acc": {"mean": float(final_val.mean()), "per_seed": final_val.tolist()},
            "final_val_acc_representative": float(final_val[rep]),
            "profile_rows": profile_rows,
        }

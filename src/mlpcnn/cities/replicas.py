"""Several MLPs of one architecture trained as one batched computation.

``ReplicaMLP`` stacks the parameters of R independent :class:`~mlpcnn.mlp.MLP` models
on a leading replica axis. A forward pass is one ``baddbmm`` per layer for all replicas
and, with batch norm, one ``batch_norm`` call over ``R * width`` channels, so each
replica computes exactly what its own ``MLP`` would (to float rounding) while the
per-operation overhead, which dominates such small networks on a CPU, is paid once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from mlpcnn.cities.mlp import MLP, MLPConfig, save_mlps, seeded_mlp

BN_MOMENTUM = 0.1  # nn.BatchNorm1d's defaults
BN_EPS = 1e-5
# A layer with fewer output units than this computes its product transposed (_linear):
# a GEMM measured 4x faster at 4 units, 3.2x at 8, no faster at 16
# (benchmarks/bench_narrow_layers.py). 8-unit layers (one grid cell, trained compiled,
# its step not measured) keep the plain product.
NARROW = 8


class ReplicaMLP(nn.Module):
    """R MLPs of one architecture on a leading replica axis; ``seeds[r]`` is replica r's
    seed (what initialised it, and what shuffles its batches in training)."""

    def __init__(self, models: Sequence[MLP], seeds: Sequence[int]) -> None:
        super().__init__()
        if not models:
            raise ValueError("ReplicaMLP needs at least one model")
        if len(seeds) != len(models):
            raise ValueError(f"ReplicaMLP: expected one seed per model, got {len(seeds)}")
        config = models[0].config
        if any(m.config != config for m in models):
            raise ValueError("ReplicaMLP: every replica must have the same MLPConfig")
        self.config = config
        self.replicas = len(models)
        self.seeds = [int(s) for s in seeds]
        # Per replica: its hidden Linear layers, then the output layer.
        linears = [[*(layer.linear for layer in m.hidden), m.out] for m in models]

        def stack(tensors: list[torch.Tensor]) -> nn.Parameter:
            return nn.Parameter(torch.stack([t.detach() for t in tensors]).contiguous())

        # weights[i]: (R, fan_in, fan_out), nn.Linear's weight transposed.
        # biases[i]: (R, 1, fan_out).
        self.weights = nn.ParameterList(
            stack([ls[i].weight.T for ls in linears]) for i in range(config.depth + 1)
        )
        self.biases = nn.ParameterList(
            stack([ls[i].bias.unsqueeze(0) for ls in linears]) for i in range(config.depth + 1)
        )

        # Batch norm: affine parameters and running statistics (R, F), seen by
        # F.batch_norm as R*F channels, one per (replica, unit).
        self.bn_weights = nn.ParameterList()
        self.bn_biases = nn.ParameterList()
        if config.batchnorm:
            for i in range(config.depth):
                norms = [m.hidden[i].norm for m in models]
                self.bn_weights.append(stack([n.weight for n in norms]))
                self.bn_biases.append(stack([n.bias for n in norms]))
                self.register_buffer(
                    f"running_mean_{i}", torch.stack([n.running_mean for n in norms])
                )
                self.register_buffer(
                    f"running_var_{i}", torch.stack([n.running_var for n in norms])
                )
        self._residual = [config.is_residual(i) for i in range(config.depth)]
        # Layers whose product is computed transposed (see _linear): those narrower than this.
        self._transposed = [w.shape[2] < NARROW for w in self.weights]
        # In train mode, normalise with the batch's statistics (True) or, as in eval mode,
        # with the running ones (False: the only choice for a batch of one sample).
        self.batch_stats = True
        # In train mode, batch statistics over groups of this many samples (ghost batch
        # norm); None: over the whole batch.
        self.ghost_batch: int | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: ``(R, B, in_features)``, or ``(B, in_features)`` shared by all replicas.

        Returns logits ``(R, B, n_classes)``.
        """
        if x.dim() == 2:
            x = x.expand(self.replicas, -1, -1)
        h = x
        for i in range(self.config.depth):
            h, _ = self._layer(i, h)
        return self._linear(self.config.depth, h)  # (R, B, C)

    def relu_outputs(self, x: torch.Tensor) -> Iterator[torch.Tensor]:
        """Each hidden layer's ReLU output ``(R, B, width)``, input layer first: what a
        dead unit (zero for every input) is read from. ``x`` as for ``forward``."""
        h = x.expand(self.replicas, -1, -1) if x.dim() == 2 else x
        for i in range(self.config.depth):
            h, activation = self._layer(i, h)
            yield activation

    def _layer(self, i: int, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden layer ``i`` on ``h`` (R, B, fan_in): (its output, its ReLU's output)."""
        if self._residual[i]:  # pre-activation block: h + Linear(ReLU([BN](h)))
            z = self._batch_norm(i, h) if self.config.batchnorm else h
            a = torch.relu(z)
            return h + self._linear(i, a), a
        z = self._linear(i, h)  # (R, B, F)
        if self.config.batchnorm:
            z = self._batch_norm(i, z)
        a = torch.relu(z)
        return a, a

    def _linear(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Linear layer ``i`` (the output layer for ``i = depth``) of every replica:
        ``(R, B, fan_in)`` -> ``(R, B, fan_out)``.

        A narrow layer computes the transposed product, ``(W^T h^T + b^T)^T``, whose
        result is stored ``(R, fan_out, B)`` behind the same ``(R, B, fan_out)`` view: a
        batched GEMM with 4 output columns is about 4x slower on a CPU than the same GEMM
        with B columns (``benchmarks/bench_narrow_layers.py``). The sums are the same;
        only their rounding may differ.
        """
        weight, bias = self.weights[i], self.biases[i]
        if self._transposed[i]:
            return torch.baddbmm(bias.mT, weight.mT, h.mT).mT
        return torch.baddbmm(bias, h, weight)

    def _batch_norm(self, i: int, z: torch.Tensor) -> torch.Tensor:
        r, b, f = z.shape
        flat = z.transpose(0, 1).reshape(b, r * f)  # (B, R*F): one channel per (replica, unit)
        mean = getattr(self, f"running_mean_{i}").view(-1)  # views: updated in place
        var = getattr(self, f"running_var_{i}").view(-1)
        weight, bias = self.bn_weights[i].view(-1), self.bn_biases[i].view(-1)
        training = self.training and self.batch_stats
        g = self.ghost_batch
        if training and g is not None and g < b:
            # Ghost batches: (B, C) -> (g, B/g * C), one channel per (group, replica, unit),
            # each normalised by its own statistics. The running statistics move by the
            # whole batch's, as plain batch norm's do (F.batch_norm's own update: a grad
            # transform allows no other in-place write to a buffer).
            k = b // g
            ghosts = flat.view(k, g, r * f).transpose(0, 1).reshape(g, k * r * f)
            ghosts = F.batch_norm(ghosts, None, None, weight.repeat(k), bias.repeat(k),
                                  training=True, eps=BN_EPS)  # fmt: skip
            F.batch_norm(flat.detach(), mean, var, training=True, momentum=BN_MOMENTUM, eps=BN_EPS)
            flat = ghosts.view(g, k, r * f).transpose(0, 1).reshape(b, r * f)
        else:
            flat = F.batch_norm(flat, mean, var, weight, bias, training=training,
                                momentum=BN_MOMENTUM, eps=BN_EPS)  # fmt: skip
        return flat.view(b, r, f).transpose(0, 1)  # (R, B, F)

    @torch.no_grad()
    def replica(self, r: int) -> MLP:
        """Replica ``r`` as a plain :class:`MLP` (a copy, on the CPU)."""
        model = MLP(self.config)
        linears = [layer.linear for layer in model.hidden] + [model.out]
        for i, linear in enumerate(linears):
            linear.weight.copy_(self.weights[i][r].T)
            linear.bias.copy_(self.biases[i][r, 0])
        if self.config.batchnorm:
            for i, layer in enumerate(model.hidden):
                layer.norm.weight.copy_(self.bn_weights[i][r])
                layer.norm.bias.copy_(self.bn_biases[i][r])
                layer.norm.running_mean.copy_(getattr(self, f"running_mean_{i}")[r])
                layer.norm.running_var.copy_(getattr(self, f"running_var_{i}")[r])
        model.train(self.training)
        return model


def stacked_mlps(config: MLPConfig, seeds: Sequence[int]) -> ReplicaMLP:
    """R replicas, replica r initialised exactly as ``seeded_mlp(config, seeds[r])``."""
    return ReplicaMLP([seeded_mlp(config, seed) for seed in seeds], seeds)


def save_replicas(path: str | Path, model: ReplicaMLP) -> None:
    """Every replica as a plain :class:`MLP`, with its seed (read back by ``load_mlps``)."""
    save_mlps(path, [model.replica(r) for r in range(model.replicas)], model.seeds)

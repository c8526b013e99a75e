"""The multi-layer perceptron of the cities study, as a plain ``nn.Module``.

"Depth 6" means six hidden ``Linear`` layers followed by the output layer, as in the
course. Each hidden layer is ``Linear -> [BatchNorm1d] -> ReLU``. With ``residual``, the
layers whose input and output widths agree become pre-activation residual blocks,
``x + Linear(ReLU([BN](x)))``: the identity path carries the signal and its gradient
unchanged, and the branch adds a zero-mean correction. (The post-activation form
``x + ReLU(Linear(x))`` only ever adds non-negative values, so over 100 layers of raw
coordinates the activations, the loss and the gradients blow up instead.)

``init`` chooses the hidden layers' initialisation: PyTorch's default (uniform, Var(W) =
1/(3 fan_in): each width-4 ReLU layer shrinks the signal about 6x) or He's (normal,
Var(W) = 2/fan_in, zero bias: the ReLU's halving is compensated). ``zero_branch``
starts every residual block at the identity (its branch's weight and bias are zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from mlpcnn.common.io import atomic_output
from mlpcnn.common.params import InvalidParam

INITS = ("default", "he")


@dataclass(frozen=True)
class MLPConfig:
    in_features: int = 2
    depth: int = 6
    width: int = 16
    n_classes: int = 33
    batchnorm: bool = False
    residual: bool = False
    init: str = "default"  # "default" (PyTorch's) or "he" (kaiming normal, zero bias)
    zero_branch: bool = False  # residual blocks start as the identity

    def __post_init__(self) -> None:
        for name in ("in_features", "depth", "width", "n_classes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidParam(f"{name}: expected a positive integer, got {value!r}")
        if self.init not in INITS:
            raise InvalidParam(f"init: expected one of {', '.join(INITS)}, got {self.init!r}")
        if self.zero_branch and not self.residual:
            raise InvalidParam("zero_branch: needs residual: true (it zeroes residual branches)")

    def layer_widths(self) -> list[tuple[int, int]]:
        """(in, out) of each hidden layer, input layer first."""
        return [(self.in_features if i == 0 else self.width, self.width) for i in range(self.depth)]

    def is_residual(self, layer: int) -> bool:
        fan_in, fan_out = self.layer_widths()[layer]
        return self.residual and fan_in == fan_out


class HiddenLayer(nn.Module):
    def __init__(self, fan_in: int, fan_out: int, batchnorm: bool, residual: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)
        self.norm = nn.BatchNorm1d(fan_out) if batchnorm else nn.Identity()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, fan_in) -> (B, fan_out)
        if self.residual:
            return x + self.linear(torch.relu(self.norm(x)))
        return torch.relu(self.norm(self.linear(x)))


class MLP(nn.Module):
    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        self.hidden = nn.Sequential(
            *(
                HiddenLayer(fan_in, fan_out, config.batchnorm, config.is_residual(i))
                for i, (fan_in, fan_out) in enumerate(config.layer_widths())
            )
        )
        self.out = nn.Linear(config.width, config.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, in_features) -> (B, n_classes)
        return self.out(self.hidden(x))


def seeded_mlp(config: MLPConfig, seed: int) -> MLP:
    """A freshly initialised MLP (PyTorch's default init) drawn from ``seed`` alone.

    The global RNG is forked, so building a model neither depends on nor disturbs
    whatever else the program has drawn.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MLP(config)
        with torch.no_grad():
            for i, layer in enumerate(model.hidden):
                if config.init == "he":
                    nn.init.kaiming_normal_(layer.linear.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.linear.bias)
                if config.zero_branch and config.is_residual(i):
                    nn.init.zeros_(layer.linear.weight)
                    nn.init.zeros_(layer.linear.bias)
        return model


def save_mlps(path: str | Path, models: Sequence[MLP], seeds: Sequence[int]) -> None:
    """Save MLPs of one architecture with their seeds: plain state dicts and the config."""
    payload = {
        "config": asdict(models[0].config),
        "seeds": [int(s) for s in seeds],
        "state_dicts": [m.state_dict() for m in models],
    }
    with atomic_output(path) as tmp:
        torch.save(payload, tmp)


def load_mlps(path: str | Path) -> tuple[list[MLP], list[int]]:
    """The MLPs saved by :func:`save_mlps` (on the CPU, in eval mode) and their seeds."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    config = MLPConfig(**payload["config"])
    models = []
    for state in payload["state_dicts"]:
        model = MLP(config)
        model.load_state_dict(state)
        models.append(model.eval())
    return models, payload["seeds"]

"""Choosing the device: CUDA when available, then Apple's MPS, else the CPU, unless a
param says otherwise."""

from __future__ import annotations

import re

import torch

from mlpcnn.common.params import InvalidParam

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """The device a ``device`` param names, checked before any work: a malformed name,
    CUDA asked for where there is none, or a GPU index the machine does not have is one
    line naming the param."""
    name = str(name)
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise InvalidParam(
            f"device: expected one of {', '.join(DEVICE_CHOICES)} or cuda:N, got {name!r}"
        )
    index = name.partition(":")[2]
    if name.startswith("cuda:") and not re.fullmatch(r"0|[1-9][0-9]*", index, re.ASCII):
        raise InvalidParam(f"device: expected cuda:N with N a GPU index (0, 1, ...), got {name!r}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_available() else "cpu")
    if name == "mps" and not mps_available():
        raise InvalidParam("device: 'mps' was asked for but MPS is not available on this machine")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidParam(
            f"device: {name!r} was asked for but CUDA is not available on this machine"
        )
    if index and int(index) >= torch.cuda.device_count():
        raise InvalidParam(
            f"device: {name!r} asks for GPU {index}, but this machine has "
            f"{torch.cuda.device_count()} (indices 0 to {torch.cuda.device_count() - 1})"
        )
    return torch.device(name)

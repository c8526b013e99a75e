"""Choosing the device: CUDA when available, else the CPU, unless a param says otherwise."""

from __future__ import annotations

import torch

from mlpcnn.common.params import InvalidParam

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    if name not in DEVICE_CHOICES and not str(name).startswith("cuda:"):
        raise InvalidParam(
            f"device: expected one of {', '.join(DEVICE_CHOICES)} or cuda:N, got {name!r}"
        )
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidParam(
            f"device: {name!r} was asked for but CUDA is not available on this machine"
        )
    return torch.device(name)

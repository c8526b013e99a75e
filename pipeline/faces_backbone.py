"""Stage faces_backbone (7): which pretrained backbone the faces stages use.

``faces.backbone: auto`` takes ResNet18 when its ImageNet weights file is already in the
torch hub cache, else the bundled EfficientNet-Lite0; no network request is made.
``resnet18`` loads (and, online, downloads) the ResNet18 weights. DVC cannot see the hub
cache, so this stage always runs (a second or two); it writes the resolved backbone and
its weights file's sha256, and the stages that read that record rerun only when it
changes.
"""

from __future__ import annotations

from stage_faces import BACKBONE_RECORD, run_faces
from stage_shared import naming, read_params

from mlpcnn.common.io import write_json
from mlpcnn.common.params import check_keys
from mlpcnn.faces.backbones import resnet18, resolved_name, weights_record


def main() -> None:
    faces = read_params().get("faces")
    with naming("faces"):
        check_keys(faces, ("backbone",), "faces")
        name = resolved_name(faces["backbone"])
    record = weights_record(name)
    if record["weights_sha256"] is None:  # resnet18 asked for by name, not yet downloaded
        resnet18()
        record = weights_record(name)
    write_json(BACKBONE_RECORD, {"requested": faces["backbone"], **record})


if __name__ == "__main__":
    run_faces(main)

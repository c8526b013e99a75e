"""What the faces stages (section 7) share: where the course images, the arrays and the
backbone record live."""

from __future__ import annotations

import json
from pathlib import Path

from stage_shared import PLOTS, PREPARED, InputError, run

from mlpcnn.faces.data import FacesDataError

COURSE = Path("data/raw/whichfaceisreal")
FACE_ARRAYS = PREPARED / "faces.npz"
BACKBONE_RECORD = PLOTS / "faces_backbone" / "summary.json"


def require_face_arrays() -> Path:
    if not FACE_ARRAYS.is_file():
        raise InputError(f"{FACE_ARRAYS}: missing; run the prepare_faces stage first")
    return FACE_ARRAYS


def read_backbone_record() -> dict:
    """The backbone faces_backbone resolved: name, weights file and its sha256."""
    if not BACKBONE_RECORD.is_file():
        raise InputError(f"{BACKBONE_RECORD}: missing; run the faces_backbone stage first")
    return json.loads(BACKBONE_RECORD.read_text())


def run_faces(main) -> None:
    """``run`` with the faces data's own errors reported as one line."""
    run(main, errors=(FacesDataError,))

"""What the faces stages (section 7) share: where the course images and arrays live."""

from __future__ import annotations

from pathlib import Path

from stage_shared import PREPARED, InputError, run

from mlpcnn.faces.data import FacesDataError

COURSE = Path("data/raw/whichfaceisreal")
FACE_ARRAYS = PREPARED / "faces.npz"
SPLITS = ("train", "val", "test")


def require_face_arrays() -> Path:
    if not FACE_ARRAYS.is_file():
        raise InputError(f"{FACE_ARRAYS}: missing; run the prepare_faces stage first")
    return FACE_ARRAYS


def run_faces(main) -> None:
    """``run`` with the faces data's own errors reported as one line."""
    run(main, errors=(FacesDataError,))

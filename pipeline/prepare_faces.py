"""Stage prepare_faces (7): the course images, or a synthetic stand-in, decoded once.

Uses the course folder when a user has put images in it (or the zip that
``prepare_faces.zip`` names), else builds the deterministic stand-in. Writes every split
as uint8 arrays for the three inputs the baselines need, plus labels and file names.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import astuple
from pathlib import Path

import numpy as np
from stage_faces import COURSE, FACE_ARRAYS, read_backbone_record, run_faces
from stage_shared import PLOTS, load_params, naming

from mlpcnn.common.io import write_arrays, write_csv, write_json
from mlpcnn.common.params import InvalidParam, check_keys
from mlpcnn.common.pool import workers_from_environment
from mlpcnn.faces.backbones import preset_text, resolve_backbone
from mlpcnn.faces.data import (
    CLASSES,
    CUES,
    SPLITS,
    XGBOOST_INPUTS,
    FaceArrays,
    check_xgboost_input,
    content_hash,
    decode_split,
    extract_course_zip,
    has_images,
    list_images,
    size_statistics,
)
from mlpcnn.faces.figures import plot_image_grid, plot_spectra
from mlpcnn.faces.spectrum import SIDE, class_spectra, peak_table, spectrum_table
from mlpcnn.faces.standin import build_standin

KEY = "prepare_faces"
STANDIN_KEYS = ("counts", "size", "seed")


def main() -> None:
    params = load_params(KEY, ("zip", "skip_unreadable", "xgboost_input", "standin"))
    with naming(KEY):
        check_xgboost_input(params["xgboost_input"])
    backbone = resolve_backbone(read_backbone_record()["backbone"])
    with tempfile.TemporaryDirectory() as scratch_dir:
        root, kind, cues = locate(params, Path(scratch_dir))
        images = list_images(root)
        # said first, so a run that found no course images (a fresh clone, a queued
        # experiment's temporary copy) can never switch data without saying so
        source = f"the course images in {root}" if kind == "course" else (
            f"the synthetic stand-in (no images in {COURSE} and no zip param)")  # fmt: skip
        count = sum(len(files) for files in images.paths.values())
        print(f"prepare_faces: {count} images, {source}", file=sys.stderr, flush=True)
        decoded = {
            s: decode_split(images, s, root, backbone.preprocess, params["skip_unreadable"],
                            params["xgboost_input"])
            for s in SPLITS
        }  # fmt: skip
        spectra = class_spectra(root, decoded["train"].files, decoded["train"].labels)
        digest, sizes = content_hash(images, root), size_statistics(images)
        draw(decoded["train"], spectra, kind)
    write_csv(PLOTS / KEY / "spectrum.csv", spectrum_table(spectra))

    drawn = (
        {} if cues is None else {f"{s}_cues": cue_table(a.files, cues) for s, a in decoded.items()}
    )
    write_arrays(FACE_ARRAYS, kind=np.array(kind), backbone=np.array(backbone.name), **drawn,
                 **{f"{s}_{k}": getattr(a, k) for s, a in decoded.items()
                    for k in ("scratch", "pretrained", "xgboost", "labels", "files")})  # fmt: skip
    write_json(
        PLOTS / KEY / "summary.json",
        {
            "dataset": kind,
            "backbone": backbone.name,
            "counts": {
                s: {c: int((a.labels == i).sum()) for i, c in enumerate(CLASSES)}
                for s, a in decoded.items()
            },
            "image_size": sizes,
            "converted_to_rgb": images.converted,
            "skipped_unreadable": len(images.skipped),
            "skipped_hidden": len(images.hidden),
            "hidden_examples": [str(Path(h).relative_to(root)) for h in images.hidden[:5]],
            "nested_images": images.nested,
            "content_sha256": digest,
            "inputs": {
                "scratch": "resize to 224 x 224, ToTensor",
                "pretrained": f"{backbone.name} preset: {preset_text(backbone.preprocess)}, "
                "normalise at use",
                "xgboost": XGBOOST_INPUTS[params["xgboost_input"]],
            },
            "spectrum_peaks": peak_table(spectra),
        },
    )


def draw(train: FaceArrays, spectra: dict[str, np.ndarray], kind: str) -> None:
    """The first training images of each class, and the two classes' mean spectra."""
    plot_image_grid([train.scratch[i] for i in _first_of_each_class(train.labels, 6)],
                    PLOTS / KEY / "samples.png", columns=6,
                    title=f"faces ({kind}): the first 6 real (top) and fake (bottom) training "
                    "images, at 224 px (the scratch network's input)")  # fmt: skip
    plot_spectra(spectra["0_real"], spectra["1_fake"], PLOTS / KEY / "spectrum.png",
                 title=f"faces ({kind}), training images: mean amplitude spectrum of the "
                 f"high-pass residual, central {SIDE} px at full resolution")  # fmt: skip


def locate(params: dict, scratch_dir: Path) -> tuple[Path, str, dict | None]:
    """Where the images are, which dataset they are (course or stand-in) and, for the
    stand-in, each file's drawn cues."""
    if params["zip"]:
        return extract_course_zip(params["zip"], scratch_dir / "course"), "course", None
    if has_images(COURSE):
        return COURSE, "course", None
    standin = params["standin"]
    with naming(KEY):
        check_keys(standin, STANDIN_KEYS, "standin")
    with naming(f"{KEY}.standin"):
        counts = standin["counts"]
        if (
            not isinstance(counts, dict)
            or set(counts) != set(SPLITS)
            or any(not isinstance(n, int) or n < 1 for n in counts.values())
        ):
            raise InvalidParam(
                f"counts: expected a positive count per class for train, val, test, got {counts!r}"
            )
    root = scratch_dir / "standin"
    cues = build_standin(root, {s: counts[s] for s in SPLITS}, standin["size"], standin["seed"],
                         workers_from_environment())  # fmt: skip
    return root, "standin", cues


def cue_table(files: np.ndarray, cues: dict) -> np.ndarray:
    """``(N, 4)`` drawn cue strengths in the order of ``files`` (NaN for a real image)."""
    return np.array([astuple(cues[f]) if cues[f] else [np.nan] * len(CUES) for f in files])


def _first_of_each_class(labels: np.ndarray, n: int) -> list[int]:
    return [*np.flatnonzero(labels == 0)[:n], *np.flatnonzero(labels == 1)[:n]]


if __name__ == "__main__":
    run_faces(main)

"""The real-vs-fake faces data: the course folder, its checks, and a synthetic stand-in.

Layout (the course's ``whichfaceisreal``): ``<root>/{train,val,test}/{0_real,1_fake}/*``;
real is class 0, fake class 1. Every problem is reported as one line naming the path.
As torchvision's ``ImageFolder`` (which the course code uses), a class folder's images may
sit in nested sub-folders, and only files with an image suffix are read; unlike it, hidden
files (``.DS_Store``, macOS's AppleDouble ``._*``, ``Thumbs.db``) are skipped and counted,
not read as images.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mlpcnn.common.params import InvalidParam

SPLITS = ("train", "val", "test")
CLASSES = ("0_real", "1_fake")
CUES = ("fingerprint", "colour_noise", "seam", "texture")  # the stand-in's traces of a fake
SYSTEM_FILES = {"thumbs.db", "desktop.ini"}  # Windows litter; names starting "." are hidden too
EXPECTED = "expected train, val and test, each with 0_real and 1_fake"


class FacesDataError(ValueError):
    """The faces folder or zip is missing or malformed; the message is one line."""


@dataclass
class ImageList:
    """Every image of a folder in a fixed order: split, then class, then file name."""

    paths: dict[str, list[Path]]  # split -> files
    labels: dict[str, np.ndarray]  # split -> (N,) int64, 0 real, 1 fake
    skipped: list[str] = field(default_factory=list)  # unreadable files skipped on request
    converted: int = 0  # images that were not RGB, converted on reading
    hidden: list[str] = field(default_factory=list)  # hidden/system files and folders skipped
    nested: int = 0  # images read from sub-folders of a class folder


def is_hidden(name: str) -> bool:
    """``.DS_Store``, AppleDouble ``._x.jpg``, ``.ipynb_checkpoints``, ``Thumbs.db``..."""
    return name.startswith(".") or name.lower() in SYSTEM_FILES


def image_files(class_folder: Path, found: ImageList) -> list[Path]:
    """The images under ``class_folder``, nested sub-folders included, in ImageFolder's
    order (folders sorted, then file names); hidden files and folders are counted in
    ``found.hidden`` and skipped."""
    from torchvision.datasets.folder import IMG_EXTENSIONS

    files = []
    for folder, subfolders, names in sorted(os.walk(class_folder, followlinks=True)):
        for name in [d for d in subfolders if is_hidden(d)]:
            found.hidden.append(str(Path(folder, name)))
            subfolders.remove(name)
        for name in sorted(names):
            if is_hidden(name):
                found.hidden.append(str(Path(folder, name)))
            elif name.lower().endswith(IMG_EXTENSIONS):
                files.append(Path(folder, name))
                found.nested += Path(folder) != class_folder
    return files


def list_images(root: str | Path) -> ImageList:
    """The course layout under ``root``, checked: splits, classes, at least one image each."""
    from torchvision.datasets.folder import IMG_EXTENSIONS

    root = Path(root)
    if not root.is_dir():
        raise FacesDataError(f"{root}: folder not found ({EXPECTED})")
    found = ImageList(paths={}, labels={})
    for split in SPLITS:
        folder = root / split
        if not folder.is_dir() and (root / f"{split}.dvc").is_file():
            raise FacesDataError(f"{folder}: tracked by DVC ({split}.dvc) but not in the "
                                 "workspace: run `dvc checkout` (or `dvc pull`)")  # fmt: skip
        if not folder.is_dir():
            raise FacesDataError(f"{folder}: missing split folder ({EXPECTED})")
        folders = sorted(p.name for p in folder.iterdir() if p.is_dir())
        found.hidden += [str(folder / name) for name in folders if is_hidden(name)]
        extra = [name for name in folders if name not in CLASSES and not is_hidden(name)]
        if extra:
            raise FacesDataError(
                f"{folder / extra[0]}: unexpected class folder (expected 0_real and 1_fake)"
            )
        found.paths[split], split_labels = [], []
        for label, name in enumerate(CLASSES):
            class_folder = folder / name
            if not class_folder.is_dir():
                raise FacesDataError(f"{class_folder}: missing class folder ({EXPECTED})")
            files = image_files(class_folder, found)
            if not files:
                suffixes = ", ".join(IMG_EXTENSIONS)
                raise FacesDataError(f"{class_folder}: no images (expected {suffixes} files)")
            found.paths[split] += files
            split_labels += [label] * len(files)
        found.labels[split] = np.array(split_labels, dtype=np.int64)
    return found


def has_images(root: str | Path) -> bool:
    """Whether anything but the README is in the course folder (a user put data there)."""
    root = Path(root)
    return root.is_dir() and any(
        p.name != "README.md" and not is_hidden(p.name) for p in root.iterdir()
    )


def read_rgb(path: Path, images: ImageList, skip_unreadable: bool) -> Image.Image | None:
    """Open an image as RGB (counting conversions); an unreadable file is an error or skipped."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode != "RGB":
                images.converted += 1
                image = image.convert("RGB")
            return image.copy()
    except (UnidentifiedImageError, OSError) as err:
        if not skip_unreadable:
            what = f"not a readable image ({type(err).__name__})"
            hint = "set skip_unreadable: true to skip such files"
            raise FacesDataError(f"{path}: {what}; {hint}") from None
        images.skipped.append(str(path))
        return None


def extract_course_zip(archive: str | Path, destination: str | Path) -> Path:
    """Extract a course zip into ``destination`` and return the folder with the layout.

    The layout may sit at the zip's top or under folders (e.g. ``whichfaceisreal/``).
    The zip itself is only read.
    """
    archive, destination = Path(archive), Path(destination)
    if not archive.is_file():
        raise FacesDataError(f"{archive}: zip file not found")
    try:
        with zipfile.ZipFile(archive) as zf:
            folders = {str(Path(name).parent) for name in zf.namelist()}
            prefix = _layout_prefix(folders)
            if prefix is None:
                raise FacesDataError(f"{archive}: no split/class folders inside ({EXPECTED})")
            zf.extractall(destination)
    except zipfile.BadZipFile:
        raise FacesDataError(f"{archive}: not a zip file") from None
    return destination / prefix


def _layout_prefix(folders: set[str]) -> str | None:
    """The folder under which every ``<split>/<class>`` of the layout exists, if any."""
    for folder in sorted(folders, key=len):
        parts = Path(folder).parts
        if len(parts) >= 2 and parts[-2] in SPLITS and parts[-1] in CLASSES:
            prefix = str(Path(*parts[:-2])) if len(parts) > 2 else "."
            base = Path(prefix)
            if all(str(base / s / c) in folders for s in SPLITS for c in CLASSES):
                return prefix
    return None


SCRATCH_SIZE = 224  # the from-scratch transform: resize to 224 x 224, then ToTensor
XGBOOST_SIDE = 64  # XGBoost's pixels: 64 x 64 x 3, flattened (12,288 values)
XGBOOST_INPUTS = {  # how the 64 x 64 pixels are taken
    "resize": "resize the whole image to 64 x 64, flatten: 12,288 values in [0, 1]",
    "centre_crop": "resize to 224 x 224, centre crop 64, flatten: 12,288 values in [0, 1]",
}


@dataclass
class FaceArrays:
    """One split decoded once, stored as uint8 (divide by 255 for ToTensor's [0, 1]).

    ``scratch`` and ``pretrained``: ``(N, 3, 224, 224)``; ``xgboost``: ``(N, 12288)``, the
    channel-major flattening of a ``(3, 64, 64)`` tensor, as ``ToTensor().flatten()``.
    """

    scratch: np.ndarray
    pretrained: np.ndarray
    xgboost: np.ndarray
    labels: np.ndarray
    files: np.ndarray  # relative paths, in the split's fixed order


def check_xgboost_input(value: str) -> None:
    if value not in XGBOOST_INPUTS:
        raise InvalidParam(
            f"xgboost_input: expected one of {', '.join(XGBOOST_INPUTS)}, got {value!r}"
        )


def decode_split(
    images: ImageList,
    split: str,
    root: Path,
    preprocess,
    skip_unreadable: bool = False,
    xgboost_input: str = "resize",
) -> FaceArrays:
    """Decode every image of ``split`` once into the three inputs the baselines need.

    ``preprocess`` is the pretrained backbone's resize and crop (PIL to PIL).
    ``xgboost_input`` (a key of ``XGBOOST_INPUTS``): ``resize`` sees the whole image,
    shrunk; ``centre_crop`` (the course notebook's) sees the middle 64 x 64 of the
    224-px resize, a quarter of its width.
    """
    check_xgboost_input(xgboost_input)
    from torchvision.transforms import functional

    scratch, pretrained, xgboost, labels, files = [], [], [], [], []
    for path, label in zip(images.paths[split], images.labels[split], strict=True):
        image = read_rgb(path, images, skip_unreadable)
        if image is None:
            continue
        resized = functional.resize(image, [SCRATCH_SIZE, SCRATCH_SIZE])
        scratch.append(_chw(resized))
        side = [XGBOOST_SIDE, XGBOOST_SIDE]
        small = (functional.resize(image, side) if xgboost_input == "resize"
                 else functional.center_crop(resized, side))  # fmt: skip
        xgboost.append(_chw(small).ravel())
        pretrained.append(_chw(preprocess(image)))
        labels.append(label)
        files.append(str(path.relative_to(root)))
    if not labels:
        raise FacesDataError(f"{root / split}: no readable images")
    return FaceArrays(
        scratch=np.stack(scratch),
        pretrained=np.stack(pretrained),
        xgboost=np.stack(xgboost),
        labels=np.array(labels, dtype=np.int64),
        files=np.array(files),
    )


def _chw(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W)


def content_hash(images: ImageList, root: Path) -> str:
    """sha256 over every image's relative path and bytes, in the fixed order."""
    import hashlib

    digest = hashlib.sha256()
    for split in SPLITS:
        for path in images.paths[split]:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def size_statistics(images: ImageList) -> dict[str, float]:
    """Width and height of the stored images (header only, no decoding)."""
    sizes = []
    for split in SPLITS:
        for path in images.paths[split]:
            try:
                with Image.open(path) as image:
                    sizes.append(image.size)
            except (UnidentifiedImageError, OSError):
                continue
    w, h = np.array(sizes, dtype=np.float64).T
    return {"width_min": w.min(), "width_max": w.max(), "width_mean": w.mean(),
            "height_min": h.min(), "height_max": h.max(), "height_mean": h.mean()}  # fmt: skip

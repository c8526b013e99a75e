from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlpcnn.faces.data import (
    CLASSES,
    SPLITS,
    FacesDataError,
    content_hash,
    decode_split,
    extract_course_zip,
    has_images,
    list_images,
    size_statistics,
)
from mlpcnn.faces.standin import build_standin

IDENTITY = lambda image: image.resize((224, 224))  # noqa: E731  (a stand-in for a backbone preset)


def course_folder(root: Path, per_class: int = 2, size: int = 32, mode: str = "RGB") -> Path:
    for s in SPLITS:
        for label, c in enumerate(CLASSES):
            folder = root / s / c
            folder.mkdir(parents=True)
            for i in range(per_class):
                Image.new(
                    mode,
                    (size, size),
                    color=(40 * label + i) if mode == "L" else (200, 40 * label, i),
                ).save(folder / f"{i}.png")
    return root


def test_lists_images_in_a_fixed_order_with_labels(tmp_path: Path) -> None:
    images = list_images(course_folder(tmp_path))
    assert [p.parent.name for p in images.paths["train"]] == [
        "0_real",
        "0_real",
        "1_fake",
        "1_fake",
    ]
    assert images.labels["val"].tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: __import__("shutil").rmtree(r / "val"), r"val: missing split folder"),
        (
            lambda r: __import__("shutil").rmtree(r / "test" / "1_fake"),
            r"test/1_fake: missing class folder",
        ),
        (lambda r: (r / "train" / "2_other").mkdir(), r"train/2_other: unexpected class folder"),
        (
            lambda r: [p.unlink() for p in (r / "train" / "0_real").iterdir()],
            r"train/0_real: no images",
        ),
    ],
)
def test_bad_layout_is_one_line_naming_the_path(tmp_path: Path, damage, message: str) -> None:
    root = course_folder(tmp_path / "faces")
    damage(root)
    with pytest.raises(FacesDataError, match=message) as info:
        list_images(root)
    assert "\n" not in str(info.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FacesDataError, match="nowhere: folder not found"):
        list_images(tmp_path / "nowhere")


def test_unreadable_image_is_an_error_or_skipped_and_counted(tmp_path: Path) -> None:
    root = course_folder(tmp_path)
    broken = root / "train" / "1_fake" / "9.jpg"
    broken.write_bytes(b"not an image")
    before = broken.read_bytes()
    with pytest.raises(
        FacesDataError, match=r"1_fake/9.jpg: not a readable image .*skip_unreadable"
    ):
        decode_split(list_images(root), "train", root, IDENTITY)
    images = list_images(root)
    arrays = decode_split(images, "train", root, IDENTITY, skip_unreadable=True)
    assert len(arrays.labels) == 4 and images.skipped == [str(broken)]
    assert broken.read_bytes() == before  # raw data untouched


def test_non_rgb_images_are_converted_and_counted(tmp_path: Path) -> None:
    root = course_folder(tmp_path, mode="L")
    images = list_images(root)
    arrays = decode_split(images, "val", root, IDENTITY)
    assert arrays.scratch.shape == (4, 3, 224, 224) and images.converted == 4


def test_decoded_inputs_have_the_baselines_shapes(tmp_path: Path) -> None:
    root = course_folder(tmp_path, size=300)
    arrays = decode_split(list_images(root), "test", root, IDENTITY)
    assert arrays.scratch.dtype == np.uint8 and arrays.scratch.shape == (4, 3, 224, 224)
    assert arrays.xgboost.shape == (4, 3 * 64 * 64)
    # the XGBoost crop is the centre 64 x 64 of the 224 resize, channel-major
    assert np.array_equal(
        arrays.xgboost[0].reshape(3, 64, 64), arrays.scratch[0][:, 80:144, 80:144]
    )
    assert arrays.files[0] == "test/0_real/0.png" and arrays.labels.tolist() == [0, 0, 1, 1]


def test_a_standin_at_256_px_arrives_as_224_and_64_through_the_course_transforms(
    tmp_path: Path,
) -> None:
    build_standin(tmp_path, {"train": 1, "val": 1, "test": 1}, size=256, seed=0)
    images = list_images(tmp_path)
    assert size_statistics(images)["width_max"] == 256 == size_statistics(images)["height_min"]
    arrays = decode_split(images, "test", tmp_path, IDENTITY)
    assert arrays.scratch.shape == (2, 3, 224, 224)  # shrunk, as a photo is
    assert arrays.xgboost.shape == (2, 3 * 64 * 64)


def test_course_zip_with_and_without_the_layout(tmp_path: Path) -> None:
    root = course_folder(tmp_path / "src" / "whichfaceisreal")
    archive = tmp_path / "course.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in root.rglob("*.png"):
            zf.write(path, path.relative_to(tmp_path / "src"))
    extracted = extract_course_zip(archive, tmp_path / "out")
    assert extracted == tmp_path / "out" / "whichfaceisreal"
    assert len(list_images(extracted).labels["train"]) == 4
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("faces/train/real/0.png", b"x")
    with pytest.raises(FacesDataError, match=r"bad.zip: no split/class folders inside"):
        extract_course_zip(bad, tmp_path / "out2")
    (tmp_path / "not.zip").write_text("hello")
    with pytest.raises(FacesDataError, match=r"not.zip: not a zip file"):
        extract_course_zip(tmp_path / "not.zip", tmp_path / "out3")


def mac_litter(root: Path) -> None:
    """What macOS and Windows leave in a shared folder, and one nested sub-folder."""
    fake = root / "train" / "1_fake"
    (fake / "._0.png").write_bytes(b"\x00\x05\x16\x07AppleDouble")  # not an image
    (fake / ".DS_Store").write_bytes(b"Bud1")
    (fake / "Thumbs.db").write_bytes(b"\xd0\xcf")
    (root / "val" / ".ipynb_checkpoints").mkdir()
    (fake / "batch2" / "deeper").mkdir(parents=True)
    Image.new("RGB", (32, 32), (1, 2, 3)).save(fake / "batch2" / "deeper" / "7.png")
    Image.new("RGB", (32, 32), (1, 2, 3)).save(fake / "batch2" / "5.png")
    (fake / "batch2" / "._5.png").write_bytes(b"\x00\x05\x16\x07")


def test_hidden_files_are_skipped_and_nested_images_read_like_image_folder(
    tmp_path: Path,
) -> None:
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import IMG_EXTENSIONS

    root = course_folder(tmp_path / "faces")
    mac_litter(root)
    images = list_images(root)
    assert len(images.hidden) == 5 and images.nested == 2
    assert {Path(h).name for h in images.hidden} == {"._0.png", ".DS_Store", "Thumbs.db",
                                                     ".ipynb_checkpoints", "._5.png"}  # fmt: skip

    # the same files, in the same order, as ImageFolder (which would also read ._* files)
    def valid(path: str) -> bool:
        return path.lower().endswith(IMG_EXTENSIONS) and not Path(path).name.startswith(".")

    folder = ImageFolder(root / "train", is_valid_file=valid)
    assert [Path(p) for p, _ in folder.samples] == images.paths["train"]
    assert images.labels["train"].tolist() == [0, 0, 1, 1, 1, 1]
    arrays = decode_split(images, "train", root, IDENTITY)
    assert len(arrays.labels) == 6 and "train/1_fake/batch2/deeper/7.png" in arrays.files


def test_a_zip_made_on_a_mac_reads_the_same(tmp_path: Path) -> None:
    root = course_folder(tmp_path / "src" / "whichfaceisreal")
    mac_litter(root)
    archive = tmp_path / "course.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(root.rglob("*")):
            name = path.relative_to(tmp_path / "src")
            zf.write(path, name)
            if path.suffix == ".png":  # what Finder's "Compress" adds beside each file
                zf.writestr(str("__MACOSX" / name.parent / f"._{path.name}"), b"\x00\x05")
    extracted = extract_course_zip(archive, tmp_path / "out")
    assert extracted == tmp_path / "out" / "whichfaceisreal"
    images = list_images(extracted)
    assert len(images.labels["train"]) == 6 and images.nested == 2 and len(images.hidden) == 5


def test_standin_is_deterministic_balanced_and_in_the_course_layout(tmp_path: Path) -> None:
    counts = {"train": 3, "val": 1, "test": 2}
    build_standin(tmp_path / "a", counts, size=32, seed=5)
    build_standin(tmp_path / "b", counts, size=32, seed=5)
    a, b = list_images(tmp_path / "a"), list_images(tmp_path / "b")
    assert content_hash(a, tmp_path / "a") == content_hash(b, tmp_path / "b")
    assert a.labels["train"].tolist() == [0, 0, 0, 1, 1, 1]
    assert Image.open(a.paths["test"][0]).format == "JPEG"
    build_standin(tmp_path / "c", counts, size=32, seed=6)
    assert content_hash(list_images(tmp_path / "c"), tmp_path / "c") != content_hash(
        a, tmp_path / "a"
    )


def test_has_images_ignores_the_readme(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("put the course images here")
    assert not has_images(tmp_path)
    course_folder(tmp_path)
    assert has_images(tmp_path)

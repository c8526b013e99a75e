from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import functional

from mlpcnn.common.params import InvalidParam
from mlpcnn.faces.backbones import preset_preprocess, preset_text
from mlpcnn.faces.data import (
    CLASSES,
    SPLITS,
    FacesDataError,
    content_hash,
    decode_split,
    extract_course_zip,
    has_images,
    list_images,
)
from mlpcnn.faces.spectrum import class_spectra, peak_ratio, peak_table
from mlpcnn.faces.standin import Cues, build_standin, standin_array

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
    image = Image.open(root / "test" / "0_real" / "0.png")
    # XGBoost's pixels: the whole image resized to 64 x 64, channel-major
    whole = np.asarray(functional.resize(image, [64, 64])).transpose(2, 0, 1)
    assert np.array_equal(arrays.xgboost[0].reshape(3, 64, 64), whole)
    # or, as the course notebook, the centre 64 x 64 of the 224 resize
    crop = decode_split(list_images(root), "test", root, IDENTITY, xgboost_input="centre_crop")
    assert np.array_equal(crop.xgboost[0].reshape(3, 64, 64), arrays.scratch[0][:, 80:144, 80:144])
    assert arrays.files[0] == "test/0_real/0.png" and arrays.labels.tolist() == [0, 0, 1, 1]
    with pytest.raises(InvalidParam, match="xgboost_input: expected one of resize, centre_crop"):
        decode_split(list_images(root), "test", root, IDENTITY, xgboost_input="crop")


def bar_width(image: np.ndarray) -> float:
    """Width in pixels of the bright bar across the middle row of ``(3, H, W)`` uint8."""
    row = image.mean(axis=0)[image.shape[1] // 2].astype(float)
    return float(((row - row.min()) / np.ptp(row)).sum())  # a blurred edge counts by its share


@pytest.mark.parametrize("backbone", ["efficientnet_lite0", "resnet18"])
def test_every_baselines_own_transform_shrinks_a_standin_image(
    tmp_path: Path, backbone: str
) -> None:
    """The default stand-in (512 px) through each baseline's real transform (the pretrained
    backbone's own preset, the scratch resize, both XGBoost inputs): a 96-px bar across its
    middle comes out narrower in every input, so the generator's traces shrink as a
    photo's do. (At 256 px the pretrained preset, a 256 resize, left the image as it was.)"""
    rng = np.random.default_rng(0)
    array = standin_array(rng, 512, Cues.drawn(rng))
    array[232:280] = 0.0
    array[240:272, 208:304] = 1.0  # a white bar, 96 px wide, on a black band
    root = tmp_path / "standin"
    for split in ("train", "val", "test"):
        for name in ("0_real", "1_fake"):
            (root / split / name).mkdir(parents=True)
            Image.fromarray((array * 255).round().astype(np.uint8)).save(
                root / split / name / "0.png"
            )
    images = list_images(root)
    assert preset_text(preset_preprocess(backbone)).startswith("resize the shorter side to 256")
    preset = decode_split(images, "test", root, preset_preprocess(backbone))
    cropped = decode_split(images, "test", root, IDENTITY, xgboost_input="centre_crop")
    widths = {
        "pretrained": bar_width(preset.pretrained[0]),
        "scratch": bar_width(preset.scratch[0]),
        "xgboost (resize)": bar_width(preset.xgboost[0].reshape(3, 64, 64)),
        "xgboost (centre crop)": bar_width(cropped.xgboost[0].reshape(3, 64, 64)),
    }
    expected = {
        "pretrained": 48,
        "scratch": 42,
        "xgboost (resize)": 12,
        "xgboost (centre crop)": 42,
    }
    for name, width in widths.items():
        assert width == pytest.approx(expected[name], abs=3), name
        assert width < 96 * 0.6, f"{name} does not shrink the image: bar {width:.1f} px of 96"


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


def residual(image: np.ndarray) -> np.ndarray:
    """The grey image minus its blur: the finest scales, where noise and texture live."""
    from scipy.ndimage import gaussian_filter

    grey = image.mean(axis=-1)
    return grey - gaussian_filter(grey, 1.0)


def test_each_generator_cue_is_present_where_it_should_be() -> None:
    """The same image drawn with one cue at full strength against none (same random draws)."""
    from mlpcnn.faces.standin import face

    def drawn(cues: Cues) -> np.ndarray:
        return standin_array(np.random.default_rng(3), 256, cues)

    plain = drawn(Cues())
    _, (cx, cy), (rx, ry) = face(np.random.default_rng(3), 256)
    y, x = np.mgrid[0:256, 0:256] / 256
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    skin = (inside < 0.6) & (np.abs(y - cy) < 0.1 * ry)  # cheeks: between eyes and mouth
    outside = inside > 1.2
    # the up-sampling fingerprint: a peak at a period of 2 px that the plain image lacks
    ratio = {k: peak_ratio(np.fft.fftshift(np.abs(np.fft.fft2(residual(a)))), 0.5)
             for k, a in (("plain", plain), ("fake", drawn(Cues(fingerprint=1.0))))}  # fmt: skip
    assert ratio["fake"] > 5 and ratio["plain"] < 2, ratio
    # colour and noise: less sensor noise and less saturated colour than a camera's
    generated = drawn(Cues(colour_noise=1.0))
    assert residual(generated)[outside].std() < 0.8 * residual(plain)[outside].std()
    chroma = lambda a: (a - a.mean(axis=-1, keepdims=True)).std()  # noqa: E731
    assert chroma(generated) < 0.9 * chroma(plain)
    # the seam: the pasted face blurred inside, the background untouched
    seam = drawn(Cues(seam=1.0))
    assert np.abs(seam - plain)[outside].max() < 1e-12
    assert residual(seam)[skin].std() < 0.8 * residual(plain)[skin].std()
    # the skin's texture: smoother on the face, the background untouched
    smooth = drawn(Cues(texture=1.0))
    assert np.abs(smooth - plain)[outside].max() < 1e-12
    assert residual(smooth)[skin].std() < 0.8 * residual(plain)[skin].std()


def test_the_fakes_mean_spectrum_has_the_generator_peaks_and_the_reals_does_not(
    tmp_path: Path,
) -> None:
    """Stored as JPEG with every cue drawn per image, as the stage builds them: the peaks at
    periods of 2 and 4 px stand out in the fakes' mean spectrum and not in the reals'."""
    build_standin(tmp_path, {"train": 10, "val": 1, "test": 1}, size=512, seed=0)
    images = list_images(tmp_path)
    files = [str(p.relative_to(tmp_path)) for p in images.paths["train"]]
    spectra = class_spectra(tmp_path, files, images.labels["train"])
    peaks = peak_table(spectra)
    for period in ("period_2px", "period_4px"):
        assert peaks[period]["1_fake"] > 2 * peaks[period]["0_real"], peaks
    assert peaks["period_2px"]["0_real"] < 2, peaks

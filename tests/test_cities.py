from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from mlpcnn.cities.data import (
    CitiesDataError,
    CitySplit,
    input_statistics,
    load_cities,
    read_cities_csv,
    subsample,
)

HEADER = ",long,lat,country\n"
GOOD_ROWS = "10,2.35,48.85,11\n11,13.40,52.52,12\n12,-3.70,40.42,9\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_features_and_labels(tmp_path: Path) -> None:
    split = read_cities_csv(write(tmp_path, "train.csv", HEADER + GOOD_ROWS))
    assert split.features.dtype == np.float64 and split.features.shape == (3, 2)
    assert split.labels.dtype == np.int64
    assert split.labels.tolist() == [11, 12, 9]
    np.testing.assert_allclose(split.features[0], [2.35, 48.85], rtol=1e-6)


def test_shipped_data_is_the_course_data() -> None:
    raw = Path(__file__).parents[1] / "data" / "raw" / "cities"
    digest = hashlib.sha256((raw / "validation.csv").read_bytes()).hexdigest()
    assert digest == "46e8c2fdb5a95c1a51583d90139f10ace5e04dd993c8178faa69dc2440c6b2a0"
    split = read_cities_csv(raw / "validation.csv")
    assert len(split) == 13363 and split.labels.max() == 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, r"missing\.csv: file not found"),
        ("", r"bad\.csv: empty file"),
        (HEADER, r"bad\.csv: no data rows"),
        (",long,country\n1,2.0,3\n", r"bad\.csv: missing column 'lat'"),
        (",lat,country\n1,2.0,3\n", r"bad\.csv: missing column 'long'"),
        (",long,lat\n1,2.0,3\n", r"bad\.csv: missing column 'country'"),
        (
            HEADER + GOOD_ROWS + "13,abc,40.0,1\n",
            r"bad\.csv: line 5 \(data row 4\), column 'long': expected a finite number, got 'abc'",
        ),
        (
            HEADER + "1,2.0,nan,1\n",
            r"line 2 \(data row 1\), column 'lat': expected a finite number, got 'nan'",
        ),
        (HEADER + "1,2.0,,1\n", r"column 'lat': expected a finite number, got an empty cell"),
        (
            HEADER + "1,181.5,40,1\n",
            r"column 'long': expected a value in \[-180, 180\], got '181.5'",
        ),
        (
            HEADER + GOOD_ROWS + "1,2.0,-90.5,1\n",
            r"line 5 .*column 'lat': expected a value in \[-90, 90\]",
        ),
        (
            HEADER + "1,2.0,40,3.5\n",
            r"column 'country': expected a non-negative integer class, got '3.5'",
        ),
        (
            HEADER + "1,2.0,40,-1\n",
            r"column 'country': expected a non-negative integer class, got '-1'",
        ),
        (
            HEADER + "1,2.0,40,France\n",
            r"column 'country': expected a non-negative integer class, got 'France'",
        ),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "missing.csv" if text is None else write(tmp_path, "bad.csv", text)
    with pytest.raises(CitiesDataError, match=expected) as info:
        read_cities_csv(path)
    assert "\n" not in str(info.value)


def test_label_unseen_in_train_names_file_and_row(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", HEADER + GOOD_ROWS)
    val = write(tmp_path, "validation.csv", HEADER + "1,2.0,40,11\n2,2.0,40,7\n")
    with pytest.raises(
        CitiesDataError,
        match=r"validation\.csv: line 3 .*label 7 does not occur in the train split",
    ):
        load_cities({"train": train, "val": val})


def test_raw_files_are_not_modified(tmp_path: Path) -> None:
    path = write(tmp_path, "train.csv", HEADER + GOOD_ROWS)
    before = path.read_bytes()
    load_cities({"train": path, "val": path})
    assert path.read_bytes() == before


def test_subsample_is_seeded_and_keeps_the_original_order() -> None:
    rows = np.arange(30)
    split = CitySplit(  # row i at longitude i: where each kept row came from shows
        features=np.stack([rows, rows * 0.5], axis=1).astype(np.float32), labels=rows % 3
    )
    a, b = subsample(split, 7, seed=3), subsample(split, 7, seed=3)
    assert len(a) == 7 and np.array_equal(a.features, b.features)
    kept = a.features[:, 0].astype(int)
    assert (np.diff(kept) > 0).all()  # in the original order, no row twice
    assert np.array_equal(a.labels, kept % 3) and np.array_equal(a.features[:, 1], kept * 0.5)
    other = subsample(split, 7, seed=4).features[:, 0].astype(int)
    assert not np.array_equal(other, kept)  # another seed, another subset
    assert subsample(split, None, seed=3) is split and subsample(split, 30, seed=3) is split


def test_input_statistics(tmp_path: Path) -> None:
    stats = input_statistics(read_cities_csv(write(tmp_path, "t.csv", HEADER + GOOD_ROWS)))
    assert stats["long"]["min"] == pytest.approx(-3.70) and stats["lat"]["max"] == pytest.approx(
        52.52
    )
    assert stats["lat"]["mean"] == pytest.approx((48.85 + 52.52 + 40.42) / 3, rel=1e-6)

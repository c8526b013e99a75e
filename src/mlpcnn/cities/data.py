"""The European cities data: reading and validating the course CSVs.

Each CSV has a header ``,long,lat,country``: an unnamed original row index, longitude
and latitude in degrees, and the country already encoded as an integer. Every problem
is reported as one line naming the file, the line and the column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FEATURE_COLUMNS = ("long", "lat")
LABEL_COLUMN = "country"
REQUIRED_COLUMNS = (*FEATURE_COLUMNS, LABEL_COLUMN)
COORDINATE_RANGES = {"long": (-180.0, 180.0), "lat": (-90.0, 90.0)}


class CitiesDataError(ValueError):
    """A cities CSV is missing or malformed; the message is one line."""


@dataclass(frozen=True)
class CitySplit:
    """One split: float64 features ``(N, 2)`` (long, lat, as read) and int64 labels ``(N,)``."""

    features: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def _where(path: Path, row: int, column: str) -> str:
    # ``row`` is the 0-based data row; the file's line adds the header and 1-basing.
    return f"{path}: line {row + 2} (data row {row + 1}), column '{column}'"


def read_cities_csv(path: str | Path) -> CitySplit:
    """Read and validate one split. Raises :class:`CitiesDataError` on any problem."""
    path = Path(path)
    if not path.is_file():
        raise CitiesDataError(
            f"{path}: file not found (expected a CSV with columns long, lat, country)"
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise CitiesDataError(
            f"{path}: empty file (expected a header with long, lat, country)"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        first_line = str(err).strip().splitlines()[0]
        raise CitiesDataError(f"{path}: not a readable CSV ({first_line})") from None
    header = [str(c) for c in frame.columns]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise CitiesDataError(
                f"{path}: missing column '{column}' (header has: {', '.join(header)})"
            )
    if frame.empty:
        raise CitiesDataError(f"{path}: no data rows (expected at least one city)")

    features = np.empty((len(frame), len(FEATURE_COLUMNS)), dtype=np.float64)
    for j, column in enumerate(FEATURE_COLUMNS):
        values = _numeric_column(frame[column], path, column, "a finite number")
        low, high = COORDINATE_RANGES[column]
        outside = np.flatnonzero((values < low) | (values > high))
        if outside.size:
            row = int(outside[0])
            raise CitiesDataError(
                f"{_where(path, row, column)}: expected a value in [{low:g}, {high:g}], "
                f"got {frame[column].iloc[row]!r}"
            )
        features[:, j] = values

    expected_label = "a non-negative integer class"
    labels = _numeric_column(frame[LABEL_COLUMN], path, LABEL_COLUMN, expected_label)
    bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0))
    if bad.size:
        row = int(bad[0])
        raise CitiesDataError(
            f"{_where(path, row, LABEL_COLUMN)}: expected {expected_label}, "
            f"got {frame[LABEL_COLUMN].iloc[row]!r}"
        )
    return CitySplit(features=features, labels=labels.astype(np.int64))


def _numeric_column(raw: pd.Series, path: Path, column: str, expected: str) -> np.ndarray:
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        text = raw.iloc[row]
        what = "an empty cell" if text.strip() == "" else repr(text)
        raise CitiesDataError(f"{_where(path, row, column)}: expected {expected}, got {what}")
    return values


def load_cities(paths: Mapping[str, str | Path], train: str = "train") -> dict[str, CitySplit]:
    """Read every split and check that each label also occurs in the ``train`` split."""
    splits = {name: read_cities_csv(path) for name, path in paths.items()}
    known = np.unique(splits[train].labels)
    for name, split in splits.items():
        if name == train:
            continue
        unseen = np.flatnonzero(~np.isin(split.labels, known))
        if unseen.size:
            row = int(unseen[0])
            raise CitiesDataError(
                f"{_where(Path(paths[name]), row, LABEL_COLUMN)}: label {split.labels[row]} "
                f"does not occur in the {train} split ({paths[train]})"
            )
    return splits


def subsample(split: CitySplit, max_rows: int | None, seed: int) -> CitySplit:
    """A seeded random subset of at most ``max_rows`` rows, in their original order."""
    if max_rows is None or len(split) <= max_rows:
        return split
    keep = np.sort(np.random.default_rng(seed).choice(len(split), size=max_rows, replace=False))
    return CitySplit(features=split.features[keep], labels=split.labels[keep])


def input_statistics(split: CitySplit) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, minimum and maximum of each coordinate."""
    return {
        column: {
            "mean": float(split.features[:, j].mean(dtype=np.float64)),
            "std": float(split.features[:, j].std(dtype=np.float64)),
            "min": float(split.features[:, j].min()),
            "max": float(split.features[:, j].max()),
        }
        for j, column in enumerate(FEATURE_COLUMNS)
    }

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from mlpcnn.common.io import atomic_output, write_arrays, write_json


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_json_has_no_nan(tmp_path: Path) -> None:
    write_json(tmp_path / "m.json", {"loss": float("nan"), "acc": [1.0, float("inf")]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"loss": None, "acc": [1.0, None]}


def test_arrays_are_written_the_same_byte_for_byte(tmp_path: Path, monkeypatch) -> None:
    """A rerun that computes the same arrays leaves the file (and DVC's hash) unchanged,
    where ``np.savez`` stamps each member with the clock."""
    arrays = {"x": np.arange(6, dtype=np.float32).reshape(3, 2), "kind": np.array("standin")}
    write_arrays(tmp_path / "a.npz", **arrays)
    monkeypatch.setattr(time, "time", lambda: 2e9)  # a later clock: np.savez would differ
    write_arrays(tmp_path / "b.npz", **arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as loaded:
        assert loaded["x"].tolist() == arrays["x"].tolist() and str(loaded["kind"]) == "standin"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_mode_a_plain_open_gives(tmp_path: Path, umask: int) -> None:
    import os

    before = os.umask(umask)
    try:
        (tmp_path / "plain.txt").write_text("x")
        write_json(tmp_path / "atomic.json", {"a": 1})
        write_arrays(tmp_path / "atomic.npz", a=np.zeros(2))
    finally:
        os.umask(before)
    expected = (tmp_path / "plain.txt").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    for name in ("atomic.json", "atomic.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == expected, name

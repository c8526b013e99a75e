from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpcnn.common.io import atomic_output, write_json


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

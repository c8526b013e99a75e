"""Strict params: unknown keys, repeated seeds and labels, YAML errors, and which errors
become params errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import stage_shared
from stage_shared import ParamError, foreach_item, load_params, naming, read_params

from mlpcnn.common.params import (
    InvalidParam,
    check_distinct,
    check_keys,
    check_seeds,
    number_label,
)


def test_check_keys_names_the_unknown_key_and_the_known_ones() -> None:
    check_keys({"a": 1}, ("a", "b"), "x")
    with pytest.raises(InvalidParam, match=r"^x\.batchsize: unknown key \(known: a, b\)$"):
        check_keys({"a": 1, "batchsize": 2}, ("b", "a"), "x")
    with pytest.raises(InvalidParam, match=r"^runs\[0\]: expected a mapping"):
        check_keys([1], ("a",), "runs[0]")


@pytest.mark.parametrize("seeds", [[0, 0], [], "0", [0, 1.5], [True], None])
def test_seeds_are_a_non_empty_list_of_distinct_integers(seeds) -> None:
    with pytest.raises(InvalidParam, match=r"^seeds: expected a non-empty list of distinct"):
        check_seeds(seeds)
    assert check_seeds([3, 1, 2]) == [3, 1, 2]


def test_labels_of_numbers_are_exact_and_distinct_values_are_checked() -> None:
    assert [number_label(v) for v in (0.001, 0.0012, 1e-5, 1.0, 0.1)] == [
        "0.001", "0.0012", "1e-05", "1", "0.1",
    ]  # fmt: skip
    check_distinct([0.001, 0.0012], "lrs")
    with pytest.raises(InvalidParam, match=r"^lrs: expected distinct values, got 0\.001 twice"):
        check_distinct([0.001, 0.01, 0.001], "lrs")


def test_only_the_librarys_invalid_params_are_relabelled() -> None:
    relabelled = pytest.raises(ParamError, match=r"^params\.yaml: mlp_epochs\.lr: bad$")
    with relabelled, naming("mlp_epochs"):
        raise InvalidParam("lr: bad")
    with pytest.raises(ValueError, match=r"^a bug in training$") as caught, naming("mlp_epochs"):
        raise ValueError("a bug in training")
    assert not isinstance(caught.value, ParamError)


@pytest.fixture
def params_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(stage_shared, "PARAMS", tmp_path / "params.yaml")

    def write(text: str) -> None:
        (tmp_path / "params.yaml").write_text(text)

    return write


def test_a_yaml_syntax_error_names_the_line_and_column(params_file) -> None:
    params_file("seed: 0\nmlp_epochs:\n  depth: [6\n  width: 16\n")
    with pytest.raises(ParamError) as caught:
        read_params()
    message = str(caught.value)
    assert message.startswith(f"{stage_shared.PARAMS}:") and "invalid YAML" in message
    assert "\n" not in message and ":4:" in message


def test_a_section_rejects_unknown_keys(params_file) -> None:
    params_file("seed: 3\nstudy:\n  epochs: 2\n  batchsize: 64\n")
    with pytest.raises(
        ParamError, match=r"study\.batchsize: unknown key \(known: batch_size, epochs\)"
    ):
        load_params("study", ("epochs", "batch_size"))
    params_file("seed: 3\nstudy:\n  epochs: 2\n")
    # Only the top-level keys a stage names (and declares in dvc.yaml) are handed to it.
    assert load_params("study", ("epochs",)) == {"epochs": 2}
    assert load_params("study", ("epochs",), top=("seed", "device")) == {
        "seed": 3,
        "device": "auto",
        "epochs": 2,
    }


def test_foreach_items_and_their_shared_params_are_checked(
    params_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["script.py", "a"])
    params_file("g:\n  train: {epochs: 2}\n  items:\n    a: {lr: 0.1}\n")
    name, key, merged, own = foreach_item("g", "items", ("epochs", "lr"))
    assert (name, key) == ("a", "g.items.a") and merged["epochs"] == 2 and merged["lr"] == 0.1
    assert own == {"lr": 0.1} and merged["device"] == "auto"
    params_file("g:\n  train: {epochs: 2}\n  items:\n    a: {lrr: 0.1}\n")
    with pytest.raises(ParamError, match=r"g\.items\.a\.lrr: unknown key"):
        foreach_item("g", "items", ("epochs", "lr"))
    params_file("g:\n  train: {epoch: 2}\n  items:\n    a: {}\n")
    with pytest.raises(ParamError, match=r"g\.train\.epoch: unknown key"):
        foreach_item("g", "items", ("epochs", "lr"))


def test_a_float_without_a_dot_gets_a_hint_naming_its_key() -> None:
    from mlpcnn.common.params import float_read_as_text

    assert float_read_as_text({"a": {"lr": 0.001, "lrs": [0.1, "1e-4"]}}) == (
        "a.lrs[1]: '1e-4' is text to YAML 1.1, which needs a dot in a float: write 1.0e-4"
    )
    assert float_read_as_text({"x": "2E5", "y": "1.0e-4"}) == (
        "x: '2E5' is text to YAML 1.1, which needs a dot in a float: write 2.0E5"
    )
    assert float_read_as_text({"a": [1.0e-4, "adam", "d6_w16", True, None]}) is None


def test_params_yaml_with_1e_4_is_one_line(tmp_path, monkeypatch) -> None:
    import stage_shared
    import yaml

    path = tmp_path / "params.yaml"
    path.write_text("mlp_epochs:\n  lr: 1e-4\n")
    assert yaml.safe_load(path.read_text())["mlp_epochs"]["lr"] == "1e-4"  # PyYAML's text
    monkeypatch.setattr(stage_shared, "PARAMS", path)
    with pytest.raises(stage_shared.ParamError) as caught:
        stage_shared.read_params()
    assert str(caught.value) == (
        f"{path}: mlp_epochs.lr: '1e-4' is text to YAML 1.1, which needs a dot in a float: "
        "write 1.0e-4"
    )


def test_a_queued_experiment_uses_the_repositorys_compile_cache(tmp_path: Path) -> None:
    from stage_shared import compile_cache

    repo = tmp_path / "study"
    assert compile_cache(repo) == repo / ".dvc/tmp/torch_compile"
    queued = repo / ".dvc/tmp/exps/tmpab12cd"  # where `dvc exp run --queue` runs a copy
    assert compile_cache(queued) == repo / ".dvc/tmp/torch_compile"
    assert compile_cache(queued / "pipeline") == repo / ".dvc/tmp/torch_compile"
    assert compile_cache(tmp_path / "exps/x") == tmp_path / "exps/x/.dvc/tmp/torch_compile"

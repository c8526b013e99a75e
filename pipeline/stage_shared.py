"""What every stage script shares: params, the repository's outputs, errors as one line.

With ``stage_cities`` and ``stage_faces``, this is the only place that knows the layout
of the repository and of params.yaml; the library (``mlpcnn``) knows neither.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mlpcnn.common.io import write_json
from mlpcnn.common.params import InvalidParam, check_keys

PARAMS = Path("params.yaml")
PREPARED = Path("data/prepared")
MODELS = Path("models")
METRICS = Path("metrics")
PLOTS = Path("plots")
SHARED = ("seed", "device")  # top-level params every stage may read

if TYPE_CHECKING:  # torch is imported where a stage uses it: report and plots_template never do
    import torch


class ParamError(ValueError):
    """A value in params.yaml is invalid; the message names the file and the key."""


class InputError(ValueError):
    """An input file is missing or invalid; the message names the file."""


def read_params() -> dict[str, Any]:
    """The whole of params.yaml; a syntax error is one line with its line and column."""
    try:
        params = yaml.safe_load(PARAMS.read_text())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{PARAMS}:{mark.line + 1}:{mark.column + 1}" if mark else str(PARAMS)
        raise ParamError(f"{where}: invalid YAML: {err.problem}") from None
    except yaml.YAMLError as err:
        raise ParamError(f"{PARAMS}: invalid YAML: {err}") from None
    if not isinstance(params, dict):
        raise ParamError(f"{PARAMS}: expected a mapping of sections, got {params!r}")
    return params


def load_params(section: str, known: Iterable[str]) -> dict[str, Any]:
    """The stage's section of params.yaml, plus the shared ``seed`` and ``device``.

    A key of the section outside ``known`` is an error naming it and the known ones.
    """
    params = read_params()
    if section not in params:
        raise ParamError(f"{PARAMS}: missing section '{section}'")
    with naming(""):
        check_keys(params[section], known, section)
    return {
        "seed": params.get("seed", 0),
        "device": params.get("device", "auto"),
        **params[section],
    }


def foreach_item(
    section: str, items: str, known: Iterable[str], section_keys: Iterable[str] = ()
) -> tuple[str, str, dict[str, Any]]:
    """For a ``foreach`` stage run as ``script.py <name>``: the item's name, its key in
    params.yaml, and its params laid over the section's shared ``train`` params.

    Both the shared params and the item's may only use ``known`` keys; the section
    itself holds ``train``, ``items`` and ``section_keys``.
    """
    known = list(known)
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    params = load_params(section, ("train", items, *section_keys))
    if name not in params[items]:
        raise ParamError(
            f"{PARAMS}: {section}.{items} has no '{name}' (has: {', '.join(params[items])})"
        )
    key = f"{section}.{items}.{name}"
    item = params[items][name] or {}
    with naming(""):
        check_keys(params["train"], known, f"{section}.train")
        check_keys(item, known, key)
    merged = {"seed": params["seed"], "device": params["device"], **params["train"], **item}
    return name, key, merged


@contextmanager
def naming(key: str) -> Iterator[None]:
    """Re-raise the library's :class:`InvalidParam` as a ParamError naming ``key``.

    The library's messages start with the argument's name (``lr: expected ...``), which
    becomes ``params.yaml: mlp_epochs.lr: expected ...``. Other errors pass through.
    """
    try:
        yield
    except InvalidParam as err:
        prefix = f"{key}." if key else ""
        raise ParamError(f"{PARAMS}: {prefix}{err}") from None


def device_from(params: dict[str, Any]) -> torch.device:
    from mlpcnn.common.device import resolve_device

    with naming(""):
        return resolve_device(params["device"])


def environment(device: torch.device) -> dict[str, Any]:
    import torch

    return {"device": device.type, "torch": torch.__version__}


def write_results(name: str, headline: dict[str, Any], details: dict[str, Any]) -> None:
    """``metrics/<name>.json``: the few headline figures `dvc exp show` and `dvc metrics
    diff` compare; ``plots/<name>/summary.json``: everything the report and later stages
    read (tests, per-seed figures, timings). ``name`` is ``stage`` or ``stage/item``."""
    write_json(PLOTS / name / "summary.json", details)
    write_json(METRICS / f"{name}.json", headline)


def read_summary(name: str) -> dict[str, Any]:
    """What ``write_results`` wrote for ``name`` (an upstream stage's details)."""
    import json

    path = PLOTS / name / "summary.json"
    if not path.is_file():
        raise InputError(f"{path}: missing; run the stage that writes it (dvc repro)")
    return json.loads(path.read_text())


def run(main: Callable[[], None], errors: tuple[type[Exception], ...] = ()) -> None:
    """Run a stage's ``main``; known input errors end it with one line, not a traceback."""
    start = time.perf_counter()
    try:
        main()
    except (ParamError, InputError, FileNotFoundError, *errors) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr)

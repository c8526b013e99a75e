"""What every stage script shares: params, the repository's outputs, errors as one line.

With ``stage_cities`` and ``stage_faces``, this is the only place that knows the layout
of the repository and of params.yaml; the library (``mlpcnn``) knows neither.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from mlpcnn.common.io import flatten, write_json
from mlpcnn.common.params import InvalidParam, check_keys, float_read_as_text

PARAMS = Path("params.yaml")
PREPARED = Path("data/prepared")
MODELS = Path("models")
METRICS = Path("metrics")
PLOTS = Path("plots")

if TYPE_CHECKING:  # torch is imported where a stage uses it: report and plots_template never do
    import torch


# torch.compile's caches (inductor's kernels, FX graphs, AOTAutograd) for every stage, in
# DVC's own ignored folder: kept across reboots, unlike the default in the system's
# temporary folder, so a machine compiles each training step once. Read by torch when it
# first compiles; a user's own TORCHINDUCTOR_CACHE_DIR wins.
def compile_cache(workspace: Path) -> Path:
    """``.dvc/tmp/torch_compile`` of the repository: a queued experiment (``dvc exp run
    --queue``) runs in a temporary copy under ``<repository>/.dvc/tmp/exps/``, whose own
    ``.dvc/tmp`` is empty; it uses the repository's cache, so it does not compile anew."""
    workspace = workspace.resolve()
    for folder in workspace.parents:
        if (folder.name, folder.parent.name, folder.parent.parent.name) == ("exps", "tmp", ".dvc"):
            return folder.parent / "torch_compile"
    return workspace / ".dvc" / "tmp" / "torch_compile"


COMPILE_CACHE = compile_cache(Path.cwd())
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(COMPILE_CACHE))


DEFAULTS = {"seed": 0, "device": "auto"}  # top-level params, when params.yaml omits them


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
    if hint := float_read_as_text(params):
        raise ParamError(f"{PARAMS}: {hint}")
    return params


def load_params(section: str, known: Iterable[str], top: Iterable[str] = ()) -> dict[str, Any]:
    """The stage's section of params.yaml, plus the top-level keys named in ``top`` (e.g.
    ``device``: each one the stage's ``params`` in dvc.yaml must list too).

    A key of the section outside ``known`` is an error naming it and the known ones.
    """
    params = read_params()
    if section not in params:
        raise ParamError(f"{PARAMS}: missing section '{section}'")
    with naming(""):
        check_keys(params[section], known, section)
    return {**{key: params.get(key, DEFAULTS[key]) for key in top}, **params[section]}


class Item(NamedTuple):
    """A foreach stage's item: its name, its key in params.yaml, its params laid over the
    shared ones, and its own params alone."""

    name: str
    key: str
    params: dict[str, Any]
    own: dict[str, Any]


def foreach_item(
    section: str,
    items: str,
    known: Iterable[str],
    section_keys: Iterable[str] = (),
    top: Iterable[str] = ("device",),
) -> Item:
    """For a ``foreach`` stage run as ``script.py <name>``: the item, its params laid
    over the section's shared ``train`` params (plus ``section_keys`` of the section and
    the top-level ``top``).

    Both the shared params and the item's may only use ``known`` keys; the section
    itself holds ``train``, ``items`` and ``section_keys``.
    """
    known = list(known)
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    params = load_params(section, ("train", items, *section_keys), top)
    if name not in params[items]:
        raise ParamError(
            f"{PARAMS}: {section}.{items} has no '{name}' (has: {', '.join(params[items])})"
        )
    key = f"{section}.{items}.{name}"
    item = params[items][name] or {}
    with naming(""):
        check_keys(params["train"], known, f"{section}.train")
        check_keys(item, known, key)
    shared = {k: params[k] for k in (*top, *section_keys)}
    return Item(name, key, {**shared, **params["train"], **item}, dict(item))


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


def device_from(params: dict[str, Any], precision: str | None = "float32") -> torch.device:
    """The device ``params`` name; the stage's first line says what it will run on
    (``precision=None``: the stage says it itself, once it knows, with :func:`announce`)."""
    from mlpcnn.common.device import resolve_device

    with naming(""):
        device = resolve_device(params["device"])
    if precision is not None:
        announce(device, precision)
    return device


def announce(device: torch.device, precision: str) -> None:
    """One line on stderr: stage, device, precision, worker processes, compile cache."""
    workers = worker_count(device)
    used = Path(os.environ.get("TORCHINDUCTOR_CACHE_DIR", COMPILE_CACHE))  # the user's wins
    warm = used.is_dir() and any(used.iterdir())
    stage = " ".join([Path(sys.argv[0]).stem, *sys.argv[1:]])
    cache = f"compile cache {'warm' if warm else 'empty'} ({used})"
    print(f"{stage}: device {device.type}, {precision}; independent runs on up to {workers} "
          f"worker process{'es' if workers > 1 else ''} of one thread; {cache}",
          file=sys.stderr, flush=True)  # fmt: skip


def worker_count(device: torch.device | None = None) -> int:
    """Processes for a stage's independent runs: ``MLPCNN_WORKERS`` (default: one per
    usable CPU); a bad value is a one-line error naming the variable. On a GPU the runs
    go one at a time in the stage's process: 1, which is what the summary records."""
    from mlpcnn.common.pool import workers_from_environment

    try:
        workers = workers_from_environment()
    except InvalidParam as err:
        raise InputError(f"environment variable {err}") from None
    return workers if device is None or device.type == "cpu" else 1


def environment(device: torch.device) -> dict[str, Any]:
    """The device and the versions of the libraries that compute the numbers."""
    import torch

    return {"device": device.type, "torch": torch.__version__, "versions": versions()}


def versions() -> dict[str, str | None]:
    """numpy, scikit-learn and xgboost as installed (read from the packages' metadata,
    nothing imported; xgboost is the CPU-only ``xgboost-cpu`` on Linux and Windows)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(*names: str) -> str | None:
        for name in names:
            try:
                return version(name)
            except PackageNotFoundError:
                continue
        return None

    return {"numpy": installed("numpy"), "scikit-learn": installed("scikit-learn"),
            "xgboost": installed("xgboost-cpu", "xgboost")}  # fmt: skip


def write_results(
    name: str,
    headline: dict[str, Any],
    details: dict[str, Any],
    seconds: Mapping[str, float | Sequence[float]] | None = None,
    per_seed: tuple[Sequence[int], Mapping[str, Sequence[float]]] | None = None,
    workers: int = 1,
) -> None:
    """``metrics/<name>.json``: the few headline figures `dvc exp show` and `dvc metrics
    diff` compare; ``plots/<name>/summary.json``: everything the report and later stages
    read (tests, per-seed figures). ``name`` is ``stage`` or ``stage/item``.

    ``per_seed`` = (seeds, values): for a headline figure that is a mean over seeds (its
    key flattened with dots, ``final_val_acc.base``), the value of each seed, in the
    summary's ``per_seed`` (what ``mlpcnn diff`` tests between two revisions).

    ``seconds`` (each training run's wall time, by run name: a total, or one figure per
    epoch) becomes the summary's ``timing``, one shape for every stage: ``train_seconds``
    per run, ``epoch_seconds`` per run timed by epoch, ``total_seconds`` and the number of
    ``threads`` torch used, or with runs side by side in ``workers`` processes of one
    thread each, their number (``total_seconds`` is then more than the wall time).
    Nothing else in a summary depends on the clock or the machine's cores.
    """
    if seconds is not None:
        import torch

        per_epoch = {run: [float(x) for x in s] for run, s in seconds.items() if _is_list(s)}
        totals = {run: sum(per_epoch[run]) if run in per_epoch else float(s)
                  for run, s in seconds.items()}  # fmt: skip
        details = {
            **details,
            "timing": {
                "train_seconds": totals,
                **({"epoch_seconds": per_epoch} if per_epoch else {}),
                "total_seconds": float(sum(totals.values())),
                **(
                    {"threads": torch.get_num_threads()}
                    if workers == 1
                    else {"threads": 1, "workers": workers}
                ),
            },
        }
    if per_seed is not None:
        seeds, values = per_seed
        flat = flatten(headline)
        for key, seed_values in values.items():
            if key not in flat or len(seed_values) != len(seeds):
                raise ValueError(
                    f"per_seed: {key!r} is not a headline figure with one value a seed"
                )
        details = {**details, "per_seed": {
            "seeds": [int(s) for s in seeds],
            "values": {k: [float(x) for x in v] for k, v in values.items()},
        }}  # fmt: skip
    write_json(PLOTS / name / "summary.json", details)
    write_json(METRICS / f"{name}.json", headline)


def _is_list(value: object) -> bool:
    return not isinstance(value, int | float) and hasattr(value, "__len__")


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

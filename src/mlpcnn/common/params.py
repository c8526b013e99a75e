"""Checks that the stage scripts apply to the params they hand to the library.

The library raises :class:`InvalidParam` (never a bare ``ValueError``) when an argument a
user chose is invalid, its message starting with the argument's name, so that a stage
can re-label exactly those errors with the params key, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# What YAML 1.2 (DVC's reader) takes for a float but YAML 1.1 (PyYAML's) for text: an
# exponent with no dot in the mantissa, as in 1e-4.
_FLOAT_WITHOUT_DOT = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]+")


class InvalidParam(ValueError):
    """An argument chosen by the user is invalid; the message starts with its name."""


def check_keys(mapping: Any, known: Iterable[str], name: str) -> None:
    """Reject a mapping that is not one, or that has a key outside ``known``.

    ``name`` is how the message refers to the mapping (``runs[1]``, ``fit_rule``).
    """
    known = list(known)
    if not isinstance(mapping, Mapping):
        raise InvalidParam(
            f"{name}: expected a mapping with keys {', '.join(known)}, got {mapping!r}"
        )
    unknown = [key for key in mapping if key not in known]
    if unknown:
        raise InvalidParam(f"{name}.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")


def check_seeds(seeds: Any, name: str = "seeds") -> list[int]:
    """A non-empty list of distinct integers: repeated seeds would inflate n in every test."""
    ok = (
        isinstance(seeds, list)
        and bool(seeds)
        and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    )
    if not ok or len(set(seeds)) != len(seeds):
        raise InvalidParam(f"{name}: expected a non-empty list of distinct integers, got {seeds!r}")
    return list(seeds)


def check_distinct(values: Sequence[Any], name: str) -> None:
    """Runs are told apart by these values (their labels): no two may be equal."""
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise InvalidParam(
            f"{name}: expected distinct values, got {seen[0]!r} twice in {list(values)!r}"
        )


def number_label(value: float) -> str:
    """An exact, short label of a number: 0.001 and 0.0012 stay apart (``repr`` round-trips)."""
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def check_arms(
    arms: Any, known: Iterable[str], base: str | None = None, name: str = "arms"
) -> dict[str, dict]:
    """A non-empty mapping of arm name to its settings (keys among ``known``; an empty
    arm is ``{}``), and, when given, ``base`` one of the arms. ``name``: the param's."""
    if not isinstance(arms, Mapping) or not arms:
        raise InvalidParam(f"{name}: expected a mapping of arm name to settings, got {arms!r}")
    for arm_name, arm in arms.items():
        check_keys(arm, known, f"{name}.{arm_name}")
    if base is not None and base not in arms:
        raise InvalidParam(f"base_arm: expected one of {list(arms)}, got {base!r}")
    return {name: dict(arm) for name, arm in arms.items()}


def check_runs(runs: Any, known: Iterable[str], distinct: str) -> list[dict]:
    """A non-empty list of mappings (keys among ``known``) whose ``distinct`` values differ."""
    known = list(known)
    if not isinstance(runs, list) or not runs:
        raise InvalidParam(f"runs: expected a list of {{{', '.join(known)}}}, got {runs!r}")
    for i, spec in enumerate(runs):
        check_keys(spec, known, f"runs[{i}]")
    check_distinct([spec.get(distinct) for spec in runs], f"runs[].{distinct}")
    return [dict(spec) for spec in runs]


def check_fraction(value: Any, name: str) -> float:
    """A number in (0, 1]."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise InvalidParam(f"{name}: expected a fraction in (0, 1], got {value!r}")
    return float(value)


def float_read_as_text(obj: Any, name: str = "") -> str | None:
    """The first value of ``obj`` (nested mappings and lists) that PyYAML read as text
    but that is meant as a number (``1e-4``): a one-line hint naming its key, or None."""
    if isinstance(obj, Mapping):
        items = ((f"{name}.{key}" if name else str(key), value) for key, value in obj.items())
    elif isinstance(obj, list):
        items = ((f"{name}[{i}]", value) for i, value in enumerate(obj))
    elif isinstance(obj, str) and _FLOAT_WITHOUT_DOT.fullmatch(obj):
        mantissa, e, exponent = obj.partition("e") if "e" in obj else obj.partition("E")
        return (f"{name}: {obj!r} is text to YAML 1.1, which needs a dot in a float: "
                f"write {mantissa}.0{e}{exponent}")  # fmt: skip
    else:
        return None
    return next((hint for key, value in items if (hint := float_read_as_text(value, key))), None)

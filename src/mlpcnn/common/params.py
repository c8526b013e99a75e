"""Checks that the stage scripts apply to the params they hand to the library.

The library raises :class:`InvalidParam` (never a bare ``ValueError``) when an argument a
user chose is invalid, its message starting with the argument's name, so that a stage
can re-label exactly those errors with the params key, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


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

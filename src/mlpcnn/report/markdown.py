"""Markdown building blocks of the report: numbers, tables, figure links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlpcnn.verdicts.intervals import holm_interval
from mlpcnn.verdicts.paired import strength


def pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def points(value: float | None) -> str:
    """A difference of accuracies, in percentage points."""
    return "n/a" if value is None else f"{100 * value:+.2f} points"


def num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    # A "|" inside a cell (a norm, |p - 0.5|) would end the cell: escaped.
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def borderline(test: Mapping[str, Any] | float | None, text: str = ", borderline") -> str:
    """``text`` when a test (or an adjusted p) is borderline, else nothing: DESIGN.md's
    flag beside a verdict, never the verdict."""
    if test is None or isinstance(test, int | float):
        return text if strength(test) == "borderline" else ""
    return text if test.get("strength") == "borderline" else ""


def claim(test: Mapping[str, Any], flag: str = " (borderline)") -> str:
    """A paired or McNemar test's verdict in words: distinguishable (adjusted p < 0.05) or
    not, with ``flag`` after it when the adjusted p is borderline (DESIGN.md: borderline is
    a flag beside a verdict, never the verdict)."""
    p = test.get("p_holm")
    word = "not testable" if p is None else "distinguishable" if p < 0.05 else "not distinguishable"
    return word + borderline(test, flag)


def capital(text: str) -> str:
    """``text`` with its first letter upper-case (a sentence that starts with a name)."""
    return text[:1].upper() + text[1:]


def missing(name: str) -> str:
    return f"*Not in this run: the results of `{name}` are missing.*"


def opening(title: str, question: str) -> list[str]:
    """A section's first lines: its heading, then the question it answers."""
    return [title, "", question]


def absent(out: list[str], stage: str) -> str:
    """A section whose stage's results are missing: what it has so far, then that line."""
    return "\n".join([*out, "", missing(stage)])


def pvalue(value: float | None) -> str:
    """A p-value: three decimals, or two significant digits below 0.001."""
    if value is None:
        return "n/a"
    if any(abs(value - cut) < 0.005 for cut in (0.05, 0.1)):  # near a cut-off: one more digit
        return f"{value:.4f}"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def flat_figure(row: Mapping[str, Any], column: str) -> dict:
    """A seed figure stored flat (``<column>_mean``, ``_low``, ``_high`` in a table row) as
    the ``{mean, low, high}`` mapping :func:`interval` reads."""
    return {k: row.get(f"{column}_{k}") for k in ("mean", "low", "high")}


def interval(figure: dict | None, digits: int = 2, percent: bool = True) -> str:
    """A mean over seeds and its 95% interval: ``95.56% [95.10, 96.02]``."""
    if not figure or figure.get("mean") is None:
        return "n/a"
    scale, unit = (100, "%") if percent else (1, "")
    mean = f"{scale * figure['mean']:.{digits}f}{unit}"
    if figure.get("low") is None:
        return mean
    return f"{mean} [{scale * figure['low']:.{digits}f}, {scale * figure['high']:.{digits}f}]"


def difference(test: Mapping[str, Any], percent: bool = True, digits: int = 4) -> str:
    """A paired comparison's difference with the interval that agrees with its adjusted
    verdict (``holm_interval``): ``+1.65 points [+0.30, +3.00]``."""
    diff, bounds = test.get("difference"), holm_interval(test)
    if diff is None:
        return "n/a"
    if percent:
        return points(diff) + (
            f" [{100 * bounds[0]:+.2f}, {100 * bounds[1]:+.2f}]" if bounds else ""
        )
    return f"{diff:+.{digits}f}" + (
        f" [{bounds[0]:+.{digits}f}, {bounds[1]:+.{digits}f}]" if bounds else ""
    )


def comparisons(
    tests: Mapping[str, Mapping[str, Any]],
    what: str,
    percent: bool = True,
    words: Any = str,
    label: str = "comparison",
) -> str:
    """A family of paired comparisons as a table: comparison, difference with its
    Holm-adjusted 95% interval, test, Holm p, verdict (borderline as a flag). ``words``
    names each side (``"a vs b"`` keys)."""
    rows = []
    for name, t in tests.items():
        a, _, b = name.partition(" vs ")
        side = f"{words(a)} vs {words(b)}" if b else words(a)
        family = t.get("family", 1)
        rows.append([side, difference(t, percent), f"{t['test']}, {t.get('n', '')} seeds"
                     + (f", Holm over {family}" if family > 1 else ""),
                     pvalue(t.get("p_holm")), claim(t, ", borderline")])  # fmt: skip
    return table([label, f"{what} difference [95%]", "test", "Holm p", "verdict"], rows)

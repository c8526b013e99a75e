"""Markdown building blocks of the report: numbers, tables, figure links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlpcnn.verdicts.intervals import holm_interval


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


def claim(test: Mapping[str, Any], flag: str = " (borderline)") -> str:
    """A paired or McNemar test's verdict in words: distinguishable (adjusted p < 0.05) or
    not, with ``flag`` after it when the adjusted p is borderline (DESIGN.md: borderline is
    a flag beside a verdict, never the verdict)."""
    p = test.get("p_holm")
    word = "not testable" if p is None else "distinguishable" if p < 0.05 else "not distinguishable"
    return word + (flag if test.get("strength") == "borderline" else "")


def capital(text: str) -> str:
    """``text`` with its first letter upper-case (a sentence that starts with a name)."""
    return text[:1].upper() + text[1:]


def missing(name: str) -> str:
    return f"*Not in this run: the results of `{name}` are missing.*"


def pvalue(value: float | None) -> str:
    """A p-value: three decimals, or two significant digits below 0.001."""
    if value is None:
        return "n/a"
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


def verdict(a: str, b: str, test: dict, what: str, percent: bool = True) -> str:
    """One comparison of a family as a sentence (see ``common.stats.compare``).

    ``test["difference"]`` is a - b of ``what`` (an accuracy in points when ``percent``,
    else a plain number such as a loss); the sentence rests on the corrected p-value.
    """
    diff = test.get("difference")
    size = points(diff) if percent else ("n/a" if diff is None else f"{diff:+.4f}")
    n = min(test.get("n_a", 0), test.get("n_b", 0))
    if test.get("distinguishable") is None:
        return f"{a} against {b} on {what}: not testable with {n} seed(s) ({size})."
    where = (
        f"{test['test']}, {test['correction']}-adjusted over {test['family']} comparison"
        f"{'s' if test['family'] != 1 else ''}: p = {pvalue(test['p_holm'])}"
    )
    if not test["distinguishable"]:
        return f"{a} and {b} are not distinguishable on {what} with {n} seeds ({size}; {where})."
    word = "higher" if diff > 0 else "lower"
    return f"{a} has a {word} {what} than {b} ({size}; {where})."


def paired_verdict(a: str, b: str, test: dict, what: str, percent: bool = True) -> str:
    """One paired comparison (see ``verdicts.paired.paired_compare``) as a sentence that
    names its test, its family, its Holm-adjusted p and, between 0.01 and 0.1, says the
    verdict is borderline; its interval is the one that agrees with the adjusted verdict
    (``holm_interval``)."""
    diff, n = test.get("difference"), test.get("n", 0)
    bounds = holm_interval(test)  # the interval that agrees with the adjusted verdict
    named = " Holm-adjusted" if bounds and test.get("family", 1) > 1 else ""
    if diff is None:
        size = "n/a"
    elif percent:
        size = points(diff) + (
            f" [{100 * bounds[0]:+.2f}, {100 * bounds[1]:+.2f}]{named}" if bounds else ""
        )
    else:
        size = f"{diff:+.4f}" + (f" [{bounds[0]:+.4f}, {bounds[1]:+.4f}]{named}" if bounds else "")
    if test.get("p_holm") is None:
        return f"{a} against {b} on {what}: not testable with {n} seed(s) ({size})."
    where = (
        f"{test['test']} over {n} seeds, {test['correction']}-adjusted over {test['family']} "
        f"comparison{'s' if test['family'] != 1 else ''}: p = {pvalue(test['p_holm'])}"
    )
    flag = ", borderline" if test["strength"] == "borderline" else ""
    if not test["distinguishable"]:
        return (
            f"{a} and {b} are not distinguishable on {what} with {n} seeds{flag} ({size}; {where})."
        )
    word = "higher" if diff > 0 else "lower"
    return f"{a} has a {word} {what} than {b}{flag} ({size}; {where})."


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

"""``mlpcnn diff [A] [B]``: did a change matter, or is it the seeds?

Like ``dvc metrics diff A B`` (A defaults to HEAD, B to the working tree), for every
headline figure in ``metrics/``: A's and B's value with their 95% seed intervals, the
difference with its interval, the test that fits the runs, the p-value Holm-adjusted
over the figures shown, and a verdict. A and B are git revisions, branches or DVC
experiment names. It exits 1 only on an error (a revision that does not exist), never
because a figure changed.

This is the one module of the package that knows the repository's layout: each stage's
headline figures in ``metrics/<stage>.json``, its per-seed values in
``plots/<stage>/summary.json`` (``per_seed``), and a deepfake baseline's test
predictions in ``plots/deepfake/<strategy>/test_probs.csv``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlpcnn.common.io import flatten
from mlpcnn.compare.revisions import Revision, RevisionError, repository_root, resolve
from mlpcnn.compare.tests import (
    ALPHA,
    prediction_change,
    seed_change,
    value_change,
    with_verdicts,
)

METRICS = "metrics"
PREDICTED = ("test_acc_mean", "best_test_acc")  # deepfake figures with test predictions


def compare_revisions(old: Revision, new: Revision, stages: Sequence[str] = ()) -> list[dict]:
    """A row per (stage, headline figure) of the two revisions, with its verdict."""
    names = sorted({_stage(p) for rev in (old, new) for p in rev.files(METRICS, ".json")})
    rows = []
    for name in names:
        if stages and not any(name == s or name.startswith(f"{s}/") or
                              name == s.replace("@", "/") for s in stages):  # fmt: skip
            continue
        metrics = {rev: _json(rev, f"{METRICS}/{name}.json") for rev in (old, new)}
        if None in metrics.values():
            side = new if metrics[old] is None else old
            rows.append({"stage": name, "metric": "*", **value_change(None, None),
                         "note": f"only in {side.name}"})  # fmt: skip
            continue
        summaries = {rev: _json(rev, f"plots/{name}/summary.json") or {} for rev in (old, new)}
        flat = {rev: flatten(m) for rev, m in metrics.items()}
        for key in dict.fromkeys([*flat[old], *flat[new]]):
            rows.append({"stage": name, "metric": key,
                         **_change(name, key, old, new, flat, summaries)})  # fmt: skip
    return rows


def _change(name, key, old, new, flat, summaries) -> dict:
    if key not in flat[old] or key not in flat[new]:
        return value_change(flat[old].get(key), flat[new].get(key)) | {
            "note": f"only in {(new if key not in flat[old] else old).name}"
        }
    seeds = {rev: _per_seed(summaries[rev], key) for rev in (old, new)}
    fixed = None not in seeds.values() and all(_deterministic(v) for v in seeds.values())
    if None not in seeds.values() and not fixed:
        return seed_change(seeds[old], seeds[new])
    # A single run, or seeds that change nothing (XGBoost's defaults: every seed the same
    # fit, so a paired t over them would call any change certain): the test images decide.
    correct = {rev: _predictions(rev, name, summaries[rev]) for rev in (old, new)}
    if key in PREDICTED and None not in correct.values():
        files = [correct[rev][0] for rev in (old, new)]
        if files[0] == files[1]:
            return prediction_change(correct[old][1], correct[new][1])
    change = value_change(flat[old][key], flat[new][key])
    missing = [rev.name for rev in (old, new) if seeds[rev] is None]
    if change["note"] != "unchanged" and missing:
        change["note"] = f"changed (no per-seed values at {', '.join(missing)}: not testable)"
    elif change["note"] != "unchanged" and fixed:
        change["note"] = "changed (every seed gives the same value on both sides: not testable)"
    return change


def _deterministic(values: dict[int, float | None]) -> bool:
    """Several seeds, all with one and the same value (a model no seed changes)."""
    return len(values) > 1 and len(set(values.values())) == 1


def _per_seed(summary: dict, key: str) -> dict[int, float | None] | None:
    block = summary.get("per_seed") or {}
    values = (block.get("values") or {}).get(key)
    return None if values is None else dict(zip(block["seeds"], values, strict=True))


def _predictions(rev: Revision, name: str, summary: dict) -> tuple[list, np.ndarray] | None:
    """The chosen run's test files and whether it got each right (deepfake stages)."""
    run = summary.get("best_run_by_val_acc")
    text = rev.read(f"plots/{name}/test_probs.csv") if run else None
    if text is None:
        return None
    import pandas as pd

    probs = pd.read_csv(io.StringIO(text))
    if run not in probs:
        return None
    return probs["file"].tolist(), ((probs[run] > 0.5).astype(int) == probs["label"]).to_numpy()


def _stage(path: str) -> str:
    return path.removeprefix(f"{METRICS}/").removesuffix(".json")


def _json(rev: Revision, path: str) -> dict | None:
    text = rev.read(path)
    return None if text is None else json.loads(text)


# Output ------------------------------------------------------------------------------

COLUMNS = ("stage", "metric", "old", "new", "change", "test", "p (Holm)", "verdict")


def render(rows: Sequence[dict], old: Revision, new: Revision, fmt: str) -> str:
    """``text`` (aligned columns), ``md`` (a Markdown table) or ``json``."""
    if fmt == "json":
        return json.dumps({"old": old.name, "new": new.name, "rows": list(rows)}, indent=2)
    table = [[r["stage"], r["metric"], _figure(r["old"], r["metric"]), _figure(r["new"], r["metric"]),
              _difference(r), r["test"] or "-", _p(r), r["verdict"]] for r in rows]  # fmt: skip
    header = [
        *COLUMNS[:2],
        f"{COLUMNS[2]} ({old.name})",
        f"{COLUMNS[3]} ({new.name})",
        *COLUMNS[4:],
    ]
    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in table)])
    widths = [max(len(str(x)) for x in column) for column in zip(header, *table, strict=True)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *table])  # fmt: skip


def _percent(metric: str) -> bool:
    return "acc" in metric


def _figure(figure: dict, metric: str) -> str:
    mean = figure.get("mean")
    if mean is None or isinstance(mean, bool) or not isinstance(mean, int | float):
        return "-" if mean is None else str(mean)
    scale, unit = (100, "%") if _percent(metric) else (1, "")
    text = f"{scale * mean:.2f}{unit}" if _percent(metric) else f"{mean:.4g}"
    if figure.get("low") is not None:
        text += f" [{scale * figure['low']:.2f}, {scale * figure['high']:.2f}]"
    return text


def _difference(row: dict) -> str:
    if row["difference"] is None:
        return "-"
    scale, unit = (100, " pt") if _percent(row["metric"]) else (1, "")
    text = f"{scale * row['difference']:+.2f}{unit}"
    if row["difference_low"] is not None:
        text += f" [{scale * row['difference_low']:+.2f}, {scale * row['difference_high']:+.2f}]"
    return text


def _p(row: dict) -> str:
    if row["p_value"] is None:
        return "-"
    return f"{row['p_value']:.3g} ({row['p_holm']:.3g})"


def level(text: str) -> float:
    """``--alpha``: a probability strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a level between 0 and 1, got {text!r}")
    return value


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlpcnn")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlpcnn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    diff = commands.add_parser(
        "diff", help="compare two revisions seed by seed",
        description=" ".join(__doc__.split("\n\n")[1].split()),
    )  # fmt: skip
    diff.add_argument(
        "a_rev", nargs="?", default="HEAD", help="old: a git revision or experiment (HEAD)"
    )
    diff.add_argument(
        "b_rev", nargs="?", default=None, help="new: the same (default: the workspace)"
    )
    diff.add_argument(
        "--stage", action="append", default=[], help="only this stage (or stage@item); repeatable"
    )
    group = diff.add_mutually_exclusive_group()
    group.add_argument(
        "--json", action="store_const", const="json", dest="fmt", help="JSON for scripts"
    )
    group.add_argument(
        "--md", action="store_const", const="md", dest="fmt", help="a Markdown table"
    )
    diff.add_argument(
        "--alpha", type=level, default=ALPHA, help="level of the Holm-adjusted tests (0.05)"
    )
    args = parser.parse_args(argv)
    try:
        root = repository_root(Path.cwd())
        old, new = resolve(root, args.a_rev), resolve(root, args.b_rev)
        rows = with_verdicts(compare_revisions(old, new, args.stage), args.alpha)
    except (RevisionError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not rows:
        print(f"error: no headline figures to compare{' for ' + ', '.join(args.stage) if args.stage else ''}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(render(rows, old, new, args.fmt or "text"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

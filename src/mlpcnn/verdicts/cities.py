"""Answers to the handout's questions of section 6, read from the stages' histories.

Each function takes a stage's per-epoch history (one row per epoch and seed, as the
stage wrote it) and the figures of its summary, and returns what the report states:
curve verdicts (``curves``), paired comparisons (``paired``), trends. Nothing here
trains or reads files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from mlpcnn.common.params import number_label
from mlpcnn.common.stats import holm
from mlpcnn.verdicts.curves import (
    CONVERGED,
    IMPROVING,
    OVERFITTING,
    RULE,
    UNRESOLVED,
    CurveRule,
    classify_run,
)
from mlpcnn.verdicts.paired import ALPHA, paired_compare, strength, trend


def finals(
    history: pd.DataFrame, value: str, group: Callable[[pd.Series], str] | None = None
) -> pd.DataFrame:
    """The last epoch's ``value``: one row per seed, one column per run (``group`` names
    a history row's run; without it, one column ``value``)."""
    h = history.assign(run=history.apply(group, axis=1) if group else value)
    last = h.loc[h.groupby(["run", "seed"], sort=False)["epoch"].idxmax()]
    table = last.pivot(index="seed", columns="run", values=value)
    return table[list(dict.fromkeys(h["run"]))]


def runs_by(history: pd.DataFrame, group: Callable[[pd.Series], str]) -> dict[str, pd.DataFrame]:
    """The history split into runs, in the order they first appear."""
    names = history.apply(group, axis=1)
    return {name: history[names == name] for name in dict.fromkeys(names)}


def versus_best(table: pd.DataFrame, higher_is_better: bool) -> tuple[str, dict[str, dict]]:
    """The column with the best mean, and a paired t-test of it against every other
    (one Holm family): ``"<best> vs <other>"`` -> the test."""
    means = table.mean()
    finite = means[np.isfinite(table).all()]
    best = finite.idxmax() if higher_is_better else finite.idxmin()
    pairs = {
        f"{best} vs {o}": (table[best].to_numpy(), table[o].to_numpy())
        for o in table.columns
        if o != best and np.isfinite(table[o]).all()
    }
    return str(best), paired_compare(pairs)


def learning_rate(history: pd.DataFrame, prior_loss: float, rule: CurveRule = RULE) -> dict:
    """6.1 Q1: each rate's curve verdict; the winner by final and by best validation loss,
    each tested against every other rate (paired over seeds, Holm over the rates). A rate
    with a diverged seed (a NaN loss at some epoch) takes part in neither criterion: its
    ``excluded``."""
    name = lambda r: f"lr {number_label(r['lr'])}"  # noqa: E731  (the stage's run names)
    runs = {k: classify_run(h, prior_loss, rule) for k, h in runs_by(history, name).items()}
    named = history.assign(run=history.apply(name, axis=1))
    lowest = named.groupby(["run", "seed"], sort=False)["val_loss"].agg(
        lambda v: v.min() if v.notna().all() else np.nan
    )
    best = lowest.unstack("run")[list(runs)]
    out = {"runs": runs}
    for criterion, table in (("final", finals(history, "val_loss", name)), ("best", best)):
        winner, tests = versus_best(table, higher_is_better=False)
        out[criterion] = {
            "winner": winner,
            "mean": float(table[winner].mean()),
            "versus": tests,
            "excluded": [c for c in table.columns if not np.isfinite(table[c]).all()],
        }
    return out


def batchnorm(
    history: pd.DataFrame,
    epochs_to_threshold: Mapping[str, Sequence[int | None]],
    prior_loss: float,
    rule: CurveRule = RULE,
) -> dict:
    """6.1 Q3: final validation accuracy and epochs to the threshold, each arm against
    each (paired over seeds, Holm over the pairs; epochs on a log scale, a seed that
    never reaches the threshold counted at one epoch past the end)."""
    name = lambda r: r["arm"]  # noqa: E731
    acc = finals(history, "val_acc", name)
    last = int(history["epoch"].max())
    epochs = pd.DataFrame(
        {a: [last + 1 if e is None else e for e in v] for a, v in epochs_to_threshold.items()}
    )
    arms = list(acc.columns)
    pairs = [(a, b) for i, a in enumerate(arms) for b in arms[i + 1 :]]
    return {
        "epochs": last,
        "runs": {k: classify_run(h, prior_loss, rule) for k, h in runs_by(history, name).items()},
        "accuracy": paired_compare(
            {f"{a} vs {b}": (acc[a].to_numpy(), acc[b].to_numpy()) for a, b in pairs}
        ),
        "speed": paired_compare(
            {
                f"{a} vs {b}": (np.log(epochs[a]), np.log(epochs[b]))
                for a, b in pairs
                if a in epochs and b in epochs
            }
        ),
        "speed_ratio": {
            f"{a} vs {b}": float(np.exp(np.mean(np.log(epochs[a]) - np.log(epochs[b]))))
            for a, b in pairs
            if a in epochs and b in epochs
        },
    }


NOISE_MEASURES = ("batch_loss_noise", "loss_noise")  # per batch, per window of samples


def batch_size(
    history: pd.DataFrame,
    prior_loss: float,
    rule: CurveRule = RULE,
    runs: Mapping[str, Mapping] | None = None,
    probes: pd.DataFrame | None = None,
) -> dict:
    """6.1 Q4: per arm, the batch size with the best final validation accuracy against
    each other (paired over seeds, one Holm family per arm); each run's curve verdict;
    per run, the training loss at the last epoch measured in training mode (the running
    loss) beside the same data in evaluation mode; with ``runs`` (the stage's run
    summaries, holding each seed's noise) the noise steps of :func:`noise_steps`; with
    ``probes`` (their histories) the batch-norm probe of :func:`batchnorm_probe`."""
    name = lambda r: f"{r['arm']}: batch {int(r['batch_size'])}"  # noqa: E731
    acc = finals(history, "val_acc", name)
    arms: dict[str, dict] = {}
    for arm in dict.fromkeys(history["arm"]):
        cols = [c for c in acc.columns if c.startswith(f"{arm}: ")]
        best, tests = versus_best(acc[cols], higher_is_better=True)
        arms[arm] = {"best": best, "versus": tests}
    train_mode = finals(history, "train_loss_running", name).mean()
    eval_mode = finals(history, "train_loss", name).mean()
    out = {
        "runs": {k: classify_run(h, prior_loss, rule) for k, h in runs_by(history, name).items()},
        "arms": arms,
        "train_mode_loss": {k: float(v) for k, v in train_mode.items()},
        "eval_mode_loss": {k: float(v) for k, v in eval_mode.items()},
    }
    if runs is not None:
        out["noise"] = noise_steps(runs)
    if probes is not None and len(probes):
        out["probe"] = batchnorm_probe(acc, probes)
    return out


def noise_steps(runs: Mapping[str, Mapping]) -> dict:
    """Per arm and noise measure, each step to the next larger batch size as a paired
    test over seeds (one Holm family per arm and measure). Steps are fixed before any
    value is seen, so no comparison is chosen after ranking. A run that normalises with
    running statistics (batch norm at batch size 1) is not that arm's method and is left
    out. ``runs``: name -> summary with ``arm``, ``batch_size``, ``batchnorm_mode`` and
    each measure's ``per_seed`` values."""
    out: dict[str, dict] = {}
    for arm in dict.fromkeys(r["arm"] for r in runs.values()):
        line = sorted(
            (r for r in runs.values() if r["arm"] == arm
             and not (r.get("batchnorm_mode") and r["batch_size"] == 1)),
            key=lambda r: r["batch_size"],
        )  # fmt: skip
        out[arm] = {
            measure: paired_compare({
                f"batch {b['batch_size']} vs {a['batch_size']}":
                    (b[measure]["per_seed"], a[measure]["per_seed"])
                for a, b in pairwise(line)
            })
            for measure in NOISE_MEASURES
        }  # fmt: skip
    return out


PROBE_RULE = (
    "paired t-tests of final validation accuracy over the arms' seeds, one Holm family of "
    "three: batch norm at the probed batch size and a lower rate against batch norm at the "
    "arm's rate (does a smaller step help?), the same run against the arm without batch "
    "norm at its own rate (does the smaller step close the gap?), and batch norm at a larger "
    "batch normalised over groups of the probed size against plain batch norm there (do the "
    "statistics of so few samples alone cost accuracy?). Cause: the step if the first is a "
    "claimed gain and the second no claimed loss; the statistics if the third is a claimed "
    "loss; both if both; otherwise not resolved. A claimed gain from the smaller step that "
    "leaves a claimed gap is reported as a partial help"
)


def batchnorm_probe(acc: pd.DataFrame, probes: pd.DataFrame) -> dict:
    """Why batch norm trails at a small batch (:data:`PROBE_RULE`). ``acc``: final
    validation accuracy per seed and run (``"<arm>: batch <n>"``); ``probes``: the
    probes' histories with ``probe`` (``lower_rate``: batch norm at the lower rate,
    ``groups``: batch norm normalised over groups), ``arm``, ``batch_size``, ``lr`` and
    ``base_arm`` (the arm without batch norm) columns."""
    probe = finals(probes, "val_acc", lambda r: r["probe"])
    first = lambda name, column: probes.loc[probes["probe"] == name, column].iloc[0]  # noqa: E731
    small, large = int(first("lower_rate", "batch_size")), int(first("groups", "batch_size"))
    bn, base = str(first("groups", "arm")), str(first("lower_rate", "base_arm"))
    tests = paired_compare({
        "lower rate": (probe["lower_rate"].to_numpy(), acc[f"{bn}: batch {small}"].to_numpy()),
        "lower rate, against no batch norm": (probe["lower_rate"].to_numpy(),
                                              acc[f"{base}: batch {small}"].to_numpy()),
        "groups": (probe["groups"].to_numpy(), acc[f"{bn}: batch {large}"].to_numpy()),
    })  # fmt: skip
    claimed = lambda t, sign: bool(t["distinguishable"]) and t["difference"] * sign > 0  # noqa: E731
    helps = claimed(tests["lower rate"], 1)
    gap = claimed(tests["lower rate, against no batch norm"], -1)
    step, statistics = helps and not gap, claimed(tests["groups"], -1)
    cause = {(True, True): "both", (True, False): "the step", (False, True): "the statistics",
             (False, False): "not resolved"}[step, statistics]  # fmt: skip
    means = {k: float(v) for k, v in probe.mean().items()}
    return {"tests": tests, "cause": cause, "step_helps_in_part": helps and gap, "means": means,
            "batch_size": small, "group_batch": large, "lower_lr": float(first("lower_rate", "lr")),
            "arms": [base, bn], "rule": PROBE_RULE}  # fmt: skip


FIT_RULE = (
    "per cell, from its validation-loss curve over the last epochs: under-trained when the "
    "loss is still falling, tested one-sided over seeds and Holm-adjusted over the cells "
    "(p < 0.05); converged (level within the curve rule's band) and a final training "
    "accuracy more than {margin:.0%} below 1-NN's validation accuracy: under-capacity; "
    "converged and within it: good fit; neither falling nor level: not resolved; the curve "
    "verdict itself (overfitting, unstable, ...) otherwise"
)


def fit(
    run: Mapping, train_acc: float, reference: float, margin: float, p_holm: float | None = None
) -> str:
    """6.2 Q2: the fit verdict of a grid cell (:data:`FIT_RULE`) from its curve verdict and
    ``p_holm``, its still-falling p adjusted over the grid's cells (None: not adjusted).

    Each verdict is reachable: a falling loss that survives the family's correction reads
    under-trained; one that does not reads not resolved; a level loss reads under-capacity
    or good fit by the training accuracy against 1-NN's.
    """
    v = run["verdict"]
    if v == IMPROVING:
        return "under-trained" if p_holm is None or p_holm < ALPHA else "not resolved"
    if v == CONVERGED:
        return "under-capacity" if train_acc < reference - margin else "good fit"
    if v == UNRESOLVED:
        return "not resolved"
    return v


def grid(
    histories: Mapping[str, pd.DataFrame],
    cells: Mapping[str, Mapping],
    reference: float,
    margin: float,
    prior_loss: float,
    rule: CurveRule = RULE,
) -> dict:
    """6.2 Q1-Q4: each cell's curve and fit verdicts (one Holm family over the cells for
    "still falling") and train-validation gap; the best cell against every other (paired
    over seeds, Holm over the cells); the trend of validation accuracy with log2 depth at
    the base width and with log2 width at the base depth (per-seed slopes)."""
    acc = pd.concat({c: finals(h, "val_acc").iloc[:, 0] for c, h in histories.items()}, axis=1)
    train = pd.concat({c: finals(h, "train_acc").iloc[:, 0] for c, h in histories.items()}, axis=1)
    runs = {c: classify_run(h, prior_loss, rule) for c, h in histories.items()}
    falling = holm({c: r.get("p") for c, r in runs.items()})
    best, tests = versus_best(acc, higher_is_better=True)
    gap = {c: paired_compare({"gap": (train[c].to_numpy(), acc[c].to_numpy())})["gap"] for c in acc}
    out = {
        "runs": runs,
        "fit": {
            c: fit(runs[c], float(train[c].mean()), reference, margin, falling[c]) for c in acc
        },
        "falling_p_holm": falling,
        "fit_rule": FIT_RULE.format(margin=margin),
        "gap": gap,
        "best": best,
        "versus": tests,
        "overfitting": [c for c in acc if runs[c]["verdict"] == OVERFITTING],
    }
    return out | _trends(acc, cells)


def _trends(acc: pd.DataFrame, cells: Mapping[str, Mapping]) -> dict:
    """Trends along depth (cells sharing the most common width) and along width (cells
    sharing the most common depth)."""
    out = {}
    for axis, other in (("depth", "width"), ("width", "depth")):
        values = pd.Series({c: cells[c][other] for c in acc.columns})
        shared = values.mode().iloc[0]
        line = sorted((cells[c][axis], c) for c in acc.columns if cells[c][other] == shared)
        if len(line) < 3:
            continue
        x = np.log2([v for v, _ in line])
        t = trend(x, acc[[c for _, c in line]].to_numpy())
        out[axis] = {"at": {other: int(shared)}, "cells": [c for _, c in line], **t,
                     **steps([c for _, c in line], acc)}  # fmt: skip
    adjusted = holm({axis: t["p"] for axis, t in out.items()})  # one family: Q3 and Q4
    for axis, t in out.items():
        t |= {"p_holm": adjusted[axis], "strength": strength(adjusted[axis]), "family": len(out)}
    return {"trends": out}


def steps(line: Sequence[str], acc: pd.DataFrame) -> dict:
    """Each step along a line of cells (``line`` in order of the axis) as a paired test of
    the next cell against the one before (one Holm family), and where the gains stop:
    ``gains_up_to`` is the last cell reached by an unbroken run of claimed gains from the
    first (the first cell itself when the first step is not one)."""
    tests = paired_compare({f"{b} vs {a}": (acc[b].to_numpy(), acc[a].to_numpy())
                            for a, b in pairwise(line)})  # fmt: skip
    reached = line[0]
    for b, t in zip(line[1:], tests.values(), strict=True):
        if not (t["distinguishable"] and t["difference"] > 0):
            break
        reached = b
    return {"steps": tests, "gains_up_to": reached}


def same_runs(a: pd.DataFrame, b: pd.DataFrame, value: str = "val_acc") -> dict:
    """Two stages' histories of what should be one configuration: the largest per-seed
    difference of ``value`` at the last shared epoch (0.0 when identical)."""
    epoch = int(min(a["epoch"].max(), b["epoch"].max()))
    x = a[a["epoch"] == epoch].set_index("seed")[value]
    y = b[b["epoch"] == epoch].set_index("seed")[value]
    seeds = x.index.intersection(y.index)
    d = (x[seeds] - y[seeds]).abs()
    return {
        "epoch": epoch,
        "seeds": len(seeds),
        "max_difference": float(d.max()) if len(d) else None,
        "identical": bool(len(d) and (d == 0).all()),
    }


ENCODING_RULE = (
    "a setting beats 1-NN when the prediction of its seeds' ensemble (mean softmax) gets more "
    "test cities right than 1-NN by McNemar's exact test, Holm-adjusted over the settings, "
    "p < {alpha:g}; the setting named best has the highest mean validation accuracy, and its "
    "test accuracy is reported, not aimed at"
)


def encodings_versus_nearest(settings: Mapping[str, Mapping], alpha: float = 0.05) -> dict:
    """Beyond 6.2 Q7, the rule fixed before the run with equal seeds (``ENCODING_RULE``).

    ``settings``: each setting's figures as ``encoding_summary`` writes them (its
    ``ensemble_vs_nearest`` McNemar counts and p, ``val_acc_mean``).
    """
    raw = {n: r["ensemble_vs_nearest"]["p_value"] for n, r in settings.items()}
    adjusted = holm(raw)
    verdicts = {}
    for n, r in settings.items():
        e = r["ensemble_vs_nearest"]
        ahead = e["a_only"] > e["b_only"]
        verdicts[n] = {
            "ahead": ahead,
            "p_holm": adjusted[n],
            "beats": bool(ahead and adjusted[n] is not None and adjusted[n] < alpha),
            "strength": strength(adjusted[n]),
        }
    best = max(settings, key=lambda n: settings[n]["val_acc_mean"])
    return {"settings": verdicts, "best_by_validation": best, "family": len(raw), "alpha": alpha,
            "rule": ENCODING_RULE.format(alpha=alpha)}  # fmt: skip


def factorial(per_seed: Mapping[str, Sequence[float]], cells: Mapping[tuple[bool, bool], str],
              names: tuple[str, str]) -> dict:  # fmt: skip
    """Two changes crossed in a 2 x 2 design over shared seeds (e.g. Q6's zero-initialised
    branch and standardised inputs, each residual): each change's main effect (its mean
    gain over the other's two levels), and their interaction, per seed, with a t-interval
    and a paired t-test (Holm over the three).

    ``cells``: (first change on, second change on) -> the run's name in ``per_seed``.
    """
    y = {k: np.asarray(per_seed[v], dtype=np.float64) for k, v in cells.items()}
    a, b = names
    effects = {
        a: ((y[True, False] - y[False, False]) + (y[True, True] - y[False, True])) / 2,
        b: ((y[False, True] - y[False, False]) + (y[True, True] - y[True, False])) / 2,
        f"{a} x {b}": (y[True, True] - y[True, False]) - (y[False, True] - y[False, False]),
    }
    return paired_compare({k: (v, np.zeros_like(v)) for k, v in effects.items()})


ABLATION = {  # Q6: (zero-initialised branch, standardised inputs) -> arm, each residual
    (False, False): "course_residual",
    (True, False): "residual_zero_branch",
    (False, True): "residual_standardised",
    (True, True): "identity_residual",
}


def residual_study(
    history: pd.DataFrame,
    plain: pd.DataFrame | None,
    control: str,
    prior_loss: float,
    rule: CurveRule = RULE,
) -> dict:
    """6.2 Q6: each arm's curve verdict; each arm's final validation accuracy against the
    ``control``'s (paired over seeds, Holm over the arms); the fixes taken apart: the
    residual connection (the course's residual arm against the ``plain`` network of Q5,
    same seeds) and the 2 x 2 of the zero-initialised branch and standardised inputs on
    top of it (:data:`ABLATION`)."""
    name = lambda r: r["arm"]  # noqa: E731
    acc = finals(history, "val_acc", name)
    out: dict = {
        "runs": {k: classify_run(h, prior_loss, rule) for k, h in runs_by(history, name).items()},
        "versus_control": paired_compare(
            {a: (acc[a].to_numpy(), acc[control].to_numpy()) for a in acc.columns if a != control}
        ),
        "ablation": None,
    }
    if set(ABLATION.values()) <= set(acc.columns):
        ablation = {"factorial": factorial(acc.to_dict("list"), ABLATION,
                                           ("zero_branch", "standardise"))}  # fmt: skip
        if plain is not None:
            base = finals(plain, "val_acc").iloc[:, 0]
            seeds = acc.index.intersection(base.index)
            residual = acc.loc[seeds, "course_residual"].to_numpy()
            test = paired_compare({"residual": (residual, base[seeds].to_numpy())})
            ablation["residual"] = test["residual"]
        out["ablation"] = ablation
    return out


def implicit(history: pd.DataFrame) -> dict | None:
    """6.2 Q7: sine against raw input on final validation accuracy, paired over seeds."""
    acc = finals(history, "val_acc", lambda r: r["encoding"])
    if not {"sine", "raw"} <= set(acc.columns):
        return None
    return paired_compare({"sine vs raw": (acc["sine"].to_numpy(), acc["raw"].to_numpy())})[
        "sine vs raw"
    ]

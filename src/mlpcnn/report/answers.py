"""The cities study's answers, once per question: the verdicts each stage wrote to its
summary (``verdicts``, computed there by the rules of ``mlpcnn.verdicts``), so that the
report, `dvc metrics show` and `mlpcnn diff` say one thing; each section and the Findings
read them. Where a summary has none (a study built by hand, an older run), the same rule
is applied to the histories here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from mlpcnn.report.markdown import borderline, pvalue
from mlpcnn.report.study import Study
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import (
    CONVERGED,
    IMPROVING,
    RULE,
    SEED_FLAGS,
    TOO_SHORT,
    WORSENING,
)

GRID_MARGIN = 0.02  # under-capacity: final train accuracy this far below 1-NN's validation


def once(compute: Callable[[Study], Any]) -> Callable[[Study], Any]:
    """An answer computed once per study: each section and the Findings read the same one."""

    @functools.wraps(compute)
    def cached(s: Study) -> Any:
        if compute.__name__ not in s.cache:
            s.cache[compute.__name__] = compute(s)
        return s.cache[compute.__name__]

    return cached


def prior_loss(s: Study) -> float:
    """The class-prior validation loss (infinite when unknown: nothing is then 'stuck')."""
    return s.results.get("mlp_learning_rate", {}).get("class_prior_val_loss", float("inf"))


def trend_hypothesis(run: Mapping) -> tuple[float, str]:
    """The p a curve verdict prints, and the hypothesis it tests (``falling: p``): the
    test that decided, or for an unresolved trend the direction its mean points to."""
    v = run["verdict"]
    if v == CONVERGED:
        return run["p_level"], f"level within {RULE.min_drop:.0%}: p"
    rising = v == WORSENING or (v != IMPROVING and (run["drop"] or 0) < 0)
    return (run["p_rise"], "rising: p") if rising else (run["p"], "falling: p")


def curve_text(run: Mapping) -> str:
    """A run's curve verdict with what it rests on, e.g. ``unstable (3 of 5 seeds)``."""
    v, n = run["verdict"], run["seeds"]
    if v in SEED_FLAGS:
        return f"{v} ({run['counts'][v]} of {n} seeds)"
    if v == TOO_SHORT:
        return (
            f"too short to read a trend ({run['epochs']} epoch{'s' if run['epochs'] != 1 else ''})"
        )
    p, test = trend_hypothesis(run)
    flag = borderline(p)
    minority = "".join(f"; {c} of {n} seeds {f}" for f, c in run["counts"].items())
    return (
        f"{v} (validation loss {-run['drop']:+.1%} over the last {run['window']} epochs, "
        f"{test} = {pvalue(p)}{flag}{minority})"
    )


def curve_word(run: Mapping) -> str:
    """A run's curve verdict as a sentence says it, its figures left to the table: a seed
    count that one seed could move across the majority reads "a bare majority", a trend
    whose p is borderline says so (either can flip on a rerun on another CPU)."""
    v, n = run["verdict"], run["seeds"]
    if v in SEED_FLAGS:
        count = run["counts"][v]
        return f"{v} in {count} of {n} seeds" + (", a bare majority" if count == n // 2 + 1 else "")
    if v == TOO_SHORT:
        return "too short to read a trend"
    p, _ = trend_hypothesis(run)
    minority = "".join(f", {f} in {c} of {n} seeds" for f, c in run["counts"].items())
    return v + borderline(p, " (borderline)") + minority


def written(s: Study, stage: str) -> Any:
    """The verdicts ``stage`` wrote to its summary (None when it wrote none)."""
    return (s.results.get(stage) or {}).get("verdicts")


@once
def learning_rate(s: Study) -> dict | None:
    if (v := written(s, "mlp_learning_rate")) is not None:
        return v
    h = s.histories.get("mlp_learning_rate")
    return None if h is None else rules.learning_rate(h, prior_loss(s), RULE)


@once
def epochs(s: Study) -> dict | None:
    if (v := written(s, "mlp_epochs")) is not None:
        return v
    h = s.histories.get("mlp_epochs")
    return None if h is None else rules.classify_run(h, prior_loss(s), RULE)


@once
def batchnorm(s: Study) -> dict | None:
    if (v := written(s, "mlp_batchnorm")) is not None:
        return v
    h, d = s.histories.get("mlp_batchnorm"), s.results.get("mlp_batchnorm")
    if h is None or not d:
        return None
    reach = {a: r["epochs_to_threshold"] for a, r in d["arms"].items()}
    return rules.batchnorm(h, reach, prior_loss(s), RULE)


@once
def batch_size(s: Study) -> dict | None:
    if (v := written(s, "mlp_batch_size")) is not None:
        return v
    h = s.histories.get("mlp_batch_size")
    return None if h is None else rules.batch_size(h, prior_loss(s), RULE)


@once
def grid(s: Study) -> dict | None:
    if (v := written(s, "mlp_select")) is not None:
        return v
    d = s.results.get("mlp_select")
    histories = {c: s.histories.get(f"mlp_grid/{c}") for c in (d or {}).get("cells", {})}
    if not d or any(h is None for h in histories.values()):
        return None
    reference = d["nearest_neighbour"]["val_acc"]
    margin = d.get("fit_margin", GRID_MARGIN)
    return rules.grid(histories, d["cells"], reference, margin, prior_loss(s), RULE)


@once
def same_configuration(s: Study) -> dict:
    """Runs of one configuration in two stages: the base model (6.1 Q1's lr 0.001, Q2's
    first 50 epochs, Q3's base arm) and Q3's batch-norm arm in the grid and Q7."""
    h = s.histories
    checks = {}
    base = h.get("mlp_batchnorm")
    if base is not None:
        arms = dict(tuple(base.groupby("arm", sort=False)))
        if "base" in arms and h.get("mlp_learning_rate") is not None:
            lr = h["mlp_learning_rate"]
            checks["learning rate 0.001"] = rules.same_runs(lr[lr["lr"] == 0.001], arms["base"])
        if "base" in arms and h.get("mlp_epochs") is not None:
            checks["6.1 Q2's run at epoch 50"] = rules.same_runs(h["mlp_epochs"], arms["base"])
        if "batchnorm" in arms and h.get("mlp_grid/d6_w16") is not None:
            checks["the grid's cell of 6 layers of 16"] = rules.same_runs(
                h["mlp_grid/d6_w16"], arms["batchnorm"]
            )
        raw = h.get("implicit_encoding")
        if "batchnorm" in arms and raw is not None and "encoding" in raw:
            checks["6.2 Q7's raw input"] = rules.same_runs(
                raw[raw["encoding"] == "raw"], arms["batchnorm"]
            )
    return checks


@once
def residual(s: Study) -> dict | None:
    """Q6: the arms' curve verdicts, each arm against the control, the fixes taken apart
    (:func:`mlpcnn.verdicts.cities.residual_study`)."""
    if (v := written(s, "residual_study")) is not None:
        return v
    h, d = s.histories.get("residual_study"), s.results.get("residual_study")
    if h is None or not d:
        return None
    plain = s.histories.get("gradient_study")
    return rules.residual_study(h, plain, d["control"], prior_loss(s), RULE)


def ablation(s: Study) -> dict | None:
    """Q6's fixes taken apart: the residual connection against the plain network of Q5,
    and the 2 x 2 of the zero-initialised branch and standardised inputs on top of it."""
    return (residual(s) or {}).get("ablation")


def fixes_versus_control(s: Study) -> dict | None:
    """Q6: each arm's final validation accuracy against the control's, paired over the
    shared seeds, Holm over the arms."""
    return (residual(s) or {}).get("versus_control")


@once
def implicit(s: Study) -> dict | None:
    """Q7: sine against raw input on final validation accuracy, paired over seeds."""
    if (v := written(s, "implicit_encoding")) is not None:
        return v
    h = s.histories.get("implicit_encoding")
    return None if h is None else rules.implicit(h)


def training_against_evaluation(s: Study, stage: str, arm: str) -> dict | None:
    """An arm's training loss in its last epoch two ways, mean over seeds: as trained
    (training mode, the running loss over the epoch's batches) and evaluated afterwards
    on the same data (evaluation mode), beside its validation accuracy and the class
    prior: which of the two modes holds a poor result back."""
    h = s.histories.get(stage)
    if h is None or arm not in set(h.get("arm", [])):
        return None
    last = h[(h["arm"] == arm) & (h["epoch"] == h["epoch"].max())]
    return {
        "train_mode": float(last["train_loss_running"].mean()),
        "eval_mode": float(last["train_loss"].mean()),
        "val_acc": float(last["val_acc"].mean()),
        "prior": prior_loss(s),
        "epoch": int(last["epoch"].iloc[0]),
    }


def arm_curves(s: Study) -> dict[str, str]:
    """Q6: each arm's curve verdict in words (6.1 Q1's rule)."""
    return {k: curve_text(v) for k, v in (residual(s) or {}).get("runs", {}).items()}

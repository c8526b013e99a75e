"""The cities study's answers, computed once per question from the study's histories and
summaries by the rules of ``mlpcnn.verdicts``; each section and the Findings read them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from mlpcnn.report.markdown import pvalue
from mlpcnn.report.study import Study
from mlpcnn.verdicts import cities as rules
from mlpcnn.verdicts.curves import (
    CONVERGED,
    IMPROVING,
    RULE,
    SEED_FLAGS,
    TOO_SHORT,
    WORSENING,
    classify_run,
)
from mlpcnn.verdicts.paired import paired_compare, strength

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
    flag = ", borderline" if strength(p) == "borderline" else ""
    minority = "".join(f"; {c} of {n} seeds {f}" for f, c in run["counts"].items())
    return (
        f"{v} (validation loss {-run['drop']:+.1%} over the last {run['window']} epochs, "
        f"{test} = {pvalue(p)}{flag}{minority})"
    )


@once
def learning_rate(s: Study) -> dict | None:
    h = s.histories.get("mlp_learning_rate")
    return None if h is None else rules.learning_rate(h, prior_loss(s), RULE)


@once
def epochs(s: Study) -> dict | None:
    h = s.histories.get("mlp_epochs")
    return None if h is None else rules.classify_run(h, prior_loss(s), RULE)


@once
def batchnorm(s: Study) -> dict | None:
    h, d = s.histories.get("mlp_batchnorm"), s.results.get("mlp_batchnorm")
    if h is None or not d:
        return None
    reach = {a: r["epochs_to_threshold"] for a, r in d["arms"].items()}
    return rules.batchnorm(h, reach, prior_loss(s), RULE)


@once
def batch_size(s: Study) -> dict | None:
    h = s.histories.get("mlp_batch_size")
    return None if h is None else rules.batch_size(h, prior_loss(s), RULE)


@once
def grid(s: Study) -> dict | None:
    d = s.results.get("mlp_select")
    histories = {c: s.histories.get(f"mlp_grid/{c}") for c in (d or {}).get("cells", {})}
    if not d or any(h is None for h in histories.values()):
        return None
    reference = d["nearest_neighbour"]["val_acc"]
    return rules.grid(histories, d["cells"], reference, GRID_MARGIN, prior_loss(s), RULE)


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
            checks["the grid's d6_w16"] = rules.same_runs(h["mlp_grid/d6_w16"], arms["batchnorm"])
        raw = h.get("implicit_encoding")
        if "batchnorm" in arms and raw is not None and "encoding" in raw:
            checks["6.2 Q7's raw input"] = rules.same_runs(
                raw[raw["encoding"] == "raw"], arms["batchnorm"]
            )
    return checks


ABLATION = {  # Q6: (zero-initialised branch, standardised inputs) -> arm, each residual
    (False, False): "course_residual",
    (True, False): "residual_zero_branch",
    (False, True): "residual_standardised",
    (True, True): "identity_residual",
}


@once
def ablation(s: Study) -> dict | None:
    """Q6's fixes taken apart: the residual connection (the course's residual arm against
    the plain network of Q5, same seeds, depth, width and epochs) and the 2 x 2 of the
    zero-initialised branch and standardised inputs on top of it, per seed."""
    h, plain = s.histories.get("residual_study"), s.histories.get("gradient_study")
    if h is None:
        return None
    acc = rules.finals(h, "val_acc", lambda r: r["arm"])
    if not set(ABLATION.values()) <= set(acc.columns):
        return None
    out = {"factorial": rules.factorial(acc.to_dict("list"), ABLATION,
                                        ("zero_branch", "standardise"))}  # fmt: skip
    if plain is not None:
        base = rules.finals(plain, "val_acc").iloc[:, 0]
        seeds = acc.index.intersection(base.index)
        out["residual"] = paired_compare(
            {"residual": (acc.loc[seeds, "course_residual"].to_numpy(), base[seeds].to_numpy())}
        )["residual"]
    return out


@once
def fixes_versus_control(s: Study) -> dict | None:
    """Q6: each arm's final validation accuracy against the control's, paired over the
    shared seeds, Holm over the arms."""
    h, d = s.histories.get("residual_study"), s.results.get("residual_study")
    if h is None or not d:
        return None
    acc = rules.finals(h, "val_acc", lambda r: r["arm"])
    control = d["control"]
    return paired_compare({a: (acc[a].to_numpy(), acc[control].to_numpy())
                           for a in acc.columns if a != control})  # fmt: skip


@once
def implicit(s: Study) -> dict | None:
    """Q7: sine against raw input on final validation accuracy, paired over seeds."""
    h = s.histories.get("implicit_encoding")
    if h is None:
        return None
    acc = rules.finals(h, "val_acc", lambda r: r["encoding"])
    if not {"sine", "raw"} <= set(acc.columns):
        return None
    return paired_compare({"sine vs raw": (acc["sine"].to_numpy(), acc["raw"].to_numpy())})[
        "sine vs raw"
    ]


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


@once
def arm_curves(s: Study) -> dict[str, str]:
    """Q6: each arm's curve verdict in words (6.1 Q1's rule)."""
    h = s.histories.get("residual_study")
    if h is None:
        return {}
    runs = rules.runs_by(h, lambda r: r["arm"])
    return {k: curve_text(classify_run(v, prior_loss(s), RULE)) for k, v in runs.items()}

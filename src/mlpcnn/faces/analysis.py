"""Reading the deepfake baselines' runs (7.6): intervals, paired tests, the Q1 table,
constant models, the Q2 images.

A run is one (baseline, learning rate, seed) model scored on one test set, so its
accuracy carries a binomial interval (Wilson's, which stays inside [0, 1] and is honest
at the small test sets of this study), and its ranking quality the ROC AUC. A baseline's
figure is the mean over seeds of its validation-chosen rate, with a Student-t interval.
Every baseline is scored on the same test images, so two are compared image by image:
McNemar's exact test, per seed and on the seeds' majority vote, Holm-corrected over the
pairs the sentence draws from. A run that predicts one class for every image, with a
ranking no better than chance, is flagged ``constant`` (:data:`CONSTANT_RULE`): its
place in any order is a tie-break, never a finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlpcnn.common.stats import holm, mcnemar, seed_interval
from mlpcnn.faces.data import CUES
from mlpcnn.verdicts.paired import BORDERLINE  # an adjusted p there can cross 0.05 on another CPU

if TYPE_CHECKING:  # the baselines import torch; reading their results needs none of it
    from mlpcnn.faces.baselines import RunResult

CONFIDENCE = 0.95
ALPHA = 0.05
CONSTANT_RULE = (
    "one predicted class for every test image and a ranking of the images no better than "
    "chance, Mann-Whitney p >= 0.05 for a ROC AUC of 0.5, or p(fake) varying by less than "
    "1e-6 over the images"
)
SPREAD_TOLERANCE = 1e-6  # p(fake) within this of one value: one answer (e.g. all ~1e-29)


def wilson(correct: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of a proportion ``correct / total`` (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    interval = binomtest(int(correct), int(total)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def roc_auc(labels: np.ndarray, probs: np.ndarray) -> float | None:
    """ROC AUC of ``probs`` (of class 1) against ``labels``; None when one class only, or
    when a diverged run left non-finite probabilities."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2 or not np.isfinite(probs).all():
        return None
    return float(roc_auc_score(labels, probs))


def auc_interval(
    labels: np.ndarray, probs: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """A normal interval around the ROC AUC with Hanley and McNeil's (1982) standard error
    (from the AUC and the two class sizes alone); None where the AUC is undefined."""
    auc = roc_auc(labels, probs)
    return None if auc is None else _hanley_mcneil(auc, np.asarray(labels), confidence)


def _hanley_mcneil(
    auc: float, labels: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    from scipy.special import ndtri

    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    half = ndtri(0.5 + confidence / 2) * np.sqrt(max(var, 0.0))
    return float(max(auc - half, 0.0)), float(min(auc + half, 1.0))  # the normal tail, clipped


def auc_p_value(labels: np.ndarray, probs: np.ndarray) -> float | None:
    """Two-sided p-value of ROC AUC = 0.5: the Mann-Whitney U test of p(fake) between the
    classes (AUC = U / (n_fake n_real)); 1.0 when every probability is the same, None
    when the AUC is undefined."""
    labels, probs = np.asarray(labels), np.asarray(probs, dtype=np.float64)
    return None if roc_auc(labels, probs) is None else _rank_p(labels, probs)


def _rank_p(labels: np.ndarray, probs: np.ndarray) -> float:
    """The Mann-Whitney p of a defined AUC (both classes present)."""
    from scipy.stats import mannwhitneyu

    if np.ptp(probs) == 0:
        return 1.0
    return float(mannwhitneyu(probs[labels == 1], probs[labels == 0]).pvalue)


def is_constant(labels: np.ndarray, probs: np.ndarray, alpha: float = ALPHA) -> bool:
    """:data:`CONSTANT_RULE`: one predicted class throughout and a ranking not
    distinguishable from chance (a run whose probabilities are not finite is not called
    constant: it diverged)."""
    return _constant(np.asarray(probs, dtype=np.float64), lambda: auc_p_value(labels, probs), alpha)


def _constant(probs: np.ndarray, p_value: Callable[[], float | None], alpha: float = ALPHA) -> bool:
    """:func:`is_constant` with the ranking's p computed only when it decides."""
    if not np.isfinite(probs).all():
        return False
    predicted = probs > 0.5
    if predicted.any() and not predicted.all():
        return False
    if np.ptp(probs) < SPREAD_TOLERANCE:  # the ranking is of rounding noise (e.g. 1e-29s)
        return True
    p = p_value()
    return p is None or p >= alpha


def score_run(labels: np.ndarray, probs: np.ndarray) -> dict[str, float | int | bool | None]:
    """A run's test accuracy (threshold 0.5) with its Wilson interval, its ROC AUC with
    :func:`auc_interval` and :func:`auc_p_value`, the spread of its p(fake) (max - min),
    whether it is constant (:func:`is_constant`), the share of test images it calls fake
    (where the threshold sits against the classes' 50%) and how it ranks the images
    (:func:`ranking_verdict`); the AUC and its test computed once.

    Accuracy reads the threshold, the AUC the ranking: a run can rank the images well and
    still call nearly all of them one class."""
    labels, probs = np.asarray(labels), np.asarray(probs, dtype=np.float64)
    correct = int(((probs > 0.5).astype(np.int64) == labels).sum())
    low, high = wilson(correct, len(labels))
    finite = np.isfinite(probs).all()
    auc = roc_auc(labels, probs)
    auc_low, auc_high = _hanley_mcneil(auc, labels) if auc is not None else (None, None)
    p = _rank_p(labels, probs) if finite and auc is not None else None
    return {
        "test_acc": correct / len(labels),
        "test_acc_low": low,
        "test_acc_high": high,
        "test_correct": correct,
        "test_n": len(labels),
        "test_auc": auc,
        "test_auc_low": auc_low,
        "test_auc_high": auc_high,
        "test_auc_p": p,
        "p_fake_spread": float(np.ptp(probs)) if finite else None,
        "one_class": bool(finite and len(np.unique(probs > 0.5)) == 1),
        "constant": _constant(probs, lambda: p),
        "called_fake": float((probs > 0.5).mean()) if finite else None,
        "ranking": ranking_verdict(auc_low, auc_high),
    }


RANKING_RULE = (
    "by the 95% interval of the ROC AUC: better than chance when it lies above 0.5, "
    "worse than chance (the classes the wrong way round) when below, at chance when it "
    "holds 0.5"
)


def ranking_verdict(auc_low: float | None, auc_high: float | None) -> str | None:
    """:data:`RANKING_RULE`; None where the AUC is undefined (one class, or diverged)."""
    if auc_low is None or auc_high is None:
        return None
    if auc_low > 0.5:
        return "better than chance"
    return "worse than chance" if auc_high < 0.5 else "at chance"


def order_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs from best to worst: test accuracy, then validation accuracy, then the run's
    name (a fixed order for exact ties)."""
    return runs.sort_values(
        ["test_acc", "val_acc", "run"], ascending=[False, False, True], kind="stable"
    )


def best_two_and_worst(runs: pd.DataFrame) -> pd.DataFrame:
    """7.6 Q1: per baseline its two best runs and its worst by test accuracy.

    ``runs`` has one row per run: ``baseline``, ``run``, ``val_acc``, ``test_acc`` (and
    anything else, kept). Returns the chosen rows with ``role`` (best, second best, worst;
    a baseline with one run has one row, ``only run``; with two, the second is ``second
    best, worst``) and ``ties``: the other runs of the baseline with the same test
    accuracy, which the order broke by validation accuracy, then name.
    """
    rows = []
    for _, group in runs.groupby("baseline", sort=False):
        ordered = order_runs(group)
        n = len(ordered)
        roles = (
            ["only run"]
            if n == 1
            else ["best", "second best, worst"]
            if n == 2
            else ["best", "second best", "worst"]
        )
        chosen = [*range(min(n, 2)), *([n - 1] if n > 2 else [])]
        for role, position in zip(roles, chosen, strict=True):
            row = ordered.iloc[position]
            same = ordered[
                (ordered["test_acc"] == row["test_acc"]) & (ordered["run"] != row["run"])
            ]
            rows.append({**row.to_dict(), "role": role, "ties": ", ".join(same["run"])})
    return pd.DataFrame(rows)


def rank_baselines(chosen: Mapping[str, dict]) -> list[str]:
    """Baselines from best to worst by the mean test accuracy over seeds of their
    validation-chosen rate (``chosen``: baseline -> :func:`seed_summary`), then the mean
    validation accuracy, then the name. Only validation-chosen runs enter: a run picked
    for its test accuracy would flatter its baseline."""

    def mean(figure: dict) -> float:
        return -np.inf if figure["mean"] is None else figure["mean"]  # every seed diverged

    return sorted(
        chosen, key=lambda b: (-mean(chosen[b]["test_acc"]), -mean(chosen[b]["val_acc"]), b)
    )


def pick_examples(
    labels: np.ndarray, best: np.ndarray, worst: np.ndarray, n: int = 5, by: str = "worst"
) -> list[int]:
    """7.6 Q2: up to ``n`` test indices the ``best`` model gets right and ``worst`` wrong.

    The rule: among those images, the most confident first (largest |p(fake) - 0.5|) of
    the model ``by`` names: the worst's mistakes, or, when the worst is constant and its
    confidence says nothing about the image, the best's right answers; the other model's
    confidence breaks ties, then the index. The two classes are taken in turn, starting
    with the class that holds the most confident image, so that both are shown when both
    occur. Fewer than ``n`` such images: all.
    """
    labels = np.asarray(labels)
    right = (np.asarray(best) > 0.5).astype(np.int64) == labels
    wrong = (np.asarray(worst) > 0.5).astype(np.int64) != labels
    sure = {k: np.abs(np.asarray(p, dtype=np.float64) - 0.5) for k, p in
            (("best", best), ("worst", worst))}  # fmt: skip
    confidence, other = sure[by], sure["worst" if by == "best" else "best"]
    queues = []
    for label in np.unique(labels):
        found = np.flatnonzero(right & wrong & (labels == label))
        queues.append(list(found[np.lexsort((found, -other[found], -confidence[found]))]))
    queues = sorted((q for q in queues if q), key=lambda q: (-confidence[q[0]], q[0]))
    picked: list[int] = []
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(int(queue.pop(0)))
    return picked


def lr_of(run: str) -> float | None:
    """The learning rate in a run's name (``lr 0.001``, ``lr 0.001 seed 2``); None for
    ``default``."""
    run = run.split(" seed ")[0]
    return None if run == "default" else float(run.removeprefix("lr "))


TIE_RULE = "a tie on validation accuracy goes to the first rate in the sweep's order"


def tied_runs(val_acc: Mapping[str, float], chosen: str) -> list[str]:
    """The other runs with the chosen run's validation accuracy (:data:`TIE_RULE` broke
    the tie), in the sweep's order."""
    return [n for n, acc in val_acc.items() if n != chosen and acc == val_acc[chosen]]


def choose_run(strategy: str, runs: Mapping[str, RunResult]) -> str:
    """The run chosen on validation accuracy, ties to the first in the params' order (no
    test figure enters the choice). XGBoost's learning rates beside its defaults are an
    extra sweep, never chosen."""
    candidates = [n for n in runs if not (strategy == "xgboost" and n != "default")]
    return max(candidates, key=lambda n: (runs[n].val_acc, -candidates.index(n)))


def score_runs(
    strategy: str, runs: Mapping[str, RunResult], test_labels: np.ndarray
) -> dict[str, dict]:
    """Every run scored on the test set (:func:`score_run`) with its learning rate and
    validation accuracy; ``extra`` marks XGBoost's learning-rate runs beside its defaults."""
    return {
        name: {"lr": lr_of(name), "extra": strategy == "xgboost" and lr_of(name) is not None,
               "val_acc": r.val_acc, **score_run(test_labels, r.test_probs)}
        for name, r in runs.items()
    }  # fmt: skip


def seed_run(run: str, seed: int) -> str:
    """The name of the chosen run repeated with another seed: ``lr 0.001 seed 1``."""
    return f"{run} seed {seed}"


def chosen_probs(summary: dict, probs: pd.DataFrame) -> dict[int, np.ndarray]:
    """seed -> p(fake) on the test images of a baseline's validation-chosen rate, from
    its summary and its ``test_probs.csv`` (the first seed's run is the sweep's)."""
    run, seeds = summary["best_run_by_val_acc"], summary["chosen_over_seeds"]["seeds"]
    return {k: probs[run if i == 0 else seed_run(run, k)].to_numpy() for i, k in enumerate(seeds)}


def extra_pairs(strategies: list[str], course: tuple[str, ...]) -> list[tuple[str, str]]:
    """The extras' comparisons, each against what it changes: several epochs against one,
    the pretrained architecture from scratch against fine-tuning it and against the
    course's scratch ResNet18; the hand-made detector (three numbers an image) against
    each of the ``course`` baselines, so that its place among them is tested."""
    pairs = [("finetune_long", "finetune"), ("scratch_backbone", "finetune"),
             ("scratch_backbone", "scratch"), *(("handmade", b) for b in course)]  # fmt: skip
    return [(a, b) for a, b in pairs if a in strategies and b in strategies and a != b]


def q2_pairs(ranking: list[str], constant: Mapping[str, bool]) -> list[tuple[str, str]]:
    """7.6 Q2's (best, worst) baselines: the first and last of the ranking, and, when the
    worst is constant (its mistakes say nothing about the images), also the best against
    the worst baseline that is not."""
    best, worst = ranking[0], ranking[-1]
    pairs = [(best, worst)]
    working = [b for b in ranking if not constant[b]]
    if constant[worst] and working and working[-1] != best:
        pairs.append((best, working[-1]))
    return pairs


def seed_summary(seeds: Mapping[int, dict], distinct_fits: int | None = None) -> dict:
    """The chosen rate over seeds (seed -> :func:`score_run` plus ``val_acc``): mean test
    and validation accuracy with Student-t intervals, how many seeds are constant, and
    ``distinct_fits``: how many different sets of test predictions the seeds gave (1 for
    a model no seed changes, such as XGBoost's defaults; then the interval has no width
    because nothing varied, not because the figure is certain)."""
    order = list(seeds)
    return {
        "seeds": order,
        "distinct_fits": len(order) if distinct_fits is None else distinct_fits,
        "test_acc": seed_interval([seeds[k]["test_acc"] for k in order]),
        "val_acc": seed_interval([seeds[k]["val_acc"] for k in order]),
        "constant_seeds": [k for k in order if seeds[k]["constant"]],
        "per_seed": [{"seed": k, **seeds[k]} for k in order],
    }


def majority(probs: np.ndarray) -> np.ndarray:
    """The seeds' vote ``(N,)`` from their p(fake) ``(S, N)``: fake where most seeds say
    fake; an even split goes to the mean probability."""
    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    votes = (probs > 0.5).mean(axis=0)
    return np.where(votes == 0.5, probs.mean(axis=0) > 0.5, votes > 0.5).astype(np.int64)


def verdict(difference: float, p_adjusted: float | None, seeds: int, alpha: float = ALPHA) -> str:
    """The words for one comparison: ``higher``/``lower`` when the adjusted p is under
    alpha, else ``not distinguishable with N seeds``; ``(borderline)`` appended when it
    lies in :data:`BORDERLINE`."""
    if p_adjusted is None:
        return "not tested"
    word = (
        ("higher" if difference > 0 else "lower")
        if p_adjusted < alpha
        else f"not distinguishable with {seeds} seed{'s' * (seeds != 1)}"
    )
    low, high = BORDERLINE
    return word + (" (borderline)" if low <= p_adjusted < high else "")


def paired_comparisons(
    labels: np.ndarray,
    probs: Mapping[str, Mapping[int, np.ndarray]],
    pairs: list[tuple[str, str]],
    alpha: float = ALPHA,
) -> list[dict]:
    """McNemar's exact test for each pair of baselines on the same test images.

    ``probs``: baseline -> seed -> ``(N,)`` p(fake) of its chosen rate. Per pair: the
    test on the two baselines' majority votes over the seeds they share (the verdict; an
    extra run with one seed meets its partner's run of that seed, not an ensemble), and
    on each shared seed. "With N seeds" counts the side with fewer distinct fits (seeds
    that change nothing count once). The majority tests are one Holm family; each seed's
    tests another.
    """
    labels = np.asarray(labels)

    def right(p: np.ndarray) -> np.ndarray:
        return (np.asarray(p) > 0.5).astype(np.int64) == labels

    def voted(baseline: str, seeds: list[int]) -> np.ndarray:
        return majority(np.stack([probs[baseline][k] for k in seeds])) == labels

    shared = [[k for k in probs[a] if k in probs[b]] for a, b in pairs]
    tests = [mcnemar(voted(a, ks), voted(b, ks)) for (a, b), ks in zip(pairs, shared, strict=True)]
    adjusted = holm({i: t["p_value"] for i, t in enumerate(tests)})
    per_seed: dict[int, dict[int, float | None]] = {}  # seed -> pair index -> Holm p
    for seed in dict.fromkeys(k for ks in shared for k in ks):
        raw = {i: mcnemar(right(probs[a][seed]), right(probs[b][seed]))["p_value"]
               for i, (a, b) in enumerate(pairs) if seed in shared[i]}  # fmt: skip
        per_seed[seed] = holm(raw)
    rows = []
    for i, ((a, b), test) in enumerate(zip(pairs, tests, strict=True)):
        seeds = min(distinct(probs[a], shared[i]), distinct(probs[b], shared[i]))
        by_seed = {k: per_seed[k][i] for k in shared[i]}
        rows.append({
            "a": a, "b": b, "a_only": test["a_only"], "b_only": test["b_only"],
            "difference": test["difference"], "p_value": test["p_value"],
            "p_holm": adjusted[i], "family": len(pairs), "seeds": seeds,
            "verdict": verdict(test["difference"], adjusted[i], seeds, alpha),
            "p_holm_per_seed": by_seed,
            "distinguishable_seeds": sum(p < alpha for p in by_seed.values()),
            "test": "McNemar's exact test on the majority votes", "correction": "Holm",
        })  # fmt: skip
    return rows


def distinct(seeds: Mapping[int, np.ndarray], among: list[int] | None = None) -> int:
    """How many different prediction vectors the seeds (``among`` them) gave."""
    keys = list(seeds) if among is None else among
    return len({np.asarray(seeds[k], dtype=np.float64).tobytes() for k in keys})


def mismatched_test_images(files: Mapping[str, pd.Series]) -> str | None:
    """The first baseline whose test predictions list other images, or another order,
    than the first baseline's (pairing them image by image needs the same); None if all
    agree."""
    first, *others = files
    return next((name for name in others if not files[name].equals(files[first])), None)


def explain_constant(
    variants: Mapping[str, dict],
    as_trained: str,
    batch_statistics: list[str],
    longer: str,
    alpha: float = ALPHA,
) -> dict:
    """Two questions about a constant model (see :mod:`mlpcnn.faces.diagnosis`), each
    answered by a rule.

    ``explanation``: what makes the output depend on the image, i.e. predict both classes:
    ``running statistics`` when a ``batch_statistics`` variant of the same weights does;
    else ``too few steps`` when the longer run does; else ``neither``; ``not constant``
    when the model as trained was not. ``ranking``: whether any variant ranks the test
    images better than chance (ROC AUC above 0.5 with Mann-Whitney p < alpha), with
    ``p_value`` the smallest such p of the variants and ``ranked_by`` those that do.
    The two can differ: batch statistics may spread the answers without ordering them."""

    def p(name: str) -> float:
        v = variants[name]
        above = v.get("test_auc") is not None and v["test_auc"] > 0.5
        return v["test_auc_p"] if above and v.get("test_auc_p") is not None else 1.0

    if not variants[as_trained]["constant"]:
        return {"explanation": "not constant", "ranking": None, "p_value": None, "ranked_by": []}
    both = [n for n in (*batch_statistics, longer) if not variants[n]["one_class"]]
    explanation = (
        "running statistics" if set(both) & set(batch_statistics)
        else "too few steps" if longer in both
        else "neither"
    )  # fmt: skip
    others = [*batch_statistics, longer]
    ranked_by = [n for n in others if p(n) < alpha]
    return {
        "explanation": explanation,
        "ranking": "better than chance" if ranked_by else "no better than chance",
        "p_value": min(p(n) for n in others),
        "ranked_by": ranked_by,
        "answers_both_classes": both,
    }


def probs_table(
    files: np.ndarray, labels: np.ndarray, runs: Mapping[str, RunResult]
) -> pd.DataFrame:
    """A row per test image: its file, label and every run's p(fake)."""
    return pd.DataFrame(
        {"file": files, "label": labels} | {n: r.test_probs for n, r in runs.items()}
    )


def batch_loss_table(runs: Mapping[str, RunResult]) -> pd.DataFrame:
    """A row per training batch: every run's loss (runs without batches left out)."""
    losses = {name: pd.Series(r.batch_loss) for name, r in runs.items() if len(r.batch_loss)}
    steps = max((len(v) for v in losses.values()), default=0)
    return pd.DataFrame({"batch": np.arange(1, steps + 1)} | losses)


CLASS_NAMES = ("real", "fake")
Q2_RULE = (
    "test images the best baseline gets right and the worst gets wrong; the worst's most "
    "confident mistakes first (largest |p(fake) - 0.5|; the best's most confident right "
    "answers when the worst is constant), real and fake in turn, starting with the class "
    "of the most confident one"
)


def final_loss(batch_loss: pd.DataFrame, run: str) -> float | None:
    """The training loss at the end of a run: the mean of its last 10% of batches (at
    least one); None for runs without batches (XGBoost, scikit-learn)."""
    if run not in batch_loss:
        return None
    loss = batch_loss[run].dropna()
    return float(loss.tail(max(1, len(loss) // 10)).mean()) if len(loss) else None


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (pandas turns numpy scalars into numbers, NaN into null)."""
    return json.loads(frame.to_json(orient="records"))


def row(runs: pd.DataFrame, baseline: str, run: str) -> dict:
    """One run of :func:`runs_table` as a plain mapping."""
    return records(runs[(runs["baseline"] == baseline) & (runs["run"] == run)])[0]


def runs_table(
    summaries: Mapping[str, dict], losses: Mapping[str, pd.DataFrame], course: tuple[str, ...]
) -> pd.DataFrame:
    """A row per (baseline, run): its scores from the baseline's summary, whether it is
    one of the ``course`` baselines' own runs, and its final training loss."""
    return pd.DataFrame([
        {"baseline": s, "run": name, "course": s in course and not r["extra"], **r,
         "final_train_loss": final_loss(losses[s], name)}
        for s, m in summaries.items()
        for name, r in m["runs"].items()
    ])  # fmt: skip


TRAITS_RULE = (
    "each shown image's fine-scale energy (the hand-made detector's feature: mean squared "
    "Laplacian residual, log, at 224 px) as a percentile among the test images of its own "
    "class; on the stand-in, each shown fake's drawn cue strengths (0 none, 1 the most) "
    "and the median over the test fakes"
)


def image_traits(
    shown: list[int], labels: np.ndarray, energy: np.ndarray, cues: np.ndarray | None
) -> dict:
    """What 7.6 Q2's images share, by :data:`TRAITS_RULE`. ``energy``: ``(N,)`` per test
    image; ``cues``: ``(N, 4)`` drawn strengths (NaN for reals; None on course images)."""
    from scipy.stats import percentileofscore

    labels = np.asarray(labels)
    traits = {
        "rule": TRAITS_RULE,
        "energy_percentile": [
            float(percentileofscore(energy[labels == labels[i]], energy[i], kind="mean"))
            for i in shown
        ],
    }
    if cues is not None:
        fakes = cues[labels == 1]
        traits["cue_names"] = list(CUES)
        traits["cues"] = [None if labels[i] == 0 else [float(c) for c in cues[i]] for i in shown]
        traits["cue_median_of_test_fakes"] = [float(m) for m in np.nanmedian(fakes, axis=0)]
    return traits


def q2_examples(probs: pd.DataFrame, best: tuple[str, str], worst: tuple[str, str], n: int) -> dict:
    """7.6 Q2: up to ``n`` test images that ``best`` (baseline, run) gets right and
    ``worst`` gets wrong, by :data:`Q2_RULE`; ``probs`` holds ``file``, ``label`` and
    ``<baseline>/<run>`` columns of p(fake)."""
    labels = probs["label"].to_numpy()
    best_p, worst_p = (probs["/".join(b)].to_numpy() for b in (best, worst))
    constant = is_constant(labels, worst_p)
    by = "best" if constant else "worst"
    shown = pick_examples(labels, best_p, worst_p, n, by) if best[0] != worst[0] else []
    qualifies = ((best_p > 0.5) == labels) & ((worst_p > 0.5) != labels)
    return {
        "rule": Q2_RULE,
        "shown_test_indices": shown,
        "shown_files": [str(probs["file"].iloc[i]) for i in shown],
        "shown_labels": [CLASS_NAMES[labels[i]] for i in shown],
        "best_p_fake": [float(best_p[i]) for i in shown],
        "worst_p_fake": [float(worst_p[i]) for i in shown],
        "candidates": int(qualifies.sum()),
        "candidates_by_class": {
            name: int((qualifies & (labels == i)).sum()) for i, name in enumerate(CLASS_NAMES)
        },
        "fewer_than_five": len(shown) < n,
        "worst_constant": constant,
        "ordered_by": f"{by} baseline's confidence",
    }


def q2_rows(
    pairs: list[tuple[str, str]],
    runs: pd.DataFrame,
    chosen: Mapping[str, str],
    probs: Mapping[str, np.ndarray],
    labels: np.ndarray,
    files: pd.Series,
    n: int,
) -> list[dict]:
    """7.6 Q2 for each (best, worst) pair: both runs (:func:`row`) and
    :func:`q2_examples` on ``probs`` (baseline -> ``(N,)`` p(fake) of its chosen run)."""
    found = []
    for best, worst in pairs:
        frame = pd.DataFrame({"file": files, "label": labels}
                             | {f"{b}/{chosen[b]}": probs[b] for b in (best, worst)})  # fmt: skip
        pair = {"best": row(runs, best, chosen[best]), "worst": row(runs, worst, chosen[worst])}
        found.append(pair | q2_examples(frame, (best, chosen[best]), (worst, chosen[worst]), n))
    return found

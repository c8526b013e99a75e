"""6.2 Q6's analysis on hand-made arms: spans, the best fix's rule, the tests."""

from __future__ import annotations

import numpy as np

from mlpcnn.cities.fixes import (
    arms_table,
    fixes_summary,
    last_epoch_ratios,
    log_median,
    pick_best,
    spans,
    summarise_arm,
)
from mlpcnn.cities.training import TrainResult


def test_log_median_leaves_out_zero_ratios() -> None:
    ratios = np.array([[[1.0, 10.0, 100.0], [0.0, 0.0, 0.0]]])  # (1 epoch, 2 layers, 3 seeds)
    np.testing.assert_allclose(log_median(ratios)[0, 0], 1.0)
    assert np.isnan(log_median(ratios)[0, 1])
    # Span: max minus min over layers, per epoch, of those log medians.
    flow = np.array([[[1.0], [1e-3]], [[1.0], [1e-1]]])  # 2 epochs, 2 layers, 1 seed
    np.testing.assert_allclose(spans(flow), [3.0, 1.0])
    frame = last_epoch_ratios({"a": flow})["a"]
    assert frame["layer"].tolist() == [0, 1] and frame["log10_ratio"].tolist() == [0.0, -1.0]


def arm(val: list[float], ratio_decades: float, dead_seeds: int) -> dict:
    result = TrainResult(
        history={"val_acc": np.array([val]), "val_loss": np.array([[1.0] * len(val)])},
        steps_per_epoch=1, train_seconds=np.ones(1), seeds=list(range(len(val))),
    )  # fmt: skip
    ratios = np.ones((1, 3, len(val)))
    ratios[:, 0] = 10.0**-ratio_decades
    dead = np.zeros((len(val), 3), dtype=bool)
    dead[:dead_seeds, 0] = True
    return summarise_arm({"residual": True}, 3, result, ratios, dead, max_span=2.0)


def test_the_best_fix_keeps_the_flow_and_has_no_dead_layer_before_it_is_accurate() -> None:
    arms = {
        "flows": arm([0.80, 0.82, 0.81], ratio_decades=1.0, dead_seeds=0),
        "accurate_but_dead": arm([0.90, 0.91, 0.92], ratio_decades=1.0, dead_seeds=1),
        "accurate_but_vanishing": arm([0.93, 0.92, 0.94], ratio_decades=5.0, dead_seeds=0),
        "control": arm([0.85, 0.86, 0.84], ratio_decades=0.0, dead_seeds=0),
    }
    assert (
        arms["flows"]["table"]["within_span"]
        and arms["flows"]["table"]["worst_span_decades"] == 1.0
    )
    assert not arms["accurate_but_vanishing"]["table"]["within_span"]
    assert arms["accurate_but_dead"]["table"]["seeds_with_dead_layer"] == 1
    deep = ["flows", "accurate_but_dead", "accurate_but_vanishing"]
    assert pick_best(arms, deep) == "flows"
    # With no arm passing the rule, the most accurate.
    assert (
        pick_best(arms, ["accurate_but_dead", "accurate_but_vanishing"]) == "accurate_but_vanishing"
    )
    summary = fixes_summary(arms, deep, ["control"])
    assert summary["best_fix"] == "flows" and summary["control"] == "control"
    assert "test_vs_control" not in summary["arms"]["flows"]  # paired: mlpcnn.verdicts
    assert arms_table(arms)["arm"].tolist() == [*deep, "control"]

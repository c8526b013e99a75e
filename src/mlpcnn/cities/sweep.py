"""Reading the encoding sweep (beyond 6.2 Q7): every setting's test predictions against
1-nearest-neighbour's, city by city, and which settings beat it.

A setting *beats* 1-NN when every one of its seeds gets more test cities right than
1-NN does, each with McNemar's exact test p < alpha (an intersection-union test: no
correction is needed for requiring all of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlpcnn.common.stats import mcnemar

NEIGHBOURHOODS = ("inside (none)", "border (some)", "surrounded (all)")  # codes 0, 1, 2
COLUMNS = ("kind", "features", "highest_frequency_used", "train_acc_mean",
           *(f"{s}_acc_{w}" for s in ("val", "test") for w in ("mean", "low", "high")))  # fmt: skip


def versus_nearest(
    correct: np.ndarray, ensemble: np.ndarray, nearest: np.ndarray,
    neighbourhood: np.ndarray, seeds: Sequence[int],
) -> dict:  # fmt: skip
    """Each seed's and the ensemble's test predictions against 1-NN's, and where the
    errors are. ``correct``: ``(R, N)`` whether each seed got each test city right;
    ``ensemble``, ``nearest``: ``(N,)`` the same for the seeds' ensemble and for 1-NN;
    ``neighbourhood``: ``(N,)`` codes of :data:`NEIGHBOURHOODS`."""
    groups = {name: neighbourhood == code for code, name in enumerate(NEIGHBOURHOODS)}
    return {
        "test_acc_per_seed": correct.mean(axis=1).tolist(),
        "versus_nearest_neighbour": {
            "nearest_neighbour_test_acc": float(nearest.mean()),
            "per_seed": {str(s): mcnemar(correct[r], nearest) for r, s in enumerate(seeds)},
            "ensemble": mcnemar(ensemble, nearest),
        },
        # Where the errors are: test cities by how many of their nearest training cities
        # belong to another country (see prepare_cities).
        "errors_by_neighbourhood": {
            "cities": {g: int(mask.sum()) for g, mask in groups.items()},
            "mean_errors_per_seed": {
                g: float((~correct[:, mask]).sum(axis=1).mean()) for g, mask in groups.items()
            },
            "nearest_neighbour_errors": {
                g: int((~nearest[mask]).sum()) for g, mask in groups.items()
            },
        },
    }


def beats(paired: Mapping, alpha: float) -> bool:
    """Every seed ahead of 1-NN with McNemar p < ``alpha`` (``paired`` from
    :func:`versus_nearest`'s ``versus_nearest_neighbour``)."""
    return all(t["a_only"] > t["b_only"] and t["p_value"] < alpha
               for t in paired["per_seed"].values())  # fmt: skip


def sweep_table(runs: Mapping[str, dict]) -> pd.DataFrame:
    """A row per setting (``runs[name]``: its stage's summary): encoding, accuracies, seed
    count, the largest per-seed McNemar p against 1-NN and how many seeds are ahead."""
    table = pd.DataFrame.from_dict(runs, orient="index")[list(COLUMNS)].rename_axis("setting")
    paired = {n: r["versus_nearest_neighbour"]["per_seed"].values() for n, r in runs.items()}
    table["seeds"] = [len(r["seeds"]) for r in runs.values()]
    table["max_p_vs_nearest"] = [max(t["p_value"] for t in paired[n]) for n in runs]
    table["seeds_ahead_of_nearest"] = [sum(t["a_only"] > t["b_only"] for t in paired[n])
                                       for n in runs]  # fmt: skip
    return table


def sweep_summary(
    runs: Mapping[str, dict], table: pd.DataFrame, goal: str, goal_test_acc: float,
    goal_alpha: float, alpha: float,
) -> dict:  # fmt: skip
    """Which settings beat 1-NN at ``alpha``, the best setting by validation accuracy,
    and whether ``goal`` meets its goal (mean test accuracy and every seed ahead of 1-NN
    at ``goal_alpha``)."""
    paired = {n: r["versus_nearest_neighbour"] for n, r in runs.items()}
    goal_row = table.loc[goal]
    return {
        "settings": {
            n: {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            | {
                "beats_nearest_neighbour": beats(paired[n], alpha),
                "ensemble_vs_nearest": paired[n]["ensemble"],
                "ensemble_test_acc": runs[n]["ensemble"]["test_acc"],
            }
            for n, row in table.iterrows()
        },
        "architecture": {
            k: runs[goal][k] for k in ("depth", "width", "epochs", "lr", "lr_schedule")
        },
        "beats_rule": "every seed gets more test cities right than 1-NN, each with "
        f"McNemar's exact test p < {alpha:g} (intersection-union test)",
        "alpha": alpha,
        "best_setting": str(table["val_acc_mean"].idxmax()),
        "goal_setting": goal,
        "goal": f"mean test accuracy >= {goal_test_acc:g} and every seed ahead of 1-NN with "
        f"McNemar p < {goal_alpha:g}",
        "goal_met": bool(
            goal_row["test_acc_mean"] >= goal_test_acc and beats(paired[goal], goal_alpha)
        ),
        "settings_beating_nearest_neighbour": [n for n in runs if beats(paired[n], alpha)],
        # What limits the goal setting: where its test errors are.
        "goal_errors_by_neighbourhood": runs[goal]["errors_by_neighbourhood"],
    }

"""Reading the encoding sweep (beyond 6.2 Q7): every setting's test predictions against
1-nearest-neighbour's, city by city, and which settings beat it.

A setting *beats* 1-NN when its seeds' ensemble gets more test cities right than 1-NN
does by McNemar's exact test, Holm-adjusted over the settings (the rule of
:data:`mlpcnn.verdicts.cities.ENCODING_RULE`, which the report prints).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mlpcnn.common.stats import mcnemar
from mlpcnn.verdicts.cities import encodings_versus_nearest

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


def sweep_summary(runs: Mapping[str, dict], table: pd.DataFrame, alpha: float) -> dict:
    """Each setting's figures with its ensemble against 1-NN, and the verdicts of
    :func:`mlpcnn.verdicts.cities.encodings_versus_nearest` (which settings beat 1-NN,
    Holm over the settings; the best setting by validation accuracy, whose test errors
    by neighbourhood close the summary)."""
    settings = {
        n: {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        | {"ensemble_vs_nearest": runs[n]["versus_nearest_neighbour"]["ensemble"],
           "ensemble_test_acc": runs[n]["ensemble"]["test_acc"]}
        for n, row in table.iterrows()
    }  # fmt: skip
    verdicts = encodings_versus_nearest(settings, alpha)
    best = verdicts["best_by_validation"]
    return {
        "settings": settings,
        "verdicts": verdicts,
        "architecture": {
            k: runs[best][k] for k in ("depth", "width", "epochs", "lr", "lr_schedule")
        },
        "alpha": alpha,
        "best_setting": best,
        # What limits the best setting: where its test errors are.
        "best_errors_by_neighbourhood": runs[best]["errors_by_neighbourhood"],
    }

"""Stage implicit_encoding (6.2 Q7): sin(a x) features against the raw coordinates.

Both MLPs (depth 6, width 16, batch norm) train the same seeds as replicas; only the
input differs: (long, lat), or sin(a long) for a in 0.1..1.0 then sin(a lat) likewise.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import (
    MODEL_KEYS,
    TRAIN_KEYS,
    load_prepared_cities,
    mlp_config,
    run_cities,
    seeds_of,
    train_config,
)
from stage_shared import (
    PLOTS,
    device_from,
    environment,
    load_params,
    naming,
    read_summary,
    write_results,
)

from mlpcnn.cities.boundaries import plot_boundary_panels
from mlpcnn.cities.encodings import sine_encoding
from mlpcnn.cities.figures import plot_mean_curves
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.selection import (
    mean_curves,
    representative_seed,
    summarise_cells,
)
from mlpcnn.cities.stats import compare
from mlpcnn.cities.training import train_replicas
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.common.params import InvalidParam

KEY = "implicit_encoding"
OUT = PLOTS / KEY


def main() -> None:
    params = load_params(
        KEY, (*MODEL_KEYS, *TRAIN_KEYS, "frequencies", "seeds", "boundary_resolution")
    )
    device = device_from(params)
    data = load_prepared_cities(device)
    seeds, frequencies = seeds_of(KEY, params), params["frequencies"]
    with naming(KEY):
        if (
            not isinstance(frequencies, list)
            or not frequencies
            or any(not isinstance(a, int | float) for a in frequencies)
        ):
            raise InvalidParam(
                f"frequencies: expected a non-empty list of numbers, got {frequencies!r}"
            )
    encodings = {
        "raw": lambda x: x,
        "sine": lambda x: sine_encoding(x, frequencies),
    }

    histories, models = {}, {}
    for name, encode in encodings.items():
        splits = {split: (encode(x), y) for split, (x, y) in data.splits.items()}
        config = mlp_config(KEY, params, data.n_classes, in_features=splits["train"][0].shape[1])
        train = train_config(KEY, params, len(data.train[1]), config.batchnorm)
        model = stacked_mlps(config, seeds).to(device)
        result = train_replicas(model, splits["train"], splits, train, seeds=seeds)
        histories[name] = pd.concat([result.frame(r).assign(seed=s) for r, s in enumerate(seeds)])
        models[name] = model

    write_csv(OUT / "history.csv", pd.concat([h.assign(encoding=n) for n, h in histories.items()]))
    table = summarise_cells(histories)
    write_csv(OUT / "accuracy.csv", table.rename_axis("encoding").reset_index())
    curves = {name: mean_curves(h) for name, h in histories.items()}
    write_csv(OUT / "curves.csv", series_table(curves, "epoch", ["val_acc_mean", "test_acc_mean"]))
    plot_mean_curves(
        {f"{n} input ({models[n].config.in_features} features)": c for n, c in curves.items()},
        {"cross-entropy loss": ["train_loss", "val_loss", "test_loss"],
         "accuracy": ["train_acc", "val_acc", "test_acc"]},
        OUT / "curves.png",
        title=f"6.2 Q7: raw against sine-encoded input (mean and 95% interval over "
        f"{len(seeds)} seeds)",
    )  # fmt: skip

    panels = {}
    for name, encode in encodings.items():
        seed = representative_seed(histories[name])
        mlp = models[name].replica(seeds.index(seed)).to(device).eval()
        final = histories[name].query("seed == @seed")["test_acc"].iloc[-1]
        title = f"{name} input (seed {seed}): test accuracy {final:.4f}"
        panels[title] = lambda x, m=mlp, e=encode: m(e(x.to(device))).argmax(dim=1)
    x_test, y_test = (t.cpu().numpy() for t in data.splits["test"])
    plot_boundary_panels(panels, x_test, y_test, data.n_classes, OUT / "boundaries.png",
                         title="6.2 Q7: decision boundaries over the test points",
                         resolution=params["boundary_resolution"])  # fmt: skip

    nearest = read_summary("prepare_cities")["nearest_neighbour"]
    write_results(
        KEY,
        {f"{name}_val_acc_mean": float(table.loc[name, "val_acc_mean"]) for name in encodings},
        {
            "encoding": "sin(a * long) for a in frequencies, then sin(a * lat) likewise",
            "frequencies": frequencies,
            "seeds": seeds,
            "epochs": params["epochs"],
            "depth": params["depth"],
            "width": params["width"],
            **{
                name: {k: float(v) for k, v in table.loc[name].items() if k != "seeds"}
                for name in encodings
            },
            "difference_sine_minus_raw": {
                f"{split}_acc": float(
                    table.loc["sine", f"{split}_acc_mean"] - table.loc["raw", f"{split}_acc_mean"]
                )
                for split in ("train", "val", "test")
            },
            "val_difference_test": compare(
                {
                    "sine vs raw": tuple(
                        h.loc[h["epoch"] == h["epoch"].max(), "val_acc"].to_numpy()
                        for h in (histories["sine"], histories["raw"])
                    )
                }
            )["sine vs raw"],
            "nearest_neighbour": nearest,
            **environment(device),
        },
    )


if __name__ == "__main__":
    run_cities(main)

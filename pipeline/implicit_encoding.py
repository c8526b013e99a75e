"""Stage implicit_encoding (6.2 Q7): sin(a x) features against the raw coordinates.

Both MLPs (depth 6, width 16, batch norm) train the same seeds as replicas; only the
input differs: (long, lat), or sin(a long) for a in 0.1..1.0 then sin(a lat) likewise.
"""

from __future__ import annotations

import pandas as pd
from stage_cities import MODEL_KEYS, TRAIN_KEYS, cities_stage, run_cities
from stage_shared import PLOTS, naming, read_summary, worker_count

from mlpcnn.cities.boundaries import plot_boundary_panels
from mlpcnn.cities.encodings import check_frequencies, sine_encoding
from mlpcnn.cities.figures import plot_mean_curves
from mlpcnn.cities.optimisation import finals
from mlpcnn.cities.selection import encoding_comparison, mean_curves, representative_seed
from mlpcnn.common.figures import series_table
from mlpcnn.common.io import write_csv
from mlpcnn.verdicts import cities as rules

KEY = "implicit_encoding"
OUT = PLOTS / KEY
KEYS = (*MODEL_KEYS, *TRAIN_KEYS, "frequencies", "seeds", "boundary_resolution")


def main() -> None:
    stage = cities_stage(KEY, KEYS)
    params, seeds = stage.params, stage.seeds
    with naming(KEY):
        frequencies = check_frequencies(params["frequencies"])
    encodings = {"raw": lambda x: x, "sine": lambda x: sine_encoding(x, frequencies)}
    runs = {}
    for name, encode in encodings.items():
        splits = stage.data.mapped(encode)
        config = stage.mlp(in_features=splits["train"][0].shape[1])
        runs[name] = (config, stage.training(config.batchnorm), splits)
    histories, models, seconds = {}, {}, {}  # the runs, side by side in worker processes
    for name, (model, result) in zip(runs, stage.train_all(list(runs.values())), strict=True):
        models[name] = model.to(stage.device)
        histories[name], seconds[name] = result.table(), result.train_seconds

    write_csv(OUT / "history.csv", pd.concat([h.assign(encoding=n) for n, h in histories.items()]))
    comparison = encoding_comparison(histories, "sine", "raw")
    write_csv(OUT / "accuracy.csv", comparison.pop("table").rename_axis("encoding").reset_index())
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
        mlp = models[name].replica(seeds.index(seed)).to(stage.device).eval()
        final = histories[name].query("seed == @seed")["test_acc"].iloc[-1]
        title = f"{name} input (seed {seed}): test accuracy {final:.4f}"
        panels[title] = lambda x, m=mlp, e=encode: m(e(x.to(stage.device))).argmax(dim=1)
    x_test, y_test = (t.cpu().numpy() for t in stage.data.splits["test"])
    plot_boundary_panels(panels, x_test, y_test, stage.data.n_classes, OUT / "boundaries.png",
                         title="6.2 Q7: decision boundaries over the test points (colour: country; "
                               "each panel's seed: final validation accuracy closest to its mean)",
                         resolution=params["boundary_resolution"])  # fmt: skip

    stage.write(
        {f"{n}_val_acc_mean": comparison[n]["val_acc_mean"] for n in encodings},
        {
            "encoding": "sin(a * long) for a in frequencies, then sin(a * lat) likewise",
            "frequencies": frequencies,
            "seeds": seeds,
            "epochs": params["epochs"],
            "depth": params["depth"],
            "width": params["width"],
            **comparison,
            "verdicts": rules.implicit(pd.read_csv(OUT / "history.csv")),  # as the report reads it
            "nearest_neighbour": read_summary("prepare_cities")["nearest_neighbour"],
        },
        seconds,
        {f"{n}_val_acc_mean": finals(h, "val_acc") for n, h in histories.items()},
        workers=worker_count(stage.device),
    )


if __name__ == "__main__":
    run_cities(main)

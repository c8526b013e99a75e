"""Evaluating whole splits after each epoch: the chunk size of issue 15 against before.

Every cities stage evaluates the train, validation and test splits (133,623 rows) for
every replica after every epoch; at the studies' shapes that was 35-55% of a stage's
time. Before issue 15 a forward pass took 65,536 rows, so one layer's activations of 20
replicas of a 16-wide network were 84 MB, far outside the cache: memory-bound. Now
``eval_rows`` keeps them near 2 MB. Each case evaluates the three splits of the real
data, old and new alternated over rounds in one run; it prints the median seconds per
epoch's evaluation, the ratio, and checks the accuracies are equal and the losses agree
to float rounding.

    python benchmarks/bench_eval.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from raw_cities import city_tensors

from mlpcnn.cities.encodings import fourier_encoding
from mlpcnn.cities.mlp import MLPConfig
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import eval_rows, evaluate

BEFORE = 1 << 16  # rows per forward pass before issue 15


def cases(n_classes: int) -> dict[str, tuple[MLPConfig, int, int]]:
    """name -> (network, replicas, input features), the stages' shapes."""
    return {
        "mlp_epochs (6 x 16, 5 seeds)": (MLPConfig(depth=6, width=16, n_classes=n_classes), 5, 2),
        "mlp_learning_rate (6 x 16, 20 replicas)": (
            MLPConfig(depth=6, width=16, n_classes=n_classes), 20, 2),
        "mlp_grid@d6_w64 (5 seeds)": (MLPConfig(depth=6, width=64, n_classes=n_classes), 5, 2),
        "residual_study (100 x 4, 20 seeds)": (
            MLPConfig(depth=100, width=4, n_classes=n_classes), 20, 2),
        "encoding_sweep@rff (512 inputs, 3 x 128 + BN, 3 seeds)": (
            MLPConfig(in_features=512, depth=3, width=128, n_classes=n_classes, batchnorm=True),
            3, 512),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    splits, n_classes = city_tensors()
    print(f"threads: {torch.get_num_threads()}; seconds per epoch's evaluation of the three "
          f"splits ({sum(len(y) for _, y in splits.values()):,} rows), median of "
          f"{args.rounds} alternated rounds")  # fmt: skip
    print("| case | rows before | rows now | before (s) | now (s) | ratio |")
    print("|---|---|---|---|---|---|")
    for name, (config, replicas, features) in cases(n_classes).items():
        model = stacked_mlps(config, list(range(replicas)))
        if features > 2:  # random Fourier features of the coordinates, as the sweep's
            matrix = torch.randn(2, features // 2, generator=torch.Generator().manual_seed(0))
            data = {s: (fourier_encoding(x, matrix), y) for s, (x, y) in splits.items()}
        else:
            data = splits
        rows = {"before": BEFORE, "now": eval_rows(model)}
        times: dict[str, list[float]] = {k: [] for k in rows}
        results = {}
        for _ in range(args.rounds):
            for kind, n in rows.items():
                start = time.perf_counter()
                results[kind] = [evaluate(model, x, y, rows=n) for x, y in data.values()]
                times[kind].append(time.perf_counter() - start)
        for (loss_b, acc_b), (loss_n, acc_n) in zip(results["before"], results["now"], strict=True):
            assert torch.equal(acc_b, acc_n), f"{name}: accuracies differ"
            torch.testing.assert_close(loss_b, loss_n, rtol=1e-5, atol=1e-6)
        before, now = (statistics.median(times[k]) for k in rows)
        print(f"| {name} | {rows['before']:,} | {rows['now']:,} | {before:.3f} | {now:.3f} "
              f"| **{before / now:.2f}x** |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

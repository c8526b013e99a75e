"""Where a CNN step's time goes on this CPU: the measurements issue 15 asks for first.

Times the two networks section 7 trains, at the stages' settings (batch 32 at 224 px for
a training step, batch 64 for evaluation, float32, Adam, one logit):

- ``scratch``: ResNet18 from random weights (deepfake@scratch, 5 learning rates);
- ``finetune``: the pretrained backbone (EfficientNet-Lite0 offline) with a linear head,
  every layer trained (deepfake@finetune, finetune_long, scratch_backbone's architecture).

Each is run in several variants in one process, interleaved (A B C A B C ...) so that a
change in the host's load hits every variant alike, and the median per variant is
printed with its ratio against the plain reference (a contiguous NCHW model, eager):

- ``contiguous``: the reference, what the course's notebook runs;
- ``channels_last``: what the pipeline runs today (model and input channels-last);
- ``compiled``: channels-last and ``torch.compile`` of the model (``--compile``; the
  compilation is timed separately, as a stage would pay it once per learning rate);
- ``bfloat16``: channels-last under ``torch.autocast("cpu", dtype=torch.bfloat16)``
  (``--bf16``), what ``deepfake.cpu_autocast`` turns on; it pays only on CPUs with
  bfloat16 matrix units (AMX), where ``auto`` turns it on.

The CPU's kernel level is printed (``torch.backends.cpu.get_cpu_capability()``). On an
AVX-512 machine, ``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`` runs the kernels
an AVX2-only machine gets.

    python benchmarks/bench_cnn_cpu.py [--case scratch finetune] [--rounds 3] [--steps 3]
                                       [--compile] [--bf16] [--threads N]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from mlpcnn.faces.backbones import random_architecture, resolve_backbone
from mlpcnn.faces.baselines import cpu_has_bf16_matrix_units

TRAIN_BATCH, EVAL_BATCH, SIZE = 32, 64, 224


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", nargs="+", choices=["scratch", "finetune"],
                        default=["scratch", "finetune"])  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per round")
    parser.add_argument("--compile", action="store_true", help="add the compiled variant")
    parser.add_argument("--bf16", action="store_true", help="add the bfloat16 autocast variant")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"kernels: {torch.backends.cpu.get_cpu_capability()}, threads: "
          f"{torch.get_num_threads()}, torch {torch.__version__}, ONEDNN_MAX_CPU_ISA="
          f"{os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}")  # fmt: skip
    variants = ["contiguous", "channels_last"] + (["compiled"] if args.compile else [])
    variants += ["bfloat16"] if args.bf16 else []
    print(f"bfloat16 matrix units (AMX): {cpu_has_bf16_matrix_units()}")
    for case in args.case:
        bench_case(case, variants, args.rounds, args.steps)


def build(case: str) -> Callable[[], nn.Module]:
    if case == "scratch":
        return lambda: random_architecture("resnet18")
    backbone = resolve_backbone("auto")

    def fresh() -> nn.Module:  # a copy each: variants must not share (or convert) weights
        return nn.Sequential(copy.deepcopy(backbone.features), nn.Linear(backbone.feature_dim, 1))

    return fresh


def bench_case(case: str, variants: list[str], rounds: int, steps: int) -> None:
    make = build(case)
    generator = torch.Generator().manual_seed(0)
    train_x = torch.rand(TRAIN_BATCH, 3, SIZE, SIZE, generator=generator)
    train_y = torch.randint(0, 2, (TRAIN_BATCH,), generator=generator).float()
    eval_x = torch.rand(EVAL_BATCH, 3, SIZE, SIZE, generator=generator)
    models, compile_seconds = {}, {}
    for variant in variants:
        torch.manual_seed(0)
        model = make()
        if variant != "contiguous":
            model = model.to(memory_format=torch.channels_last)
        if variant == "compiled":
            model = torch.compile(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        start = time.perf_counter()
        step(model, optimizer, layout(train_x, variant), train_y, variant == "bfloat16")  # warm-up
        evaluate(model, layout(eval_x, variant), variant == "bfloat16")
        compile_seconds[variant] = time.perf_counter() - start
        models[variant] = (model, optimizer)
    train = {v: [] for v in variants}
    infer = {v: [] for v in variants}
    for _ in range(rounds):
        for variant in variants:
            model, optimizer = models[variant]
            x, e = layout(train_x, variant), layout(eval_x, variant)
            start = time.perf_counter()
            for _ in range(steps):
                step(model, optimizer, x, train_y, variant == "bfloat16")
            train[variant].append(steps * TRAIN_BATCH / (time.perf_counter() - start))
            start = time.perf_counter()
            evaluate(model, e, variant == "bfloat16")
            infer[variant].append(EVAL_BATCH / (time.perf_counter() - start))
    print(f"\n{case}: images/s, median of {rounds} interleaved rounds ({steps} training "
          f"steps of {TRAIN_BATCH}, one evaluation batch of {EVAL_BATCH})")  # fmt: skip
    header = ("variant", "train", "ratio", "eval", "ratio", "first call")
    print("{:14s} {:>8s} {:>6s} {:>8s} {:>6s} {:>11s}".format(*header))
    base_t, base_e = statistics.median(train["contiguous"]), statistics.median(infer["contiguous"])
    for variant in variants:
        t, e = statistics.median(train[variant]), statistics.median(infer[variant])
        print(f"{variant:14s} {t:8.1f} {t / base_t:5.2f}x {e:8.1f} {e / base_e:5.2f}x "
              f"{compile_seconds[variant]:10.1f}s")  # fmt: skip


def layout(x: torch.Tensor, variant: str) -> torch.Tensor:
    return x if variant == "contiguous" else x.contiguous(memory_format=torch.channels_last)


def step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    bf16: bool = False,
):
    model.train()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = F.binary_cross_entropy_with_logits(model(x).flatten(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


@torch.inference_mode()
def evaluate(model: nn.Module, x: torch.Tensor, bf16: bool = False) -> None:
    model.eval()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(x)


if __name__ == "__main__":
    main()

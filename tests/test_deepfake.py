from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mlpcnn.common.params import InvalidParam
from mlpcnn.faces.baselines import (
    accuracy,
    flips_and_crops,
    frozen_features,
    handmade_run,
    logistic_regression,
    predict_probs,
    residual_energy,
    resolve_precision,
    run_torch,
    to_device,
    to_unit,
    xgboost_run,
)
from mlpcnn.faces.diagnosis import AS_TRAINED, LONGER, RECOMPUTED, TRAIN_MODE, recompute_batch_norm
from mlpcnn.faces.strategies import STRATEGIES, TORCH, Settings, input_of, run_strategy, training


@pytest.fixture
def tiny_faces() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """uint8 images 3 x 32 x 32: fakes are brighter, a learnable difference."""
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = np.arange(n) % 2
        images = rng.integers(0, 120, size=(n, 3, 32, 32)) + labels[:, None, None, None] * 100
        return torch.from_numpy(images.astype(np.uint8)), torch.from_numpy(labels.astype(np.int64))

    return {"train": split(16), "val": split(8), "test": split(8)}


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1)
    )


def test_a_torch_strategy_runs_and_is_reproducible(tiny_faces) -> None:
    a = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=3, batch_size=4)
    b = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=3, batch_size=4)
    assert a.batch_loss.shape == (12,) and np.array_equal(a.batch_loss, b.batch_loss)
    assert np.array_equal(a.test_probs, b.test_probs) and a.test_probs.shape == (8,)
    assert 0 <= a.val_acc <= 1 and a.test_acc == accuracy(
        a.test_probs, tiny_faces["test"][1].numpy()
    )


class OneBias(nn.Module):
    """A logit that is one parameter: with every label 1 its gradient is about -0.5 at
    each step, so Adam moves it by the step's learning rate (m / sqrt(v) = 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b.expand(len(x), 1)


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_each_step_moves_by_the_scheduled_rate_and_the_augmentation_sees_each_batch(
    tiny_faces, schedule: str
) -> None:
    images, _ = tiny_faces["train"]
    data = {**tiny_faces, "train": (images, torch.ones(16, dtype=torch.int64))}
    model, before_each_step = OneBias(), []

    def augment(x: torch.Tensor) -> torch.Tensor:
        before_each_step.append(model.b.item())
        return x.flip(-1)

    result = run_torch(lambda: model, data, to_unit, lr=1e-3, seed=0, epochs=2, batch_size=4,
                       schedule=schedule, augment=augment)  # fmt: skip
    assert len(before_each_step) == len(result.batch_loss) == 8  # 4 batches, 2 epochs
    moved = np.diff(before_each_step)  # steps 0..6
    t = np.arange(7)
    expected = 1e-3 * ((1 + np.cos(np.pi * t / 8)) / 2 if schedule == "cosine" else np.ones(7))
    np.testing.assert_allclose(moved, expected, rtol=1e-2)


def test_linear_probe_features_are_computed_once_in_eval_mode(tiny_faces) -> None:
    backbone = nn.Sequential(
        nn.Conv2d(3, 2, 3), nn.BatchNorm2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    backbone.train()
    features = frozen_features(backbone, tiny_faces["train"][0], to_unit)
    assert features.shape == (16, 2) and not backbone.training and not features.requires_grad
    again = frozen_features(backbone, tiny_faces["train"][0], to_unit, batch=5)
    torch.testing.assert_close(features, again)  # eval mode: batch composition does not matter


def test_logistic_regression_reports_convergence(tiny_faces) -> None:
    data = {s: (x.float().flatten(1).numpy() / 255, y.numpy()) for s, (x, y) in tiny_faces.items()}
    converged = logistic_regression(data, max_iter=5000, seed=0)
    assert converged.extra["converged"] and converged.test_acc >= 0.75
    stopped = logistic_regression(data, max_iter=1, seed=0)
    assert stopped.extra["converged"] is False and stopped.extra["iterations"] == 1


def test_xgboost_on_pixels(tiny_faces) -> None:
    data = {s: (x.float().flatten(1).numpy() / 255, y.numpy()) for s, (x, y) in tiny_faces.items()}
    result = xgboost_run(data, seed=0, learning_rate=None)
    assert result.test_probs.shape == (8,) and result.test_acc >= 0.75


def test_predict_probs_in_eval_mode(tiny_faces) -> None:
    model = small_cnn()
    images = tiny_faces["val"][0]
    probs = predict_probs(model, images, to_unit, batch=3)
    assert probs.shape == (8,) and ((probs > 0) & (probs < 1)).all() and not model.training
    with torch.no_grad():  # batches of 3 read in place give the whole split's one pass
        whole = torch.sigmoid(model(to_unit(images)).flatten()).double().numpy()
    np.testing.assert_allclose(probs, whole, rtol=1e-5)


def test_residual_energy_sees_high_frequencies_and_the_handmade_detector_uses_them() -> None:
    rng = np.random.default_rng(0)
    smooth = np.repeat(np.repeat(rng.integers(0, 255, (8, 3, 8, 8)), 4, axis=2), 4, axis=3)
    checker = (np.indices((32, 32)).sum(axis=0) % 2 * 40)[None, None]
    blocky = np.clip(smooth + checker, 0, 255)
    energy = residual_energy(torch.from_numpy(np.concatenate([smooth, blocky]).astype(np.uint8)))
    assert energy.shape == (16, 3) and (energy[8:] > energy[:8]).all()

    def split(n: int, offset: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = np.arange(n) % 2
        base = np.repeat(np.repeat(rng.integers(0, 200, (n, 3, 8, 8)), 4, 2), 4, 3)
        images = np.clip(base + labels[:, None, None, None] * checker, 0, 255).astype(np.uint8)
        return torch.from_numpy(images), torch.from_numpy(labels)

    data = {"train": split(20, 0), "val": split(6, 1), "test": split(6, 2)}
    result = handmade_run(data, seed=0)
    assert result.test_acc == 1.0 and result.val_acc == 1.0 and len(result.extra) == 1


def test_flips_and_crops_work_at_any_size_and_flip_the_whole_batch() -> None:
    batch = torch.arange(2 * 3 * 40 * 56, dtype=torch.float32).reshape(2, 3, 40, 56)
    torch.manual_seed(0)
    outputs = [flips_and_crops(40, 56)(batch) for _ in range(20)]
    assert all(out.shape == batch.shape for out in outputs)
    assert len({float(out.sum()) for out in outputs}) > 1  # random crops differ
    # without the crop, each call flips the whole batch or none of it, and both happen
    whole = [flips_and_crops(40, 56, crop=1.0)(batch) for _ in range(20)]
    flipped = [torch.equal(out, batch.flip(-1)) for out in whole]
    assert all(f or torch.equal(out, batch) for f, out in zip(flipped, whole, strict=True))
    assert any(flipped) and not all(flipped)


def test_data_moves_to_the_device_the_strategies_run_on(tiny_faces) -> None:
    moved = to_device(tiny_faces, torch.device("cpu"))
    assert all(x.device.type == "cpu" and x.dtype == torch.uint8 for x, _ in moved.values())
    result = run_torch(small_cnn, moved, to_unit, lr=0.05, seed=3, epochs=1, batch_size=4)
    same = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=1, batch_size=4)
    assert np.array_equal(result.test_probs, same.test_probs)  # the CPU path is unchanged


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_run_matches_the_cpu_run_closely(tiny_faces) -> None:
    cuda = to_device(tiny_faces, torch.device("cuda"))
    assert all(x.device.type == "cuda" for x, _ in cuda.values())
    gpu = run_torch(small_cnn, cuda, to_unit, lr=0.05, seed=3, epochs=1, batch_size=4)
    cpu = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=1, batch_size=4)
    assert np.abs(gpu.test_probs - cpu.test_probs).max() < 0.05  # bfloat16 autocast


def arrays(per_class: int, size: int = 32, seed: int = 0) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    labels = {s: np.repeat([0, 1], per_class) for s in ("train", "val", "test")}
    images = {s: rng.integers(0, 255, (len(y), 3, size, size)).astype(np.uint8)
              for s, y in labels.items()}  # fmt: skip
    return images, labels


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_runs_on_tiny_arrays(strategy: str) -> None:
    images, labels = arrays(per_class=3)
    if input_of(strategy) == "xgboost":
        images = {s: x[:, :, :8, :8].reshape(len(x), -1) for s, x in images.items()}
    # the shared learning rates reach every strategy; those without one ignore them
    settings = Settings(seeds=(0,), lrs=[None] if strategy == "xgboost" else [0.001],
                        augment=strategy == "finetune_long", max_iter=50)  # fmt: skip
    done = run_strategy(strategy, images, labels, settings)
    runs, notes = done.runs(), done.notes
    assert list(runs) == (["lr 0.001"] if strategy in TORCH else ["default"]) and "model" in notes
    if strategy == "scratch_backbone":  # the de-confounded arm: the pretrained one's net
        assert "from random initialisation" in notes["model"]
    run = next(iter(runs.values()))
    assert run.test_probs.shape == (6,) and 0 <= run.test_acc <= 1 and run.model is None
    record = training(strategy, settings)
    if strategy in ("xgboost", "sklearn_logreg", "handmade"):
        assert record is None  # no epochs, batches or Adam to report
    else:
        assert record["optimizer"] == "adam"


def test_xgboost_keeps_its_default_run_beside_a_learning_rate_sweep() -> None:
    images, labels = arrays(per_class=3, size=4)
    flat = {s: x.reshape(len(x), -1) for s, x in images.items()}
    done = run_strategy("xgboost", flat, labels, Settings(seeds=(0, 4), lrs=[0.1, 0.3]))
    assert (
        list(done.sweep) == ["default", "lr 0.1", "lr 0.3"] and "extra sweep" in done.notes["model"]
    )
    # the defaults are the chosen run; the other seed retrains them, never the extra rates
    assert done.chosen == "default" and list(done.seeds) == [0, 4]
    assert list(done.runs()) == ["default", "lr 0.1", "lr 0.3", "default seed 4"]


def test_the_chosen_rate_is_retrained_with_every_seed() -> None:
    images, labels = arrays(per_class=3)
    settings = Settings(seeds=(0, 1, 2), lrs=[0.01, 0.001], max_iter=50)
    done = run_strategy("linear_probe", images, labels, settings)
    assert list(done.sweep) == ["lr 0.01", "lr 0.001"] and list(done.seeds) == [0, 1, 2]
    assert done.seeds[0] is done.sweep[done.chosen]  # the sweep's run is the first seed's
    names = done.seed_names()
    assert names == {0: done.chosen, 1: f"{done.chosen} seed 1", 2: f"{done.chosen} seed 2"}
    assert set(done.seconds()) == set(done.runs())
    again = run_strategy("linear_probe", images, labels, settings)
    for k in (0, 1, 2):  # same params and seed, same predictions
        assert np.array_equal(done.seeds[k].test_probs, again.seeds[k].test_probs)


def test_a_constant_scratch_network_is_diagnosed() -> None:
    """Training images of one class only make the run constant (it calls every test image
    real); the diagnosis then reads the kept weights four ways and says which fits."""
    images, labels = arrays(per_class=3)
    labels["train"] = np.zeros_like(labels["train"])
    settings = Settings(seeds=(0,), lrs=[0.1], batch_size=4, diagnosis_steps=5)
    done = run_strategy("scratch", images, labels, settings)
    assert (done.sweep[done.chosen].test_probs < 0.5).all()
    dx = done.diagnosis
    assert dx is not None and dx["longer_steps"] == 5  # max(5, twice the run's 2 steps)
    assert set(dx["variants"]) == {AS_TRAINED, TRAIN_MODE, RECOMPUTED, LONGER}
    assert dx["explanation"] in ("running statistics", "too few steps", "neither")
    assert "diagnosis: the course's step count" in done.seconds()
    assert all(r.model is None for r in done.sweep.values())  # weights not kept after


def test_recomputed_batch_norm_statistics_and_train_mode_prediction(tiny_faces) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1))  # fmt: skip
    images = tiny_faces["train"][0]
    fresh = recompute_batch_norm(model, images, to_unit, batch=4)
    bn = fresh[1]
    with torch.no_grad():  # the cumulative average of the batches' means, by hand
        means = [model[0](to_unit(images[i : i + 4])).mean(dim=(0, 2, 3)) for i in range(0, 16, 4)]
    assert torch.allclose(bn.running_mean, torch.stack(means).mean(0), atol=1e-5)
    assert torch.equal(model[1].running_mean, torch.zeros(4))  # the original is left alone
    before = model.eval()[1].running_var.clone()
    train = predict_probs(model, tiny_faces["test"][0], to_unit, batch=4, train_mode=True)
    assert torch.equal(model[1].running_var, before) and not model.training
    evaluated = predict_probs(model, tiny_faces["test"][0], to_unit, batch=4)
    assert train.shape == evaluated.shape == (8,) and not np.allclose(train, evaluated)


def test_train_mode_prediction_puts_the_shuffled_images_back_in_order(tiny_faces) -> None:
    """Without batch norm, train mode changes nothing: any mix-up of the order shows."""
    torch.manual_seed(0)
    model = small_cnn()
    images = torch.cat([tiny_faces["test"][0], tiny_faces["val"][0][:1]])  # 9: a batch of 1 left
    evaluated = predict_probs(model, images, to_unit, batch=4)
    train = predict_probs(model, images, to_unit, batch=4, train_mode=True)
    assert np.allclose(train, evaluated, atol=1e-6) and len(np.unique(evaluated)) == 9
    with_bn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(1))
    with_bn(to_unit(images[:2]))
    assert predict_probs(with_bn, images, to_unit, batch=4, train_mode=True).shape == (9,)


def test_training_for_a_number_of_steps_runs_exactly_that_many_batches(tiny_faces) -> None:
    result = run_torch(small_cnn, tiny_faces, to_unit, lr=0.01, seed=0, batch_size=4, steps=10)
    assert len(result.batch_loss) == 10  # 16 images: 4 batches an epoch, 2.5 epochs


def test_cpu_autocast_param_resolves_from_the_cpu(monkeypatch) -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_precision("off", cpu) == "float32"
    assert resolve_precision("bfloat16", cpu) == "bfloat16"
    assert resolve_precision("off", cuda) == "bfloat16"  # CUDA always runs it
    import mlpcnn.faces.baselines as baselines

    monkeypatch.setattr(baselines, "cpu_flags", lambda: {"avx2", "avx512f"})
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert resolve_precision("auto", cpu) == "bfloat16"  # Intel AMX
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert resolve_precision("auto", cpu) == "float32"  # emulated: slower
    monkeypatch.setattr(baselines, "cpu_flags", lambda: {"avx512f", "avx512_bf16"})
    assert resolve_precision("auto", cpu) == "bfloat16"  # AMD Zen 4 and later
    with pytest.raises(InvalidParam, match="cpu_autocast: expected one of auto, bfloat16, off"):
        resolve_precision("bf16", cpu)


def test_forced_bfloat16_on_the_cpu_runs_and_stays_close_to_float32(tiny_faces) -> None:
    a = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=2, batch_size=4)
    b = run_torch(small_cnn, tiny_faces, to_unit, lr=0.05, seed=3, epochs=2, batch_size=4,
                  precision="bfloat16")  # fmt: skip
    assert np.isfinite(b.batch_loss).all() and not np.array_equal(a.batch_loss, b.batch_loss)
    # bfloat16 keeps 8 bits (0.4%); seen 4e-4 apart on an AMD EPYC: the bound leaves two
    # orders of magnitude for another CPU's bfloat16 kernels.
    assert np.abs(a.test_probs - b.test_probs).max() < 0.05


@pytest.mark.parametrize(
    ("strategy", "settings", "message"),
    [
        ("vgg", Settings(seeds=(0,)), "strategy: expected one of"),
        ("scratch", Settings(seeds=(0,)), "lrs: scratch needs learning rates"),
        ("scratch", Settings(seeds=(0,), lrs=[-1.0]), "lrs: expected positive learning rates"),
        ("linear_probe", Settings(seeds=(0,), lrs=[0.1], augment=True), "augment: linear_probe"),
        ("finetune", Settings(seeds=(0,), lrs=[0.1], schedule="step"), "schedule: expected one of"),
        ("finetune", Settings(seeds=(0,), lrs=[0.1], epochs=0), "epochs: expected a positive"),
        ("finetune", Settings(seeds=(0, 0), lrs=[0.1]), "seeds: expected distinct"),
        ("finetune", Settings(seeds=(), lrs=[0.1]), "seeds: expected distinct"),
    ],
)
def test_bad_settings_are_named(strategy: str, settings: Settings, message: str) -> None:
    images, labels = arrays(per_class=1)
    with pytest.raises(InvalidParam, match=message):
        run_strategy(strategy, images, labels, settings)

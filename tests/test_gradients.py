from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlpcnn.cities.gradients import (
    GradientRecorder,
    PlainStudy,
    alive_units,
    dead_layers,
    decay_per_layer,
    initial_profile,
    layer_series,
    quantile_profile,
    quartiles,
    representative,
    simulate_default_init,
    topmost,
    zero_below,
)
from mlpcnn.cities.mlp import MLPConfig, seeded_mlp
from mlpcnn.cities.replicas import stacked_mlps
from mlpcnn.cities.training import TrainConfig, per_replica_loss, train_replicas
from mlpcnn.common.params import InvalidParam

ROOT = Path(__file__).resolve().parents[1]


def test_recorder_matches_autograd_on_a_plain_loop(toy_cities) -> None:
    """Per layer, per epoch: mean over batches of ||dL/dW||^2, as autograd gives it."""
    config = MLPConfig(depth=4, width=3, n_classes=4)
    train = TrainConfig(epochs=2, batch_size=100)
    x, y = toy_cities["train"]
    model = stacked_mlps(config, [7])
    recorder = GradientRecorder(model, train.steps_per_epoch(len(y)), train.epochs)
    train_replicas(model, (x, y), {}, train, after_backward=recorder, progress=False)

    reference = seeded_mlp(config, 7)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, fused=True)
    generator = torch.Generator().manual_seed(7)
    expected = np.zeros((2, 4))
    for epoch in range(2):
        order = torch.randperm(len(y), generator=generator)
        for step in range(6):
            idx = order[step * 100 : (step + 1) * 100]
            optimizer.zero_grad()
            F.cross_entropy(reference(x[idx]), y[idx]).backward()
            for layer in range(4):
                expected[epoch, layer] += (
                    reference.hidden[layer].linear.weight.grad.pow(2).sum().item() / 6
                )
            optimizer.step()
    # batched GEMMs against nn.Linear's: they round differently, by CPU; squared norms
    # carry no cancellation, so relative, with an absolute floor far below every value
    np.testing.assert_allclose(
        recorder.epoch_means()[:, :, 0], expected, rtol=1e-4, atol=1e-9 * expected.max()
    )


def test_zero_gradients_are_recorded_as_zero(toy_cities) -> None:
    config = MLPConfig(depth=3, width=2, n_classes=4)
    model = stacked_mlps(config, [0, 1])
    with torch.no_grad():
        model.weights[0].zero_()  # layer 0 outputs its bias only: later layers see constants
        model.biases[0].fill_(-1.0)  # ... and ReLU(-1) = 0: everything below is dead
    train = TrainConfig(epochs=1, batch_size=200, lr=1e-6)
    recorder = GradientRecorder(model, train.steps_per_epoch(600), 1)
    train_replicas(model, toy_cities["train"], {}, train, after_backward=recorder, progress=False)
    means = recorder.epoch_means()
    assert means.shape == (1, 3, 2)
    assert (means[0, 0] == 0).all() and (means[0, 1] == 0).all()


def hand_built(depth: int = 4, width: int = 3, dead: int | None = 2, replicas: int = 2):
    """A ReplicaMLP whose hidden layer ``dead`` has zero weights and bias -1 (dead), and
    every other hidden layer positive weights and bias 0.5 (alive for any input)."""
    model = stacked_mlps(MLPConfig(depth=depth, width=width, n_classes=4), list(range(replicas)))
    with torch.no_grad():
        for i in range(depth):
            if i == dead:
                model.weights[i].zero_()
                model.biases[i].fill_(-1.0)
            else:
                model.weights[i].abs_()
                model.biases[i].fill_(0.5)
    return model


def test_the_dead_layer_detector_finds_the_layer_with_negative_biases(toy_cities) -> None:
    x = toy_cities["train"][0]
    dead = dead_layers(alive_units(hand_built(dead=2), x))
    assert dead.shape == (2, 4) and dead.tolist() == [[False, False, True, False]] * 2
    assert topmost(dead).tolist() == [2, 2]
    assert zero_below(dead).tolist() == [4, 4]  # layers 0-2, and layer 3 (its input is 0)
    healthy = dead_layers(alive_units(hand_built(dead=None), x))
    assert not healthy.any() and topmost(healthy).tolist() == [-1, -1]


def test_a_dead_layer_gives_exact_zeros_below_it_and_finite_values_above(toy_cities) -> None:
    x, y = toy_cities["train"]
    profile = initial_profile(hand_built(depth=5, dead=1), x[:64], y[:64])
    assert profile.shape == (2, 5)
    assert np.isneginf(profile[:, :3]).all()  # layers 0, 1 and 2 (whose input is 0)
    assert np.isfinite(profile[:, 3:]).all()


def test_the_float64_profile_is_autograds(toy_cities) -> None:
    x, y = toy_cities["train"]
    config = MLPConfig(depth=3, width=3, n_classes=4)
    model = stacked_mlps(config, [5])
    profile = initial_profile(model, x[:50], y[:50])
    reference = seeded_mlp(config, 5).double()
    F.cross_entropy(reference(x[:50].double()), y[:50]).backward()
    expected = [reference.hidden[i].linear.weight.grad.pow(2).sum().item() for i in range(3)]
    np.testing.assert_allclose(10 ** profile[0], expected, rtol=1e-9, atol=1e-14 * max(expected))


def test_the_recorder_matches_autograd_in_float64(toy_cities) -> None:
    """Both figures, the squared norm and ||grad W|| / ||W||, on one hand-made step."""
    x, y = toy_cities["train"]
    config = MLPConfig(depth=3, width=3, n_classes=4)
    model = stacked_mlps(config, [1, 2]).double()
    recorder = GradientRecorder(model, steps_per_epoch=1, epochs=1)
    per_replica_loss(model(x[:40].double()), y[:40].expand(2, -1)).sum().backward()
    recorder(model, 0)
    for r, seed in enumerate((1, 2)):
        reference = seeded_mlp(config, seed).double()
        F.cross_entropy(reference(x[:40].double()), y[:40]).backward()
        for i in range(3):
            weight = reference.hidden[i].linear.weight
            squared = weight.grad.pow(2).sum().item()
            # rel 1e-9, not exact: the stacked model's batched GEMM and the single model's
            # GEMM may take different MKL kernels (by CPU vendor and batch size).
            assert recorder.epoch_means()[0, i, r] == pytest.approx(squared, rel=1e-9)
            ratio = weight.grad.norm().item() / weight.norm().item()
            assert recorder.epoch_ratios()[0, i, r] == pytest.approx(ratio, rel=1e-9)


def test_summaries_of_hand_made_profiles() -> None:
    dead = np.array([[False, True, False, False, False, False], [False] * 6])
    profile = np.array([[-np.inf, -np.inf, -np.inf, -8.0, -6.0, -4.0], [-10, -8, -6, -4, -2, 0.0]])
    slopes = decay_per_layer(profile, dead)
    assert slopes == pytest.approx([2.0, 2.0])  # layers 3-5 only for the first (dead at 1)
    assert representative(np.array([90, -1, 40, 95, 60]), np.zeros(5)) == 4  # median of 40,60,90,95
    assert representative(np.array([-1, -1, -1]), np.array([0.3, 0.1, 0.2])) == 2
    frame = quantile_profile(np.array([[0.0, -np.inf], [2.0, -np.inf], [4.0, 1.0]]))
    assert frame["median"].tolist()[0] == 2.0 and frame["zero_fraction"].tolist() == [0.0, 2 / 3]


def test_the_simulation_agrees_with_the_torch_initialisation() -> None:
    """Dead layers of PyTorch's default init, in torch (float32) and in numpy (float64),
    on the real coordinates: the same fractions within sampling error."""
    from mlpcnn.cities.data import read_cities_csv

    cities = read_cities_csv(ROOT / "data/raw/cities/train.csv")
    x = torch.from_numpy(cities.features[:2000].astype(np.float32))
    config = MLPConfig(depth=100, width=4, n_classes=33)
    seeds = list(range(60))
    torch_dead = dead_layers(alive_units(stacked_mlps(config, seeds), x))
    numpy_dead = simulate_default_init(x.numpy(), 100, 4, seeds=300, seed=1)
    for flags in (lambda d: d.any(axis=1), lambda d: zero_below(d) == 100):
        p_torch, p_numpy = flags(torch_dead).mean(), flags(numpy_dead).mean()
        error = np.sqrt(p_numpy * (1 - p_numpy) / len(seeds) + p_numpy * (1 - p_numpy) / 300)
        assert abs(p_torch - p_numpy) <= 3 * error + 1 / len(seeds), (p_torch, p_numpy)
    assert numpy_dead.any(axis=1).mean() > 0.9  # the phenomenon itself


def test_init_choices(toy_cities) -> None:
    he = seeded_mlp(MLPConfig(depth=2, width=400, n_classes=4, init="he"), 0)
    weight = he.hidden[1].linear.weight
    assert weight.std().item() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert (he.hidden[1].linear.bias == 0).all()
    zero = seeded_mlp(MLPConfig(depth=3, width=4, residual=True, zero_branch=True), 0)
    assert (zero.hidden[1].linear.weight == 0).all() and (zero.hidden[2].linear.bias == 0).all()
    assert (zero.hidden[0].linear.weight != 0).any()  # the input layer is no residual block
    x = toy_cities["train"][0][:8]
    first = zero.hidden[0](x)
    assert torch.equal(zero.hidden(x), first)  # every block starts as the identity
    with pytest.raises(InvalidParam, match=r"^init: expected one of default, he"):
        MLPConfig(init="xavier")
    with pytest.raises(InvalidParam, match=r"^zero_branch: needs residual"):
        MLPConfig(zero_branch=True)


def test_zeros_are_drawn_at_the_floor_and_flagged() -> None:
    frame = layer_series(np.array([[0.0, 2.0], [1e-3, 0.0]]), [0, 1], floor=1e-20)
    assert frame["magnitude"].tolist() == [1e-20, 1e-3, 2.0, 1e-20]
    assert frame["zero"].tolist() == [True, False, False, True]
    assert frame["series"].tolist() == ["layer 0", "layer 0", "layer 1", "layer 1"]


def test_the_plain_study_summary_on_hand_made_seeds() -> None:
    """Three seeds of a 4-layer net: seed 10 has no dead layer, 11 dies at layer 1 (so
    layers 0-2 get exact zeros), 12 at layer 3 (every layer gets zeros)."""
    dead = np.zeros((3, 4), dtype=bool)
    dead[1, 1] = dead[2, 3] = True
    magnitudes = np.ones((2, 4, 3))  # (epochs, layers, R)
    magnitudes[:, :3, 1] = 0.0
    magnitudes[:, :, 2] = 0.0
    profile = np.log10(np.array([[1e-6, 1e-4, 1e-2, 1.0]] * 3))  # 2 decades a layer
    study = PlainStudy(
        seeds=[10, 11, 12], dead_init=dead, dead_final=dead, profile_init=profile,
        magnitudes=magnitudes, final_val_acc=np.array([0.5, 0.3, 0.1]),
        simulated=np.array([[False] * 4, [True, False, False, False]]),
    )  # fmt: skip
    per_seed = study.per_seed()
    assert per_seed["topmost_dead_final"].tolist() == [-1, 1, 3]
    assert per_seed["zero_layers_last_epoch"].tolist() == [0, 3, 4]
    np.testing.assert_allclose(per_seed["decay_decades_per_layer_init"][0], 2.0)
    assert study.representative == 1  # the lower median of topmost dead layers 1 and 3
    summary = study.summary([0, 3], profile_rows=64)
    assert summary["representative_seed"] == 11 and summary["representative_topmost_dead"] == 1
    assert summary["seeds_with_dead_layer"] == {"init": 2 / 3, "after_training": 2 / 3}
    assert summary["seeds_all_zero_last_epoch"] == pytest.approx(1 / 3)
    assert summary["zero_layers_explained_by_dead"] == 3
    assert summary["last_epoch"] == {"layer_0": 0.0, "layer_3": 1.0}
    assert summary["simulation"]["with_dead_layer"] == 0.5
    assert summary["topmost_dead_after_training"] == quartiles(np.array([1, 3]))
    assert quartiles(np.array([])) == {"n": 0, "q25": None, "median": None, "q75": None}


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_the_profile_runs_with_the_model_on_any_device_and_leaves_it_alone(
    toy_cities, device
) -> None:
    """gradient_study moves the model to its device and hands the profile CPU rows: the
    float64 copy runs on the CPU (the CUDA run crashed here with mixed devices). The
    CUDA case runs where a GPU exists."""
    x, y = toy_cities["train"]
    config = MLPConfig(depth=3, width=3, n_classes=4)
    model = stacked_mlps(config, [5]).to(device)
    profile = initial_profile(model, x[:50].cpu(), y[:50].cpu())
    expected = initial_profile(stacked_mlps(config, [5]), x[:50], y[:50])
    # log10 of float64 squared norms (near 0 for a norm near 1): an absolute tolerance
    np.testing.assert_allclose(profile, expected, rtol=0, atol=1e-9)
    assert model.weights[0].device.type == device and model.weights[0].dtype == torch.float32
    assert all(w.grad is None for w in model.weights)

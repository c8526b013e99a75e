from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlpcnn.cities.mlp import MLPConfig, seeded_mlp
from mlpcnn.cities.replicas import ReplicaMLP, stacked_mlps
from mlpcnn.cities.training import (
    TrainConfig,
    check_lrs,
    eval_rows,
    evaluate,
    flushing,
    predict_logits,
    train_replicas,
    train_seeds,
)

CONFIG = MLPConfig(depth=3, width=8, n_classes=4, batchnorm=True)
TRAIN = TrainConfig(epochs=3, batch_size=64)


def fit(toy, seeds, lrs=None, config=CONFIG, train=TRAIN):
    model = stacked_mlps(config, seeds)
    result = train_replicas(model, toy["train"], toy, train, lrs=lrs, progress=False)
    return model, result


def test_history_has_every_split_and_learns(toy_cities) -> None:
    _, result = fit(toy_cities, [0], train=TrainConfig(epochs=10, batch_size=32))
    frame = result.frame(0)
    assert list(frame["epoch"]) == list(range(1, 11))
    for split in ("train", "val", "test"):
        assert {f"{split}_loss", f"{split}_acc"} <= set(frame.columns)
    assert frame["val_loss"].iloc[-1] < frame["val_loss"].iloc[0]
    assert frame["val_acc"].iloc[-1] > 0.8
    assert result.steps_per_epoch == 600 // 32


@pytest.mark.parametrize("batchnorm", [False, True])
def test_batched_replica_reproduces_the_run_trained_alone(toy_cities, batchnorm: bool) -> None:
    config = MLPConfig(depth=3, width=8, n_classes=4, batchnorm=batchnorm)
    seeds = [11, 22, 33]
    together_model, together = fit(toy_cities, seeds, config=config)
    # A GEMM batched over 3 replicas and one over 1 may round differently (by CPU: MKL
    # picks kernels by vendor and batch size). Without batch norm that stays at rounding.
    # With it, the gradient of a bias before a norm is zero up to rounding, which Adam
    # turns into full-size steps: those biases and the running means that follow them
    # drift apart while the network computes the same function, so the losses in eval
    # mode (running statistics, a few steps late) agree to 1e-3 and those biases are
    # left out of the comparison.
    loss_rtol = 1e-3 if batchnorm else 1e-5
    drifting = {f"hidden.{i}.{k}" for i in range(config.depth)
                for k in ("linear.bias", "norm.running_mean")} if batchnorm else set()  # fmt: skip
    for r, seed in enumerate(seeds):
        alone_model, alone = fit(toy_cities, [seed], config=config)
        for name, values in alone.history.items():
            rtol = 1e-5 if "acc" in name or "running" in name else loss_rtol
            atol = 1 / 200 if "acc" in name else 1e-6  # an item on the margin may flip
            np.testing.assert_allclose(
                together.history[name][:, r], values[:, 0], rtol=rtol, atol=atol, err_msg=name
            )
        mine, theirs = together_model.replica(r).state_dict(), alone_model.replica(0).state_dict()
        assert mine.keys() == theirs.keys() and drifting <= mine.keys()
        for key in mine.keys() - drifting:
            torch.testing.assert_close(mine[key], theirs[key], rtol=1e-4, atol=1e-5, msg=key)


def test_replicas_with_their_own_learning_rates(toy_cities) -> None:
    """Per-replica rates are exact up to rounding. (No batch norm here, as in the learning
    rate study: with it, the biases before a norm have a gradient that is zero up to
    rounding, which Adam normalises into full-size steps, so two runs that differ by
    one rounding drift apart in those biases while computing the same function.)"""
    config = MLPConfig(depth=3, width=8, n_classes=4)
    lrs = [1e-2, 1e-3, 1e-4]
    _, together = fit(toy_cities, [5, 5, 5], lrs=lrs, config=config)
    for r, lr in enumerate(lrs):
        _, alone = fit(
            toy_cities, [5], config=config, train=TrainConfig(epochs=3, batch_size=64, lr=lr)
        )
        for name, values in alone.history.items():
            np.testing.assert_allclose(
                together.history[name][:, r], values[:, 0], rtol=1e-4, atol=1e-6
            )


def test_same_seed_gives_identical_metrics(toy_cities) -> None:
    _, a = fit(toy_cities, [3, 4])
    _, b = fit(toy_cities, [3, 4])
    for name in a.history:
        assert np.array_equal(a.history[name], b.history[name])
    _, c = fit(toy_cities, [5, 4])
    assert not np.array_equal(a.history["val_loss"][:, 0], c.history["val_loss"][:, 0])


@pytest.mark.parametrize("batchnorm", [False, True])
def test_trainer_matches_a_plain_torch_loop(toy_cities, batchnorm: bool) -> None:
    """The batched maths equals nn.Linear (+ nn.BatchNorm1d) + Adam on the same batches.

    Without batch norm the weights agree; with it the network's outputs do (the biases
    before a norm only drift by rounding noise, see the learning-rate test).
    """
    config = MLPConfig(depth=3, width=8, n_classes=4, batchnorm=batchnorm)
    seed, batch = 9, 64
    x, y = toy_cities["train"]
    model, _ = fit(toy_cities, [seed], config=config, train=TrainConfig(epochs=2, batch_size=batch))

    reference = seeded_mlp(config, seed)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3, fused=True)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(2):
        order = torch.randperm(len(y), generator=generator)
        for step in range(len(y) // batch):
            idx = order[step * batch : (step + 1) * batch]
            loss = F.cross_entropy(reference(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    trained = model.replica(0).eval()
    reference.eval()
    if not batchnorm:
        for p, q in zip(
            trained.state_dict().values(), reference.state_dict().values(), strict=True
        ):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        val_x, _ = toy_cities["val"]
        tolerance = 2e-2 if batchnorm else 1e-5
        torch.testing.assert_close(trained(val_x), reference(val_x), rtol=0, atol=tolerance)


def test_evaluate_is_in_eval_mode_and_restores_mode(toy_cities) -> None:
    model = stacked_mlps(CONFIG, [0, 1])
    model.train()
    x, y = toy_cities["val"]
    loss, acc = evaluate(model, x, y)
    assert loss.shape == acc.shape == (2,)
    assert model.training
    reference = seeded_mlp(CONFIG, 1).eval()
    with torch.no_grad():
        expected = F.cross_entropy(reference(x), y)
    assert loss[1].item() == pytest.approx(expected.item(), rel=1e-5)


def test_evaluation_does_not_depend_on_the_rows_per_pass(toy_cities) -> None:
    model = stacked_mlps(CONFIG, [0, 1, 2])
    x, y = toy_cities["val"]
    whole_loss, whole_acc = evaluate(model, x, y, rows=len(y))
    for rows in (1, 7, 64):  # other GEMM shapes: another CPU may round them differently
        loss, acc = evaluate(model, x, y, rows=rows)
        # an item whose two best logits tie to rounding may flip: one of the 200 at most
        torch.testing.assert_close(acc, whole_acc, rtol=0, atol=1 / len(y))
        torch.testing.assert_close(loss, whole_loss, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(predict_logits(model, x), model.eval()(x), rtol=1e-5, atol=1e-6)


def test_rows_per_pass_keep_one_layer_of_activations_near_the_budget() -> None:
    wide = stacked_mlps(MLPConfig(depth=1, width=64, n_classes=4), list(range(20)))
    narrow = stacked_mlps(MLPConfig(depth=1, width=4, n_classes=4), [0])
    assert eval_rows(wide) == 1 << 10  # 20 x 64 activations a row: the floor
    assert eval_rows(narrow) == 1 << 16  # 4 a row: the ceiling of 65,536 rows a pass
    assert eval_rows(stacked_mlps(MLPConfig(depth=1, width=16, n_classes=4), [0, 1])) == (
        (1 << 19) // 32
    )


def test_batch_losses_are_recorded_per_step(toy_cities) -> None:
    _, result = fit(
        toy_cities, [0, 1], train=TrainConfig(epochs=2, batch_size=100, record_batch_loss=True)
    )
    assert result.batch_loss.shape == (2 * 6, 2)
    np.testing.assert_allclose(
        result.batch_loss[:6].mean(axis=0), result.history["train_loss_running"][0], rtol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs: expected a positive integer"),
        ({"epochs": 2, "batch_size": 0}, "batch_size: expected a positive integer"),
        ({"epochs": 2, "lr": 0.0}, "lr: expected a positive number"),
        ({"epochs": 2, "lr": -1e-3}, "lr: expected a positive number"),
        ({"epochs": 2, "optimizer": "adamax"}, "optimizer: expected one of"),
        ({"epochs": 2, "flush_denormal": "yes"}, "flush_denormal: expected true or false"),
        ({"epochs": 2, "compile": 1}, "compile: expected true or false, got 1"),
    ],
)
def test_bad_train_config_names_the_key(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_batch_larger_than_training_set_is_rejected(toy_cities) -> None:
    with pytest.raises(ValueError, match="batch_size: expected at most the training set size 600"):
        fit(toy_cities, [0], train=TrainConfig(epochs=1, batch_size=601))


def test_one_seed_per_replica_is_required() -> None:
    models = [seeded_mlp(CONFIG, 0), seeded_mlp(CONFIG, 1)]
    with pytest.raises(ValueError, match="expected one seed per model, got 1"):
        ReplicaMLP(models, [0])


def test_a_model_keeps_its_seeds_and_its_result_labels_them(toy_cities) -> None:
    model, result = train_seeds(CONFIG, toy_cities, TRAIN, [7, 3, 5], torch.device("cpu"))
    assert model.seeds == [7, 3, 5] and result.seeds == [7, 3, 5]
    table = result.table(lr=[0.1, 0.2, 0.3])
    assert list(table.columns[-2:]) == ["lr", "seed"]
    assert table["seed"].tolist() == [7] * 3 + [3] * 3 + [5] * 3
    assert table["lr"].tolist() == [0.1] * 3 + [0.2] * 3 + [0.3] * 3
    np.testing.assert_array_equal(
        table.loc[table["seed"] == 3, "val_acc"], result.history["val_acc"][:, 1]
    )
    np.testing.assert_array_equal(result.final("val_acc"), result.history["val_acc"][-1])
    # The same as building the replicas and training them by hand.
    _, by_hand = fit(toy_cities, [7, 3, 5])
    np.testing.assert_array_equal(by_hand.history["val_loss"], result.history["val_loss"])


def test_a_diverging_replica_is_recorded_and_leaves_the_others_alone(toy_cities) -> None:
    config = MLPConfig(depth=3, width=8, n_classes=4)
    _, together = fit(toy_cities, [5, 5], lrs=[1e-3, 1e30], config=config)
    _, alone = fit(toy_cities, [5], config=config)
    assert together.diverged_epoch == [None, 1]
    np.testing.assert_allclose(
        together.history["val_loss"][:, 0], alone.history["val_loss"][:, 0], rtol=1e-4
    )
    frame = together.frame(1)
    assert frame.drop(columns="epoch").isna().all().all()  # nothing reported after divergence
    assert not together.frame(0).isna().any().any()


@pytest.mark.parametrize("compile_step", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_batch_of_one_with_batch_norm_uses_running_statistics(toy_cities, compile_step) -> None:
    model, result = fit(
        toy_cities, [0], train=TrainConfig(epochs=1, batch_size=1, compile=compile_step)
    )
    assert result.steps_per_epoch == 600
    assert np.isfinite(result.history["val_loss"]).all()
    assert result.history["val_acc"][-1, 0] > 0.5
    # The running statistics were used, not updated: still their initial values.
    assert torch.equal(model.running_mean_0, torch.zeros_like(model.running_mean_0))
    assert torch.equal(model.running_var_0, torch.ones_like(model.running_var_0))


def test_final_batch_of_one_with_batch_norm_is_rejected(toy_cities) -> None:
    train = TrainConfig(epochs=1, batch_size=599, drop_last=False)
    with pytest.raises(ValueError, match="drop_last: the last batch would hold one sample"):
        fit(toy_cities, [0], train=train)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.slow
def test_compiled_step_matches_the_eager_step(toy_cities, optimizer: str) -> None:
    config = MLPConfig(depth=3, width=8, n_classes=4)  # no batch norm: see the lr test
    eager_model, eager = fit(
        toy_cities,
        [1, 2],
        config=config,
        train=TrainConfig(epochs=2, batch_size=64, optimizer=optimizer, lr=0.01),
    )
    compiled_model, compiled = fit(
        toy_cities,
        [1, 2],
        config=config,
        train=TrainConfig(epochs=2, batch_size=64, optimizer=optimizer, lr=0.01, compile=True),
    )
    for name in eager.history:
        np.testing.assert_allclose(
            compiled.history[name], eager.history[name], rtol=1e-4, atol=1e-5
        )
    for p, q in zip(compiled_model.parameters(), eager_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_compiled_step_with_per_replica_rates_matches_the_eager_step(toy_cities) -> None:
    """The learning-rate study's path: (rate, seed) replicas through the compiled step."""
    config = MLPConfig(depth=3, width=8, n_classes=4)
    lrs, seeds = [1e-2, 1e-2, 1e-3, 1e-3], [1, 2, 1, 2]
    train = TrainConfig(epochs=2, batch_size=64)
    _, eager = fit(toy_cities, seeds, lrs=lrs, config=config, train=train)
    _, compiled = fit(toy_cities, seeds, lrs=lrs, config=config,
                      train=TrainConfig(epochs=2, batch_size=64, compile=True))  # fmt: skip
    # more graphs than dynamo's default 8 compile, and running out is an error, not eager
    assert torch._dynamo.config.recompile_limit >= 64
    assert torch._dynamo.config.fail_on_recompile_limit_hit
    for name in eager.history:
        np.testing.assert_allclose(
            compiled.history[name], eager.history[name], rtol=1e-4, atol=1e-5
        )


def test_cosine_schedule_lowers_the_rate_per_epoch_for_shared_and_per_replica_rates(
    toy_cities,
) -> None:
    config = MLPConfig(depth=2, width=8, n_classes=4)
    cosine = TrainConfig(epochs=3, batch_size=64, lr=0.01, lr_schedule="cosine")
    _, together = fit(toy_cities, [3, 3], lrs=[0.01, 0.02], config=config, train=cosine)
    _, alone = fit(toy_cities, [3], config=config, train=cosine)
    _, constant = fit(
        toy_cities, [3], config=config, train=TrainConfig(epochs=3, batch_size=64, lr=0.01)
    )
    np.testing.assert_allclose(
        together.history["val_loss"][:, 0], alone.history["val_loss"][:, 0], rtol=1e-4
    )
    np.testing.assert_allclose(
        alone.history["val_loss"][0], constant.history["val_loss"][0], rtol=1e-6
    )  # factor 1 at epoch 0
    assert not np.allclose(alone.history["val_loss"][1:], constant.history["val_loss"][1:])


def test_an_unknown_schedule_is_named() -> None:
    with pytest.raises(ValueError, match="lr_schedule: expected one of"):
        TrainConfig(epochs=2, lr_schedule="step")


@pytest.mark.slow
@pytest.mark.parametrize("lrs", [None, [0.01, 0.003]])
def test_compiled_step_follows_the_cosine_schedule_as_the_eager_step(toy_cities, lrs) -> None:
    """The encoding sweep's path: batch norm, Adam, a cosine schedule, compiled (a shared
    rate, and per-replica rates as the learning-rate study would)."""
    config = MLPConfig(depth=2, width=8, n_classes=4, batchnorm=True)
    cosine = TrainConfig(epochs=3, batch_size=64, lr=0.01, lr_schedule="cosine")
    _, eager = fit(toy_cities, [1, 2], lrs=lrs, config=config, train=cosine)
    _, compiled = fit(toy_cities, [1, 2], lrs=lrs, config=config,
                      train=replace(cosine, compile=True))  # fmt: skip
    _, constant = fit(toy_cities, [1, 2], lrs=lrs, config=config,
                      train=replace(cosine, compile=True, lr_schedule="constant"))  # fmt: skip
    # Train mode (batch statistics) agrees to rounding; eval mode reads the running means,
    # which follow the biases before each norm that Adam moves on rounding noise (see
    # test_batched_replica_reproduces_the_run_trained_alone): looser there.
    np.testing.assert_allclose(compiled.history["train_loss_running"],
                               eager.history["train_loss_running"], rtol=1e-3)  # fmt: skip
    np.testing.assert_allclose(compiled.history["val_loss"], eager.history["val_loss"], rtol=3e-2)
    # the schedule is applied: from epoch 2 on the constant rate trains another run
    assert not np.allclose(compiled.history["train_loss_running"][1:],
                           constant.history["train_loss_running"][1:], rtol=1e-4)  # fmt: skip


@pytest.mark.parametrize(
    ("lrs", "message"),
    [
        (0.01, "lrs: expected a non-empty list of learning rates, got 0.01"),
        ([], "lrs: expected a non-empty list of learning rates, got []"),
        ([0.1, -1], "lrs[1]: expected a positive number, got -1"),
        ([0.1, 0.1], "lrs: expected distinct values, got 0.1 twice in [0.1, 0.1]"),
    ],
)
def test_learning_rates_are_checked_once_with_their_index(lrs, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_lrs(lrs)
    assert check_lrs([1, 0.01]) == [1.0, 0.01]


def test_a_replica_beside_others_differs_from_one_alone_by_rounding_only(toy_cities) -> None:
    """One configuration, two batched runs: seed 2 alone, beside other seeds, and beside
    another learning rate. Each step agrees to float32 rounding (the report states how far
    50 epochs amplify it: a seed's figure is not bit-identical across such runs)."""
    config = MLPConfig(depth=3, width=8, n_classes=4)
    train = TrainConfig(epochs=2, batch_size=64, lr=0.01)
    _, alone = fit(toy_cities, [2], config=config, train=train)
    _, seeds = fit(toy_cities, [1, 2, 3], config=config, train=train)
    _, rates = fit(toy_cities, [2, 2], lrs=[0.01, 0.001], config=config,
                   train=TrainConfig(epochs=2, batch_size=64))  # fmt: skip
    for name in alone.history:
        for other, column in ((seeds, 1), (rates, 0)):
            np.testing.assert_allclose(
                other.history[name][:, column], alone.history[name][:, 0], rtol=1e-5, atol=1e-6
            )
    # and a different rate is a different run, far beyond rounding
    assert not np.allclose(rates.history["val_loss"][:, 1], alone.history["val_loss"][:, 0])


def test_flushing_reads_subnormals_as_zero_inside_only() -> None:
    tiny = torch.tensor([1e-40, 1.0])  # 1e-40 is subnormal in float32
    assert (tiny * 1.0)[0].item() != 0
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush subnormals")
    with flushing(True):
        assert (tiny * 1.0).tolist() == [0.0, 1.0]
    assert (tiny * 1.0)[0].item() != 0  # IEEE again after
    with flushing(False):
        assert (tiny * 1.0)[0].item() != 0


def test_flushing_changes_nothing_where_no_value_is_subnormal(toy_cities) -> None:
    """A shallow network never meets a subnormal: flushed or not, the same run."""
    _, ieee = fit(toy_cities, [0, 1])
    flushed_train = TrainConfig(epochs=3, batch_size=64, flush_denormal=True)
    _, flushed = fit(toy_cities, [0, 1], train=flushed_train)
    for name, values in ieee.history.items():
        np.testing.assert_array_equal(values, flushed.history[name], err_msg=name)


def test_the_recompile_limit_is_raised_under_either_name(monkeypatch) -> None:
    """torch >= 2.6 names it recompile_limit; the declared floor (2.4) cache_size_limit."""
    from types import SimpleNamespace

    from mlpcnn.cities.training import raise_recompile_limit

    old = SimpleNamespace(cache_size_limit=8, fail_on_cache_limit_hit=False)
    monkeypatch.setattr(torch._dynamo, "config", old)
    raise_recompile_limit(64)
    assert old == SimpleNamespace(cache_size_limit=64, fail_on_cache_limit_hit=True)
    new = SimpleNamespace(recompile_limit=100, fail_on_recompile_limit_hit=False)
    monkeypatch.setattr(torch._dynamo, "config", new)
    raise_recompile_limit(64)  # never lowered
    assert new == SimpleNamespace(recompile_limit=100, fail_on_recompile_limit_hit=True)


@pytest.mark.parametrize("ghost", [1, 5, 3.0, True])
def test_ghost_batch_must_divide_the_batch(ghost) -> None:
    with pytest.raises(ValueError, match="ghost_batch: expected an integer of at least 2"):
        TrainConfig(epochs=1, batch_size=16, ghost_batch=ghost)
    with pytest.raises(ValueError, match="ghost_batch: needs drop_last: true"):
        TrainConfig(epochs=1, batch_size=16, ghost_batch=4, drop_last=False)


@pytest.mark.parametrize("compile_step", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_ghost_batches_train_another_network(toy_cities, compile_step) -> None:
    config = MLPConfig(depth=2, width=8, n_classes=4, batchnorm=True)
    plain = TrainConfig(epochs=1, batch_size=32, compile=compile_step)
    _, alone = fit(toy_cities, [0], config=config, train=plain)
    _, grouped = fit(toy_cities, [0], config=config, train=replace(plain, ghost_batch=8))
    assert np.isfinite(grouped.history["val_loss"]).all()
    assert not np.allclose(grouped.history["val_loss"], alone.history["val_loss"])

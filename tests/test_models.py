from __future__ import annotations

import pytest
import torch

from mlpcnn.cities.mlp import MLP, MLPConfig, seeded_mlp
from mlpcnn.cities.replicas import stacked_mlps


def test_depth_counts_hidden_linear_layers() -> None:
    model = MLP(MLPConfig(depth=6, width=16, n_classes=33))
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 7
    assert model(torch.zeros(5, 2)).shape == (5, 33)


def test_any_input_width_and_batchnorm_before_activation() -> None:
    model = MLP(MLPConfig(in_features=20, depth=2, width=8, n_classes=3, batchnorm=True))
    layer = model.hidden[0]
    assert isinstance(layer.norm, torch.nn.BatchNorm1d)
    x = torch.randn(4, 20)
    assert model(x).shape == (4, 3)
    z = layer.linear(x)  # train mode: each call normalises with the batch's statistics
    torch.testing.assert_close(layer(x), torch.relu(layer.norm(z)))
    assert not torch.allclose(layer(x), layer.norm(torch.relu(z)))  # the other order differs


def test_residual_only_where_widths_agree() -> None:
    config = MLPConfig(depth=3, width=4, residual=True)
    assert [config.is_residual(i) for i in range(3)] == [False, True, True]


def test_residual_layer_is_identity_at_zero_weights() -> None:
    model = MLP(MLPConfig(depth=3, width=4, n_classes=2, residual=True))
    layer = model.hidden[1]
    torch.nn.init.zeros_(layer.linear.weight)
    torch.nn.init.zeros_(layer.linear.bias)
    x = torch.randn(6, 4)
    assert torch.equal(layer(x), x)


def test_seeded_mlp_is_deterministic_and_leaves_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = seeded_mlp(MLPConfig(), 7), seeded_mlp(MLPConfig(), 7)
    assert torch.equal(torch.rand(1), expected)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("width", [4, 8])  # 4: every layer narrow (its product transposed)
def test_replica_forward_and_gradients_match_each_mlp(
    batchnorm: bool, residual: bool, width: int
) -> None:
    config = MLPConfig(depth=3, width=width, n_classes=5, batchnorm=batchnorm, residual=residual)
    seeds = [0, 1, 2]
    stacked = stacked_mlps(config, seeds)
    x = torch.randn(3, 16, 2)
    out = stacked(x)
    out.square().sum().backward()
    for r, seed in enumerate(seeds):
        alone = seeded_mlp(config, seed)
        expected = alone(x[r])
        torch.testing.assert_close(out[r], expected)
        torch.testing.assert_close(out[r], stacked.replica(r)(x[r]))
        expected.square().sum().backward()
        linears = [*(layer.linear for layer in alone.hidden), alone.out]
        close = {"rtol": 1e-4, "atol": 1e-4}  # gradients of a squared sum: rounding grows
        for i, linear in enumerate(linears):
            torch.testing.assert_close(stacked.weights[i].grad[r], linear.weight.grad.T, **close)
            torch.testing.assert_close(stacked.biases[i].grad[r, 0], linear.bias.grad, **close)


def test_narrow_layers_store_their_output_transposed() -> None:
    """The speed of the 100-layer width-4 studies rests on it (see ReplicaMLP._linear)."""
    stacked = stacked_mlps(MLPConfig(depth=2, width=4, n_classes=20), [0, 1])
    hidden = next(stacked.relu_outputs(torch.randn(2, 32, 2)))
    assert hidden.shape == (2, 32, 4) and hidden.mT.is_contiguous()
    wide = stacked_mlps(MLPConfig(depth=2, width=16, n_classes=20), [0, 1])
    assert next(wide.relu_outputs(torch.randn(2, 32, 2))).is_contiguous()


def test_bad_config_names_the_field() -> None:
    with pytest.raises(ValueError, match="depth: expected a positive integer"):
        MLPConfig(depth=0)


def test_saved_mlps_load_back_with_their_seeds(tmp_path) -> None:
    from mlpcnn.cities.mlp import load_mlps, save_mlps

    config = MLPConfig(depth=2, width=4, n_classes=3, batchnorm=True)
    models = [seeded_mlp(config, s) for s in (4, 5)]
    save_mlps(tmp_path / "m.pt", models, [4, 5])
    loaded, seeds = load_mlps(tmp_path / "m.pt")
    assert seeds == [4, 5] and not loaded[0].training
    x = torch.randn(6, 2)
    for a, b in zip(loaded, models, strict=True):
        torch.testing.assert_close(a(x), b.eval()(x))


def test_ghost_batches_normalise_each_group_by_its_own_statistics() -> None:
    """Ghost batch norm: in train mode each group of ``ghost_batch`` samples is normalised
    by its own mean and variance, the running statistics as plain batch norm's; a group
    as large as the batch is plain batch norm."""
    config = MLPConfig(depth=1, width=4, n_classes=3, batchnorm=True)
    x = torch.randn(2, 12, 2)  # (R, B, in)
    plain, ghost, whole = (stacked_mlps(config, [0, 1]).train() for _ in range(3))
    with torch.no_grad():  # affine parameters of their own, so their order is checked too
        for model in (plain, ghost, whole):
            model.bn_weights[0].copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.5, 1.5, 2.5, 3.5]]))
            model.bn_biases[0].copy_(torch.tensor([[0.1, -0.2, 0.3, -0.4], [0.0, 0.2, 0.4, 0.6]]))
    ghost.ghost_batch, whole.ghost_batch = 4, 12
    torch.testing.assert_close(whole(x), plain(x))
    out = ghost(x)
    z = torch.baddbmm(ghost.biases[0], x, ghost.weights[0])  # (R, B, F) before the norm
    groups = z.view(2, 3, 4, 4)  # (R, groups, g, F)
    mean, var = groups.mean(2, keepdim=True), groups.var(2, unbiased=False, keepdim=True)
    w, b = ghost.bn_weights[0].view(2, 1, 1, 4), ghost.bn_biases[0].view(2, 1, 1, 4)
    a = torch.relu((groups - mean) / torch.sqrt(var + 1e-5) * w + b).view(2, 12, 4)
    torch.testing.assert_close(out, torch.baddbmm(ghost.biases[-1], a, ghost.weights[-1]))
    # The running statistics move by the whole batch's, as plain batch norm's do.
    torch.testing.assert_close(ghost.running_mean_0, plain.running_mean_0)
    torch.testing.assert_close(ghost.running_var_0, plain.running_var_0)
    # Evaluation normalises with the running statistics: groups play no part.
    torch.testing.assert_close(ghost.eval()(x), plain.eval()(x))

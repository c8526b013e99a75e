from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from mlpcnn.cities.boundaries import (
    class_colours,
    grid_predictions,
    plot_boundary_panels,
    plot_decision_boundaries,
)
from mlpcnn.cities.mlp import MLPConfig, seeded_mlp


def test_colours_are_distinct_per_class() -> None:
    for n in (33, 40, 50):
        colours = class_colours(n).colors
        assert len(colours) == n
        assert len({tuple(np.round(c, 6)) for c in colours}) == n


def test_grid_is_predicted_in_batches_like_all_at_once() -> None:
    predict = lambda x: (x[:, 0] > x[:, 1]).long()  # noqa: E731
    whole = grid_predictions(predict, (0, 10, 0, 5), resolution=50, batch=1 << 20)
    batched = grid_predictions(predict, (0, 10, 0, 5), resolution=50, batch=7)
    assert whole[2].shape == (25, 50)
    assert np.array_equal(whole[2], batched[2])


def test_boundaries_of_a_model_predicting_a_class_absent_from_the_points(tmp_path: Path) -> None:
    points = np.array([[0.0, 40.0], [10.0, 50.0], [20.0, 60.0]], dtype=np.float32)
    labels = np.array([0, 1, 1])
    unseen = 7  # predicted everywhere east of 15 degrees, carried by no point
    predict = lambda x: torch.where(x[:, 0] > 15, unseen, (x[:, 0] > 5).long())  # noqa: E731
    fig, ax = plt.subplots()
    plot_decision_boundaries(ax, predict, points, labels, n_classes=33, resolution=60)
    mesh = ax.collections[0]
    assert unseen in set(np.asarray(mesh.get_array()).ravel().astype(int))
    plt.close(fig)


def test_any_model_and_encoding_plug_in(tmp_path: Path) -> None:
    """Each panel's classifier sees raw coordinates over the points' extent (plus the
    margin), encodes them itself, and its regions are what the saved picture shows."""
    model = seeded_mlp(MLPConfig(in_features=4, depth=2, width=8, n_classes=33), 0).eval()
    encode = lambda x: torch.cat([torch.sin(x), torch.cos(x)], dim=1)  # noqa: E731
    points = np.random.default_rng(0).uniform([-10, 35], [40, 70], size=(50, 2)).astype(np.float32)
    labels = np.arange(50) % 33
    seen = []

    def encoded(x: torch.Tensor) -> torch.Tensor:
        seen.append(x)
        return model(encode(x)).argmax(1)

    path = tmp_path / "b.png"
    constant = lambda x: torch.full((len(x),), 5)  # noqa: E731
    plot_boundary_panels({"encoded": encoded, "class 5": constant}, points, labels, 33, path,
                         resolution=40)  # fmt: skip
    grid = torch.cat(seen)
    assert grid.shape[1] == 2 and len(grid) >= 40 * 2
    low, high = points.min(axis=0) - 1, points.max(axis=0) + 1  # the default margin
    np.testing.assert_allclose(grid.min(0).values, low, atol=1e-4)
    np.testing.assert_allclose(grid.max(0).values, high, atol=1e-4)

    image = plt.imread(path)[..., :3]  # (H, W, 3) in [0, 1]
    height, width = image.shape[:2]
    assert width > 1.5 * height  # two panels side by side
    # The right panel is class 5's colour, pale (alpha 0.35 on white), wherever no point is.
    pale = 1 - 0.35 * (1 - np.asarray(class_colours(33, points, labels).colors[5]))
    right = image[height // 4 : 3 * height // 4, width // 2 :].reshape(-1, 3)
    share = np.mean(np.abs(right - pale).max(axis=1) < 0.03)
    assert share > 0.3, share
    left = image[height // 4 : 3 * height // 4, : width // 2].reshape(-1, 3)
    assert np.mean(np.abs(left - pale).max(axis=1) < 0.03) < share  # another model's regions


def test_neighbouring_classes_get_far_apart_hues() -> None:
    """33 classes in a row, west to east: neighbours are dealt hues at least a sixth of
    the wheel apart, where the wheel's own order puts them 1/33 apart."""
    import matplotlib.colors

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(33), 20)
    x = labels + rng.uniform(-0.3, 0.3, len(labels))
    points = np.stack([x, rng.uniform(0, 1, len(labels))], axis=1)

    def hue_gaps(colours) -> np.ndarray:
        hue = matplotlib.colors.rgb_to_hsv(np.asarray(colours))[:, 0]
        step = np.abs(np.diff(hue))
        return np.minimum(step, 1 - step)

    dealt = class_colours(33, points, labels).colors
    assert len({tuple(np.round(c, 6)) for c in dealt}) == 33
    assert hue_gaps(dealt).min() >= 1 / 6
    assert hue_gaps(class_colours(33).colors).min() < 1 / 30

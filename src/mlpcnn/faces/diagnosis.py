"""Why a network trained from scratch predicts a constant: its batch norm, or its steps.

After one epoch on the stand-in (19 optimiser steps) a ResNet18 from random weights can
give every test image the same p(fake). Two explanations predict different things:

- **running statistics**: in eval mode batch norm normalises by running means and
  variances that 19 momentum-0.1 updates have moved only part of the way from their
  initial (0, 1) to the data's; the weights may separate the classes, the statistics
  hide it. Then recomputing the statistics on the training set (torchvision's
  ``update_bn``, a cumulative average over the training images), or normalising each
  batch by its own statistics (train mode), restores an input-dependent model.
- **too few steps**: the weights themselves have learnt nothing yet. Then only training
  longer helps: the course's own epoch, 44 batches (about 1,400 images / 32), and at
  least twice the steps the run took (a different run of the same rate and seed).

:func:`diagnose_constant` scores each variant with the same rule (accuracy, ROC AUC,
spread of p(fake), the constant flag, the Mann-Whitney p of its AUC against 0.5);
:func:`mlpcnn.faces.analysis.explain_constant` reads them, asking two questions apart:
which variant answers both classes (what explains the constant output), and which ranks
the images better than chance (whether the weights learnt anything).
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from mlpcnn.faces.analysis import explain_constant, score_run
from mlpcnn.faces.baselines import Data, Prepare, RunResult, predict_probs

AS_TRAINED = "as trained (eval mode, running statistics)"
TRAIN_MODE = "train mode (each test batch normalised by its own statistics)"
RECOMPUTED = "running statistics recomputed on the training set"
LONGER = "trained longer, same rate and seed (eval mode)"


@torch.no_grad()
def recompute_batch_norm(
    model: torch.nn.Module, images: torch.Tensor, prepare: Prepare, batch: int = 64
) -> torch.nn.Module:
    """A copy of ``model`` whose batch-norm running statistics are the training images'
    (``torch.optim.swa_utils.update_bn``: reset, then a cumulative average)."""
    from torch.optim.swa_utils import update_bn

    fresh = copy.deepcopy(model)
    update_bn((prepare(images[i : i + batch]) for i in range(0, len(images), batch)), fresh)
    return fresh


def diagnose_constant(
    result: RunResult, prepared: tuple[Data, Prepare], longer: RunResult, precision: str
) -> dict:
    """Score the weights of ``result`` (kept: ``result.model``) in eval mode, in train
    mode and with recomputed statistics, and ``longer`` (the same rate and seed trained
    for more steps: another run), each on the test set; see the module's docstring."""
    data, prepare = prepared
    model = result.model
    if model is None:
        raise ValueError("diagnose_constant: the run kept no model (run it with keep_model)")
    test_x, test_y = data["test"]
    labels = test_y.cpu().numpy()
    probs = {
        AS_TRAINED: result.test_probs,
        TRAIN_MODE: predict_probs(model, test_x, prepare, precision=precision, train_mode=True),
        RECOMPUTED: predict_probs(
            recompute_batch_norm(model, data["train"][0], prepare), test_x, prepare,
            precision=precision,
        ),
        LONGER: longer.test_probs,
    }  # fmt: skip
    variants = {name: score_run(labels, np.asarray(p)) for name, p in probs.items()}
    return {
        **explain_constant(variants, AS_TRAINED, [TRAIN_MODE, RECOMPUTED], LONGER),
        "variants": variants,
        "longer_steps": len(longer.batch_loss),
    }

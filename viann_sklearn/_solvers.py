"""Solvers: the torch optimizer behind each ``solver``, and seeding torch for one fit."""

from contextlib import contextmanager

import torch

from ._training import fused_supported

__all__ = ["optimizer_settings", "seeded_torch"]


@contextmanager
def seeded_torch(seed, device):
    """Seed torch for one fit and give the caller back its own RNG state."""
    device = torch.device(device)
    forked = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked):
        torch.manual_seed(seed)
        yield


def optimizer_settings(estimator, batch_size, device):
    """skorch's optimizer arguments for an estimator's ``solver`` and its settings."""
    # alpha is MLPClassifier's L2 penalty, alpha / (2 * batch) * ||W||^2 on
    # weights only; its gradient is weight decay of alpha / batch, and
    # Adam's weight_decay is the same coupled L2 gradient (not AdamW).
    common = dict(
        lr=estimator.learning_rate_init,
        optimizer__weight_decay=estimator.alpha / batch_size,
        optimizer__param_groups=[("*bias", {"weight_decay": 0.0})],
    )
    if estimator.solver == "adam":
        settings = dict(
            common,
            optimizer=torch.optim.Adam,
            optimizer__betas=(estimator.beta_1, estimator.beta_2),
            optimizer__eps=estimator.epsilon,
        )
    else:
        settings = dict(
            common,
            optimizer=torch.optim.SGD,
            optimizer__momentum=estimator.momentum,
            optimizer__nesterov=bool(estimator.nesterovs_momentum and estimator.momentum > 0),
        )
    if fused_supported(settings["optimizer"], device.type):
        settings["optimizer__fused"] = True
    return settings

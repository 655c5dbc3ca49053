"""The importance methods VIANN is compared with, for the benchmarks only.

Every function takes plain arrays and returns one score per input feature,
larger meaning more important. They read a network through its weight
matrices in scikit-learn's layout, ``coefs[k]`` of shape (n_in, n_out), so
the same code serves our estimators (``coefs_``) and the benchmarks' own
torch modules (:func:`linear_coefs`).
"""

from functools import reduce

import numpy as np
import torch
from torch import nn


def linear_coefs(module):
    """Weight matrices of a torch module's Linear layers, in forward order, as (n_in, n_out).

    Other layers (activations, BatchNorm, Dropout) are skipped: Garson and
    Olden only read connection weights.
    """
    return [layer.weight.detach().cpu().double().numpy().T for layer in module.modules()
            if isinstance(layer, nn.Linear)]


def garson(coefs):
    """Garson's algorithm (1991), extended to several hidden layers.

    Each first-layer unit's input weights are turned into shares of that unit
    (absolute values, summing to 1); each unit is weighted by the strength of
    its absolute-weight paths to the outputs; an input's score is the sum of
    its weighted shares. With one hidden layer this is the classic method.
    """
    first = np.abs(coefs[0])
    column_sums = first.sum(axis=0, keepdims=True)
    shares = np.divide(first, column_sums, out=np.zeros_like(first), where=column_sums > 0)
    downstream = reduce(np.matmul, [np.abs(weights) for weights in coefs[1:]]) if len(coefs) > 1 else None
    unit_strength = np.ones(first.shape[1]) if downstream is None else downstream.sum(axis=1)
    return shares @ unit_strength


def olden(coefs):
    """Olden's connection-weight method (2004): the signed product of the weights, input to output.

    Summed in absolute value over the outputs, so that a feature that pushes
    one class up and another down is not cancelled out.
    """
    return np.abs(reduce(np.matmul, coefs)).sum(axis=1)


def lofo_loss_increase(loss, X):
    """How much a fitted model's loss grows when one feature is set to 0, without retraining.

    The paper's "LOFO". With standardised inputs, 0 is the feature's mean.

    Parameters
    ----------
    loss : callable
        ``loss(X)`` gives the model's loss on the rows X (targets fixed).
    X : ndarray of shape (n_samples, n_features)
    """
    baseline = loss(X)
    increases = np.empty(X.shape[1])
    for feature in range(X.shape[1]):
        blanked = X.copy()
        blanked[:, feature] = 0.0
        increases[feature] = loss(blanked) - baseline
    return increases


def torch_loss(module, criterion, y):
    """A ``loss(X)`` for :func:`lofo_loss_increase` from a torch module in eval mode."""
    y = torch.as_tensor(y)

    def loss(X):
        module.eval()
        with torch.inference_mode():
            outputs = module(torch.as_tensor(X, dtype=next(module.parameters()).dtype))
            return float(criterion(outputs, y))

    return loss


def integrated_gradients(module, X, baseline, targets=None, n_steps=32):
    """Mean absolute Integrated Gradients (Sundararajan et al., 2017) of each feature over the rows X.

    Needs captum (``pip install captum``; benchmark-only). For a classifier,
    ``targets`` are the output indices to explain (the predicted classes);
    for a single-output regressor, None.
    """
    from captum.attr import IntegratedGradients

    module.eval()
    dtype = next(module.parameters()).dtype
    inputs = torch.as_tensor(X, dtype=dtype)
    baselines = torch.as_tensor(np.broadcast_to(baseline, X.shape).copy(), dtype=dtype)
    forward = module if targets is not None else (lambda rows: module(rows)[:, 0])
    attributions = IntegratedGradients(forward).attribute(
        inputs, baselines=baselines, target=None if targets is None else torch.as_tensor(targets), n_steps=n_steps
    )
    return attributions.abs().mean(dim=0).detach().cpu().double().numpy()


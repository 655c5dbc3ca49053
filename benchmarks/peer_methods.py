"""The importance methods VIANN is compared with, for the benchmarks only.

Every function takes plain arrays and returns one score per input feature,
larger meaning more important. They read a network through its weight
matrices in scikit-learn's layout, ``coefs[k]`` of shape (n_in, n_out), so
the same code serves our estimators (``coefs_``) and the benchmarks' own
torch modules.
"""

from functools import reduce

import numpy as np
import torch


def garson(coefs):
    """Garson-style weight shares through every layer: our extension, not the paper's version.

    Each first-layer unit's input weights are turned into shares of that unit
    (absolute values, summing to 1); each unit is weighted by the sum of its
    absolute-weight paths to the outputs (a product of ``|W|`` over all later
    layers); an input's score is the sum of its weighted shares.

    This is not what the VIANN paper computed (see :func:`garson_paper`). In
    Garson's (1991) formula the hidden-to-output weight cancels out of each
    unit's shares, so it weights every unit equally; here a unit with weak
    paths to the outputs counts less. The two agree only when every unit's
    downstream strength is the same.
    """
    first = np.abs(coefs[0])
    column_sums = first.sum(axis=0, keepdims=True)
    shares = np.divide(first, column_sums, out=np.zeros_like(first), where=column_sums > 0)
    downstream = reduce(np.matmul, [np.abs(weights) for weights in coefs[1:]]) if len(coefs) > 1 else None
    unit_strength = np.ones(first.shape[1]) if downstream is None else downstream.sum(axis=1)
    return shares @ unit_strength


def garson_paper(first, last):
    """Garson's algorithm as the VIANN paper's notebook ran it: the first and the output kernel only.

    For each output unit ``o``: ``cw = first @ diag(last[:, o])``; each input's
    share of a hidden unit is ``|cw_ij| / sum_i |cw_ij|``; an input's score is
    the sum of its shares over hidden units, normalised to sum to 1. The
    scores are summed over output units. Layers between the first and the
    output layer are ignored, and ``last[j, o]`` cancels out of every share
    unless it is 0, so in effect each hidden unit counts once.

    Parameters
    ----------
    first : ndarray of shape (n_features, n_hidden)
        The first layer's kernel (Keras' layout; ``Linear.weight.T`` in torch).
    last : ndarray of shape (n_hidden, n_outputs)
        The output layer's kernel. Its rows must match ``first``'s columns, as
        they did in the paper's networks (50 and 50, 500 and 500).
    """
    first, last = np.asarray(first, dtype=float), np.asarray(last, dtype=float)
    if first.shape[1] != last.shape[0]:
        raise ValueError(
            f"The paper's Garson pairs first-layer unit j with output-layer row j: the first kernel has "
            f"{first.shape[1]} units but the output kernel {last.shape[0]} rows."
        )
    scores = np.zeros(first.shape[0])
    for output in range(last.shape[1]):
        weights = np.abs(first * last[:, output])  # first @ diag(last[:, o]), in absolute value
        unit_totals = weights.sum(axis=0, keepdims=True)
        shares = np.divide(weights, unit_totals, out=np.zeros_like(weights), where=unit_totals > 0)
        contribution = shares.sum(axis=1)
        scores += contribution / contribution.sum()
    return scores


def olden(coefs):
    """Olden's connection-weight method (2004): the signed product of the weights, input to output.

    Summed in absolute value over the outputs, so that a feature that pushes
    one class up and another down is not cancelled out.
    """
    return np.abs(reduce(np.matmul, coefs)).sum(axis=1)


def lofo_losses(loss, X):
    """A fitted model's loss with each feature in turn set to 0, without retraining: the paper's "LOFO".

    Higher means more important. With standardised inputs, 0 is the
    feature's mean. (The loss on the intact X is a constant offset, which no
    correlation sees, so it is not subtracted, as in the notebook.)

    Parameters
    ----------
    loss : callable
        ``loss(X)`` gives the model's loss on the rows X (targets fixed).
    X : ndarray of shape (n_samples, n_features)
    """
    losses = np.empty(X.shape[1])
    for feature in range(X.shape[1]):
        blanked = X.copy()
        blanked[:, feature] = 0.0
        losses[feature] = loss(blanked)
    return losses


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

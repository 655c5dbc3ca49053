"""The VIANN score of each input feature, from the weights' variance and their final values.

Plain tensors in, plain tensors out: no skorch, Keras or scikit-learn.
"""

import warnings

import torch

__all__ = ["viann_scores", "normalize_scores", "min_max_scale"]


def viann_scores(variance, final_weight, feature_axis=1, groups=1):
    """VIANN score of every input feature: ``sum_j var(w_ij) * |w_ij|``.

    Parameters
    ----------
    variance : torch.Tensor or array-like
        Elementwise variance of the weights over training.
    final_weight : torch.Tensor or array-like
        The weights at the end of training, same shape as ``variance``.
    feature_axis : int, default=1
        The axis of the weight tensor that indexes input features. torch's
        ``nn.Linear.weight`` is ``(out_features, in_features)``: axis 1.
        All other axes (output units, kernel positions) are summed over.
    groups : int, default=1
        For grouped convolutions: axis 0 (output channels) is split into
        ``groups`` blocks and axis 1 holds ``in_channels // groups`` entries,
        so input channel ``g * (in_channels // groups) + k`` owns entry ``k``
        of block ``g``. Requires ``feature_axis=1``.

    Returns
    -------
    scores : torch.Tensor
        Float64 tensor of shape ``(n_features,)``, one raw score per input
        feature, on the device of ``variance``.

    Examples
    --------
    >>> import torch
    >>> from viann_sklearn.method.scores import viann_scores
    >>> variance = torch.tensor([[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    >>> weight = torch.tensor([[1.0, 5.0, -1.0], [-3.0, 5.0, 7.0]])
    >>> viann_scores(variance, weight)
    tensor([4., 0., 2.], dtype=torch.float64)
    """
    variance = torch.as_tensor(variance).detach().to(torch.float64)
    # No float64 copy of the weight: type promotion makes the product float64.
    weight = torch.as_tensor(final_weight).detach().to(device=variance.device)
    if variance.shape != weight.shape:
        raise ValueError(
            f"variance and final_weight must have the same shape; got "
            f"{tuple(variance.shape)} and {tuple(weight.shape)}."
        )
    if variance.ndim == 0:
        raise ValueError("viann_scores needs a weight tensor with at least one axis.")
    if not -variance.ndim <= feature_axis < variance.ndim:
        raise ValueError(f"feature_axis={feature_axis} is out of range for a weight with {variance.ndim} axes.")
    contribution = variance * weight.abs()
    if groups == 1:
        # One reduction over every other axis: this runs after every epoch.
        other_axes = [axis for axis in range(contribution.ndim) if axis != feature_axis % contribution.ndim]
        return contribution.sum(dim=other_axes) if other_axes else contribution
    if feature_axis % variance.ndim != 1 or variance.ndim < 2:
        raise ValueError("groups > 1 needs feature_axis=1 and the grouped axis 0.")
    n_out, n_in_per_group = contribution.shape[:2]
    if n_out % groups:
        raise ValueError(f"axis 0 of length {n_out} cannot be split into {groups} groups.")
    blocks = contribution.reshape(groups, n_out // groups, n_in_per_group, -1)
    return blocks.sum(dim=(1, 3)).reshape(groups * n_in_per_group)


def normalize_scores(scores):
    """Turn raw VIANN scores into importances that are >= 0 and sum to 1.

    This is scikit-learn's convention for ``feature_importances_``.

    Parameters
    ----------
    scores : torch.Tensor or array-like of shape (n_features,)
        Raw scores, finite and non-negative.

    Returns
    -------
    importances : torch.Tensor
        Float64 tensor of shape ``(n_features,)`` summing to 1. When every
        score is zero (the tracked weights never changed) the importances are
        uniform and a ``UserWarning`` says so.

    Raises
    ------
    ValueError
        If a score is NaN, infinite or negative: a sign that training diverged,
        which must surface rather than become a silent NaN importance.

    Examples
    --------
    >>> import torch
    >>> from viann_sklearn.method.scores import normalize_scores
    >>> normalize_scores(torch.tensor([1.0, 3.0]))
    tensor([0.2500, 0.7500], dtype=torch.float64)
    """
    importances, all_zero = _normalize(scores)
    if all_zero:
        warnings.warn(
            "All VIANN scores are zero: the tracked weights never changed during "
            "training, so no feature can be ranked. Returning uniform importances.",
            UserWarning,
            stacklevel=2,
        )
    return importances


def _normalize(scores):
    """:func:`normalize_scores` without the warning: (importances, all_zero)."""
    scores = torch.as_tensor(scores).to(torch.float64)
    if scores.ndim != 1 or scores.numel() == 0:
        raise ValueError(f"scores must be a non-empty 1-d tensor; got shape {tuple(scores.shape)}.")
    if not bool(torch.isfinite(scores).all()):
        raise ValueError(
            "VIANN scores contain NaN or infinity: the tracked weights diverged "
            "during training. Lower the learning rate or scale the inputs."
        )
    if bool((scores < 0).any()):
        raise ValueError("VIANN scores must be non-negative.")
    total = scores.sum()
    if total == 0:
        return torch.full_like(scores, 1.0 / scores.numel()), True
    return scores / total, False


def min_max_scale(scores):
    """Scale scores to [0, 1], the least important feature at 0: the paper's ``var_scores``.

    Parameters
    ----------
    scores : torch.Tensor or array-like of shape (n_features,)

    Returns
    -------
    scaled : torch.Tensor
        Float64. When all scores are equal there is no range to scale by, and
        every feature gets 0 rather than the NaN of a division by zero.

    Examples
    --------
    >>> import torch
    >>> from viann_sklearn.method.scores import min_max_scale
    >>> min_max_scale(torch.tensor([2.0, 4.0, 3.0]))
    tensor([0.0000, 1.0000, 0.5000], dtype=torch.float64)
    """
    scores = torch.as_tensor(scores).detach().to(torch.float64)
    spread = scores.max() - scores.min()
    if spread == 0:
        return torch.zeros_like(scores)
    return (scores - scores.min()) / spread

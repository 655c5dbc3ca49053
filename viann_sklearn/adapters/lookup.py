"""Find the fitted VIANN adapter in what a user holds, and the weight it tracked.

The image and text helpers (:mod:`viann_sklearn.vision`,
:mod:`viann_sklearn.text`) accept whatever a user has after training: a
skorch net with a :class:`~viann_sklearn.VarianceImportance` callback, the
callback itself, a :class:`~viann_sklearn.VarianceImportanceTorch` tracker or
a Keras :class:`~viann_sklearn.keras.VarianceImportanceKeras` callback.
"""

import sys

import torch
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd

from ..method.layers import unwrap_model

__all__ = ["fitted_adapter", "TrackedConvolution", "tracked_convolution"]


def fitted_adapter(viann, caller):
    """(adapter, model or None) from a skorch net, a callback or a tracker that has finished training.

    Raises
    ------
    ValueError
        If ``viann`` holds no VIANN adapter, or several, or one that has not
        finished a training run.
    """
    model = None
    if hasattr(viann, "callbacks_") and hasattr(viann, "module_"):  # a fitted skorch net
        from .skorch_callbacks import VarianceImportance

        found = [callback for _, callback in viann.callbacks_ if isinstance(callback, VarianceImportance)]
        if len(found) != 1:
            raise ValueError(
                f"{caller} needs a skorch net with exactly one VarianceImportance callback; this one has {len(found)}."
            )
        viann, model = found[0], viann.module_
    elif not hasattr(viann, "tracker_") and not hasattr(viann, "_start_over"):
        raise ValueError(
            f"{caller} expects a VIANN adapter (VarianceImportance, VarianceImportanceTorch, "
            f"VarianceImportanceKeras) or a skorch net using one; got {type(viann).__name__}."
        )
    if not hasattr(viann, "feature_importances_"):
        raise ValueError(
            f"{caller}: {type(viann).__name__} has no importances yet; train with it first "
            "(importances exist once training ends)."
        )
    if model is None:
        model = getattr(viann, "model", None)  # VarianceImportanceTorch and Keras callbacks keep it
    return viann, model


class TrackedConvolution:
    """A convolution's final kernel and VIANN statistics in one layout: (out, in, *kernel).

    Grouped convolutions are expanded: filter ``o`` of group ``g`` sees only
    the input channels of that group, and the entries for the other channels
    are 0 (in the weights and the variances alike), so every array indexes
    all input channels.

    Attributes
    ----------
    name : str
        The tracked weight (torch) or layer (Keras).
    weight : torch.Tensor of shape (out_channels, in_channels, *kernel_size)
        The final weights.
    variance : torch.Tensor, same shape
        Their variance over training, as VIANN measured it.
    """

    def __init__(self, name, weight, variance, groups):
        self.name = name
        self.weight = _expand_groups(weight, groups)
        self.variance = _expand_groups(variance, groups)


def _expand_groups(value, groups):
    """(out, in // groups, *k) -> (out, in, *k), zero outside each filter's group."""
    if groups == 1:
        return value
    n_out, n_in_per_group = value.shape[:2]
    per_group = n_out // groups
    full = value.new_zeros((n_out, n_in_per_group * groups, *value.shape[2:]))
    for group in range(groups):
        filters = slice(group * per_group, (group + 1) * per_group)
        channels = slice(group * n_in_per_group, (group + 1) * n_in_per_group)
        full[filters, channels] = value[filters]
    return full


def tracked_convolution(viann, model, caller):
    """The :class:`TrackedConvolution` an adapter tracked, read from the trained ``model``.

    Raises
    ------
    ValueError
        If there is no model to read, or the tracked weight is not the kernel
        of a (non-transposed) convolution.
    """
    if model is None:
        raise ValueError(
            f"{caller} needs the trained model to read the final kernel: pass the skorch net "
            "itself, or model=net.module_ with the VarianceImportance callback."
        )
    variance = torch.as_tensor(viann.variances_)
    name = viann.param_name_
    if _is_keras_model(model):
        weight, variance, groups = _keras_convolution(model, name, variance, caller)
    elif isinstance(model, torch.nn.Module):
        model = unwrap_model(model)
        owner_name, _, _ = name.rpartition(".")
        owner = model.get_submodule(owner_name)
        if not isinstance(owner, _ConvNd) or isinstance(owner, _ConvTransposeNd):
            raise ValueError(
                f"{caller} needs a tracked convolution; the tracked weight {name!r} belongs to "
                f"{type(owner).__name__}. Put the convolution first, or pass param_name to track it."
            )
        weight = model.get_parameter(name).detach().cpu().to(torch.float64)
        groups = owner.groups
    else:
        raise ValueError(f"{caller}: model must be a torch or Keras model; got {type(model).__name__}.")
    if tuple(weight.shape) != tuple(variance.shape):
        raise ValueError(
            f"{caller}: the kernel {name!r} has shape {tuple(weight.shape)} but its variances "
            f"{tuple(variance.shape)}; was the model changed after training?"
        )
    return TrackedConvolution(name, weight, variance.to(torch.float64), groups)


def _is_keras_model(model):
    # Checked before torch: on Keras' torch backend a Keras model is an nn.Module too.
    # A model can only be a Keras one if Keras has been imported.
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, keras.Model)


def _keras_convolution(model, layer_name, variance, caller):
    """A Keras convolution's kernel (*kernel, in // groups, out) in torch's (out, in // groups, *kernel) layout."""
    import keras

    from .keras_callbacks import _layers_in_order, _value

    layer = next((layer for layer in _layers_in_order(model) if layer.name == layer_name), None)
    convolutions = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
    if layer is None or not isinstance(layer, convolutions):
        kind = "no layer" if layer is None else type(layer).__name__
        raise ValueError(
            f"{caller} needs a tracked Conv1D, Conv2D or Conv3D layer; {layer_name!r} is {kind}. "
            "Put the convolution first, or pass layer_name to track it."
        )
    groups = int(getattr(layer, "groups", 1) or 1)
    weight = _value(layer.kernel).detach().cpu().to(torch.float64).movedim(-1, 0).movedim(-1, 1)
    if groups == 1:
        # VarianceImportanceKeras kept the kernel's own layout; grouped kernels
        # it already moved to torch's, to let the core split the groups.
        variance = variance.movedim(-1, 0).movedim(-1, 1)
    return weight, variance, groups

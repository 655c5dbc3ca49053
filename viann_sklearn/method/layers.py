"""Which weight of a torch model receives the input, and which of its axes are features.

torch only: the skorch callback and the plain-PyTorch tracker both use it.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd
from torch.nn.parameter import UninitializedParameter

__all__ = [
    "InputWeight",
    "ForwardOrderProbe",
    "unwrap_model",
    "input_weight_by_name",
    "first_input_weight",
    "is_main_process",
]


@dataclass
class InputWeight:
    """The tracked weight, how to read it, and how its axes map to input features.

    Framework-neutral: the torch adapters read a ``Parameter``, the Keras
    adapter a Keras variable.

    Attributes
    ----------
    name : str
        Name of the weight, e.g. ``"0.weight"``.
    read : callable
        Returns the current value (a torch tensor, or anything
        ``torch.as_tensor`` accepts). Called at every sample, so it must see
        the optimizer's updates.
    feature_axis : int
        The axis of the value that indexes input features.
    groups : int
        Number of groups of a grouped convolution, else 1; then axis 0 holds
        the output channels and ``feature_axis`` is 1.
    """

    name: str
    read: Callable
    feature_axis: int
    groups: int = 1


def is_main_process():
    """False on every rank but 0 of an initialized ``torch.distributed`` group.

    Under DistributedDataParallel (directly, or through Accelerate or
    Lightning) every rank holds the same weights after each step: one rank
    tracking them is enough, and only rank 0 has importances.
    """
    distributed = torch.distributed
    return not (distributed.is_available() and distributed.is_initialized()) or distributed.get_rank() == 0


def unwrap_model(model):
    """Return the user's model inside DataParallel, DDP or torch.compile wrappers.

    Accelerate and Lightning wrap models in ``DistributedDataParallel``; the
    weights and their names live on the inner module.
    """
    while True:
        if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            model = model.module
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):  # torch.compile
            model = model._orig_mod
        else:
            return model


def _connection_weight(module):
    """The first trainable direct parameter of ``module`` that connects inputs to units.

    One-dimensional weights (the scales of BatchNorm or LayerNorm, PReLU
    slopes) act on each feature separately and connect nothing, so a
    normalisation layer in front of the first Linear layer is looked through:
    the Linear layer's columns still index the same input features.
    """
    for name, parameter in module.named_parameters(recurse=False):
        if not parameter.requires_grad:
            continue
        if isinstance(parameter, UninitializedParameter) or parameter.ndim >= 2:
            return name, parameter
    return None


def _feature_layout(module, parameter_name, parameter, feature_axis=None):
    """(feature_axis, groups) for a parameter of ``module``."""
    groups = 1
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        natural_axis = 0  # one row per token: rows are the features
    elif isinstance(module, _ConvTransposeNd):
        natural_axis = 0  # weight is (in_channels, out_channels // groups, *kernel)
    elif isinstance(module, _ConvNd):
        natural_axis, groups = 1, module.groups  # (out, in // groups, *kernel)
    else:
        # Linear, RNN weight_ih_l0, MultiheadAttention in_proj_weight and most
        # custom layers follow torch's (out_features, in_features, ...) layout.
        natural_axis = 1
    if feature_axis is None:
        feature_axis = natural_axis
    elif feature_axis != natural_axis:
        groups = 1  # the user overrides the layout; grouping no longer applies
    if parameter.ndim == 1:
        feature_axis = 0
    if not -parameter.ndim <= feature_axis < parameter.ndim:
        raise ValueError(
            f"feature_axis={feature_axis} is out of range for parameter "
            f"{parameter_name!r} of shape {tuple(parameter.shape)}."
        )
    return feature_axis % parameter.ndim, groups


def input_weight_by_name(model, name, feature_axis=None):
    """Look up the parameter called ``name`` in the unwrapped ``model``.

    Raises
    ------
    ValueError
        If no parameter has that name; the message lists the names there are.
    """
    model = unwrap_model(model)
    parameters = dict(model.named_parameters())
    if name not in parameters:
        raise ValueError(
            f"param_name={name!r} is not a parameter of {type(model).__name__}. "
            f"Its parameters are: {sorted(parameters)}."
        )
    owner_name, _, local_name = name.rpartition(".")
    owner = model.get_submodule(owner_name)
    parameter = parameters[name]
    axis, groups = _feature_layout(owner, local_name, parameter, feature_axis)
    return InputWeight(name, lambda: parameter, axis, groups)


def first_input_weight(model, feature_axis=None):
    """The first connection weight in registration order, or None.

    Registration order is only a fallback: models often define layers in a
    different order than ``forward`` runs them. :class:`ForwardOrderProbe`
    finds the real first layer.
    """
    model = unwrap_model(model)
    for module_name, module in model.named_modules():
        found = _connection_weight(module)
        if found is not None:
            local_name = found[0]
            qualified = f"{module_name}.{local_name}" if module_name else local_name
            return input_weight_by_name(model, qualified, feature_axis)
    return None


class ForwardOrderProbe:
    """Find the first layer that a forward pass runs, then get out of the way.

    Forward pre-hooks are put on every module that owns a connection weight;
    the first one to fire is the layer that receives the input. It fires
    before that layer computes anything, and so before any optimizer step of
    this batch: the weight it sees is still the one training starts from.
    All hooks are removed at once, so later batches pay nothing.

    Parameters
    ----------
    model : torch.nn.Module
        The model, possibly wrapped.
    on_found : callable
        Called once with the :class:`InputWeight` found.
    feature_axis : int, default=None
        Override of the feature axis; ``None`` infers it from the layer type.
    """

    def __init__(self, model, on_found, feature_axis=None):
        self._model = unwrap_model(model)
        self._on_found = on_found
        self._feature_axis = feature_axis
        self._handles = []
        for module_name, module in self._model.named_modules():
            if _connection_weight(module) is not None:
                hook = self._make_hook(module_name)
                self._handles.append(module.register_forward_pre_hook(hook))
        if not self._handles:
            raise ValueError(
                f"{type(self._model).__name__} has no trainable weight with at least "
                "two axes to track; pass param_name to choose a parameter."
            )

    def _make_hook(self, module_name):
        def hook(module, args):
            if not self._handles:  # another hook of the same pass got there first
                return
            self.remove()
            local_name = _connection_weight(module)[0]
            qualified = f"{module_name}.{local_name}" if module_name else local_name
            self._on_found(input_weight_by_name(self._model, qualified, self._feature_axis))

        return hook

    @property
    def waiting(self):
        """True until a forward pass has run."""
        return bool(self._handles)

    def remove(self):
        """Remove every hook; safe to call more than once."""
        handles, self._handles = self._handles, []
        for handle in handles:
            handle.remove()

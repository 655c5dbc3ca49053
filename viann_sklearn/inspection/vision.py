"""VIANN for image models: the importances of a first convolution's kernel positions and filters.

When a network starts with a convolution, :class:`~viann_sklearn.VarianceImportance`
(and the PyTorch and Keras adapters) already score each *input channel*: the
sum of ``var(w) * |w|`` over every filter and kernel position that reads the
channel. :func:`kernel_importances` splits that sum back out, so each
(input channel, kernel row, kernel column) position and each filter has its
own share. It uses the same statistics as the channel scores, so the
positions of a channel add up to that channel's importance.

What the scores mean for pixels
-------------------------------
A kernel position is an *offset inside the sliding window*, not a pixel of
the image: the weight at kernel row 0, column 0 is applied at every
location, to whatever pixel is at the window's top-left corner. Its score
says how much the filters relied on that offset of the neighbourhood, pooled
over all image locations. It does not say which pixels of an image matter
(a digit's top row or its centre): use an input attribution (occlusion,
gradients) for that, or VIANN on a dense first layer over the flattened
pixels.
"""

import torch
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, validate_params

from ..adapters.lookup import fitted_adapter, tracked_convolution

__all__ = ["kernel_importances"]


@validate_params(
    {
        # What viann must be (a net or adapter that finished training, tracking a
        # convolution) depends on its state, not its type: fitted_adapter and
        # tracked_convolution check it by hand, in the adapters layer, which may not
        # import scikit-learn.
        "viann": "no_validation",
        # A Keras model has get_layer; keras is optional, so its Model class cannot
        # be named here (on Keras' torch backend a Keras model is an nn.Module too).
        "model": [torch.nn.Module, HasMethods(["get_layer"]), None],
    },
    prefer_skip_nested_validation=True,
)
def kernel_importances(viann, model=None):
    """VIANN importances of every kernel position and filter of a tracked first convolution.

    The VIANN score of one kernel weight is ``var(w) * |w|`` (its variance
    over training times its final size). Summing those scores over filters
    gives each (input channel, kernel position) its importance; summing them
    over channels and positions gives each filter's. Both are normalised to
    sum to 1, like ``feature_importances_``.

    Parameters
    ----------
    viann : skorch net, VarianceImportance, VarianceImportanceTorch or VarianceImportanceKeras
        After training: a skorch net with a
        :class:`~viann_sklearn.VarianceImportance` callback, or the adapter
        itself. The tracked weight must be the kernel of a convolution
        (``nn.Conv1d/2d/3d``, grouped included, or Keras' ``Conv1D/2D/3D``).
    model : torch.nn.Module or keras.Model, default=None
        The trained model, to read the final kernel from. Needed only for a
        skorch callback passed on its own (then ``net.module_``); the skorch
        net, ``VarianceImportanceTorch`` and Keras callbacks know their model.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        positions : ndarray of shape (in_channels, kh, kw)
            Importance of each input channel at each kernel position, summed
            over filters; sums to 1. Summed over the kernel positions, it is
            the adapter's ``feature_importances_``.
        filters : ndarray of shape (out_channels,)
            Share of each filter in the total score; sums to 1.
        by_filter : ndarray of shape (out_channels, in_channels, kh, kw)
            Each filter's own scores, on the same scale (all of them sum to 1;
            summed over filters they are ``positions``).
        weights : ndarray of shape (out_channels, in_channels, kh, kw)
            The final kernel, in this layout whatever the framework. For
            grouped convolutions, entries between a filter and the channels
            outside its group are 0.
        param_name : str
            The tracked weight (torch) or layer (Keras).

        Shapes are those of a 2-d convolution; a 1-d or 3-d one has one
        kernel axis or three.

    Raises
    ------
    ValueError
        If ``model`` is not a torch or Keras model (scikit-learn's
        ``InvalidParameterError``, which is a ``ValueError``), if ``viann``
        has not finished training, if the tracked weight is not a convolution
        kernel, or if the model's kernel no longer matches what was tracked.

    See Also
    --------
    viann_sklearn.VarianceImportance : the per-channel importances this splits up.

    Notes
    -----
    Read the module docstring ("What the scores mean for pixels"): a kernel
    position is an offset in the sliding window, pooled over every location
    of the image, not a pixel.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from torch import nn
    >>> from skorch import NeuralNetClassifier
    >>> from viann_sklearn import VarianceImportance
    >>> from viann_sklearn.vision import kernel_importances
    >>> _ = torch.manual_seed(0)
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2, 6, 6)).astype(np.float32)
    >>> y = (X[:, 0, 2:4, 2:4].mean(axis=(1, 2)) > 0).astype(np.int64)  # channel 1 is noise
    >>> module = nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    >>> net = NeuralNetClassifier(module, criterion=nn.CrossEntropyLoss, lr=0.1, max_epochs=10,
    ...                           train_split=None, verbose=0, callbacks=[VarianceImportance()])
    >>> _ = net.fit(X, y)
    >>> result = kernel_importances(net)
    >>> result.positions.shape, result.filters.shape
    ((2, 3, 3), (4,))
    >>> bool(result.positions[0].sum() > result.positions[1].sum())
    True
    """
    caller = "kernel_importances"
    adapter, known_model = fitted_adapter(viann, caller)
    convolution = tracked_convolution(adapter, model if model is not None else known_model, caller)
    scores = convolution.variance * convolution.weight.abs()
    total = scores.sum()
    if not bool(total > 0):
        raise ValueError(
            f"{caller}: every score of {convolution.name!r} is zero (its weights never changed "
            "during training), so no kernel position can be ranked."
        )
    by_filter = scores / total
    positions = by_filter.sum(dim=0)
    _check_matches_channels(positions, adapter.feature_importances_, convolution.name, caller)
    return Bunch(
        positions=positions.numpy(),
        filters=by_filter.flatten(start_dim=1).sum(dim=1).numpy(),
        by_filter=by_filter.numpy(),
        weights=convolution.weight.numpy(),
        param_name=convolution.name,
    )


def _check_matches_channels(positions, channel_importances, name, caller):
    """The positions of each channel must add up to the channel importance the adapter reported."""
    channels = positions.flatten(start_dim=1).sum(dim=1)
    reported = torch.as_tensor(channel_importances, dtype=torch.float64)
    if channels.shape != reported.shape or not torch.allclose(channels, reported, rtol=1e-6, atol=1e-9):
        raise ValueError(
            f"{caller}: the kernel {name!r} does not give the channel importances the adapter "
            "reported. Either the model was trained further after the tracked run, or the "
            "adapter scored another axis (feature_axis) than the input channels."
        )

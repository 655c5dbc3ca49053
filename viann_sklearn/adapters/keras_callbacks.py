"""VIANN and MetricThreshold as Keras 3 callbacks.

Needs Keras 3 (``pip install "viann-sklearn[keras]"``) with any backend:
TensorFlow, JAX or PyTorch (``KERAS_BACKEND=torch``). The rest of the package
never imports this module, so it works without Keras.
"""

try:
    import keras
except ModuleNotFoundError as error:
    if error.name != "keras":  # Keras is there, but not the backend it was told to use
        raise ImportError(
            f"Keras is installed but could not load its backend ({error}). Install that "
            "backend, or use PyTorch's: set KERAS_BACKEND=torch before importing Keras."
        ) from error
    raise ImportError(
        "viann_sklearn.keras needs Keras 3. Install it with: pip install 'viann-sklearn[keras]'"
    ) from error

if int(keras.__version__.split(".")[0]) < 3:
    raise ImportError(
        f"viann_sklearn.keras needs Keras 3, found {keras.__version__}. "
        "Install it with: pip install 'viann-sklearn[keras]'"
    )

import torch

from ..method.layers import InputWeight
from ..method.metric_threshold import check_threshold_options, should_stop
from ..method.tracker import ImportanceResultsMixin, check_tracking_options

__all__ = ["VarianceImportanceKeras", "MetricThreshold"]


class VarianceImportanceKeras(ImportanceResultsMixin, keras.callbacks.Callback):
    """VIANN feature importances for a Keras 3 model.

    Tracks the first layer with a kernel, in the model's layer order:
    ``InputLayer``, normalisation and other layers without a kernel are
    skipped, and nested models are searched. One score per input feature:
    ``Dense`` and convolution kernels are ``(..., in, out)``, so the feature
    axis is the second to last; ``Embedding`` has one row per token;
    recurrent layers use their input kernel.

    Parameters
    ----------
    on : {"epoch", "batch"}, default="epoch"
        Sample the kernel after every epoch (the paper) or every batch.
    layer_name : str, default=None
        Name of the layer to track, instead of the first with a kernel.
    feature_axis : int, default=None
        Axis of the kernel that indexes input features, if the layer type's
        default does not fit.

    Attributes
    ----------
    feature_importances_ : ndarray of shape (n_features,)
        Importances, >= 0 and summing to 1.
    var_scores : ndarray of shape (n_features,)
        Scores min-max scaled to [0, 1], as the original callback reported.
    scores_, variances_, importances_history_, param_name_, n_samples_
        As in :class:`viann_sklearn.VarianceImportance`.

    Notes
    -----
    Every ``fit`` starts over, as the original callback did.

    Examples
    --------
    >>> import numpy as np
    >>> import keras
    >>> from viann_sklearn.keras import VarianceImportanceKeras
    >>> keras.utils.set_random_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(256, 5)).astype("float32")
    >>> y = (X[:, 1] > 0).astype("int64")
    >>> model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(16, activation="relu"),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    >>> viann = VarianceImportanceKeras()
    >>> _ = model.fit(X, y, epochs=10, batch_size=32, verbose=0, callbacks=[viann])
    >>> int(viann.feature_importances_.argmax())
    1
    """

    def __init__(self, on="epoch", layer_name=None, feature_axis=None):
        super().__init__()
        check_tracking_options(on, layer_name, feature_axis, type(self).__name__)
        self.on = on
        self.layer_name = layer_name
        self.feature_axis = feature_axis

    def on_train_begin(self, logs=None):
        self._start_over(self.on, None, self.feature_axis)
        self.tracker_.track(_input_weight(self.model, self.layer_name, self.feature_axis))

    def on_train_batch_end(self, batch, logs=None):
        self.tracker_.after_step()

    def on_epoch_end(self, epoch, logs=None):
        self.tracker_.after_epoch()

    def on_train_end(self, logs=None):
        self._finish_tracking()


class MetricThreshold(keras.callbacks.Callback):
    """Stop training once a logged metric reaches a threshold (Keras 3).

    The VIANN paper stops classification when the validation accuracy
    reaches 0.95, after at least 5 epochs: the defaults. Training stops the
    Keras way (``model.stop_training``), so every callback sees the last epoch.

    Parameters
    ----------
    monitor : str, default="val_accuracy"
        Key of the epoch logs to watch.
    threshold : float, default=0.95
        Value to reach.
    min_epochs : int, default=5
        Never stop before this many epochs.
    lower_is_better : bool, default=False
        True for losses: stop once the metric is at or below the threshold.

    Attributes
    ----------
    stopped_epoch_ : int or None
        Epoch (1-based) after which training was stopped, else None.
    """

    def __init__(self, monitor="val_accuracy", threshold=0.95, min_epochs=5, lower_is_better=False):
        super().__init__()
        check_threshold_options(monitor, threshold, min_epochs, lower_is_better, type(self).__name__)
        self.monitor = monitor
        self.threshold = threshold
        self.min_epochs = min_epochs
        self.lower_is_better = lower_is_better
        self.stopped_epoch_ = None

    def on_train_begin(self, logs=None):
        self.stopped_epoch_ = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"MetricThreshold: monitor={self.monitor!r} is not in the epoch logs. They have: {sorted(logs)}."
            )
        if should_stop(float(logs[self.monitor]), epoch + 1, self.threshold, self.min_epochs, self.lower_is_better):
            self.stopped_epoch_ = epoch + 1
            self.model.stop_training = True


def _layers_in_order(model):
    """Every layer of ``model``, nested models expanded in place."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _layers_in_order(layer)
        else:
            yield layer


def _kernel_of(layer):
    """(variable, feature_axis, groups) of a layer's input weight, or None."""
    if isinstance(layer, keras.layers.Embedding):
        variable, axis = layer.embeddings, 0
    elif isinstance(layer, keras.layers.RNN) and hasattr(layer.cell, "kernel"):
        variable, axis = layer.cell.kernel, -2  # (in, units * gates)
    elif getattr(layer, "kernel", None) is not None:
        variable = layer.kernel
        # Transposed convolutions keep (..., out, in); the rest (..., in, out).
        axis = -1 if "Transpose" in type(layer).__name__ else -2
    else:
        return None
    if not (layer.trainable and variable.trainable):
        return None
    return variable, axis, int(getattr(layer, "groups", 1) or 1)


def _input_weight(model, layer_name, feature_axis):
    layers = list(_layers_in_order(model))
    if layer_name is not None:
        named = [layer for layer in layers if layer.name == layer_name]
        if not named:
            raise ValueError(
                f"layer_name={layer_name!r} is not a layer of the model. "
                f"Its layers are: {[layer.name for layer in layers]}."
            )
        layers = named
    for layer in layers:
        found = _kernel_of(layer)
        if found is not None:
            break
    else:
        raise ValueError(
            f"Layer {layer_name!r} has no trainable kernel to track."
            if layer_name
            else "The model has no trainable layer with a kernel to track."
        )
    variable, axis, groups = found
    ndim = len(variable.shape)
    axis = axis if feature_axis is None else feature_axis
    if not -ndim <= axis < ndim:
        raise ValueError(f"feature_axis={axis} is out of range for a kernel of shape {tuple(variable.shape)}.")
    axis %= ndim
    if groups > 1 and axis == ndim - 2:
        # Grouped convolution (..., in // groups, out): put it in torch's
        # (out, in // groups, ...) layout, which the core knows how to split.
        return InputWeight(layer.name, lambda: _value(variable).movedim(-1, 0).movedim(-1, 1), 1, groups)
    return InputWeight(layer.name, lambda: _value(variable), axis, 1)


def _value(variable):
    """The variable's current value as a torch tensor, without a copy on the torch backend."""
    value = variable.value
    if isinstance(value, torch.Tensor):
        return value
    return torch.as_tensor(keras.ops.convert_to_numpy(value))

"""skorch callback that gives any skorch net VIANN feature importances."""

from __future__ import annotations

from typing import Any

from skorch.callbacks import Callback

from ..method.layers import is_main_process
from ..method.metric_threshold import check_threshold_options, should_stop
from ..method.tracker import ImportanceResultsMixin, check_tracking_options

__all__ = ["VarianceImportance", "MetricThreshold"]


class VarianceImportance(ImportanceResultsMixin, Callback):
    """VIANN feature importances for any skorch net.

    While the net trains, the callback keeps the running variance (Welford's
    algorithm, float64) of every weight of the layer that receives the input.
    When training ends, the importance of input feature ``i`` is
    ``sum_j var(w_ij) * |w_ij|`` over the units ``j`` it feeds, with the
    weights the net ends with (de Sá, *Variance-based Feature Importance in
    Neural Networks*, Discovery Science 2019).

    The weights training starts from count as the first sample, so a single
    epoch already gives two samples and finite importances.

    Parameters
    ----------
    on : {"epoch", "batch"}, default="epoch"
        When to sample the weights: after every epoch, as in the paper, or
        after every training batch.
    param_name : str, default=None
        Qualified name of the parameter to track in ``net.module_``, e.g.
        ``"encoder.0.weight"``. By default the first trainable weight with at
        least two axes that the forward pass runs is tracked (normalisation
        layers with one-dimensional weights are looked through).
    feature_axis : int, default=None
        Axis of the tracked weight that indexes input features. By default it
        follows the layer type: 1 for ``nn.Linear`` (its weight is
        ``(out, in)``) and convolutions (input channels, grouped convolutions
        included), 0 for ``nn.Embedding`` (rows) and transposed convolutions,
        and 1 for other layers (torch's ``(out, in, ...)`` convention).

    Attributes
    ----------
    feature_importances_ : ndarray of shape (n_features,)
        Importances, >= 0 and summing to 1.
    scores_ : ndarray of shape (n_features,)
        Raw VIANN scores.
    variances_ : ndarray
        Variance of every element of the tracked weight, its shape.
    importances_history_ : ndarray of shape (n_epochs, n_features)
        Importances after each epoch, to see how they evolve.
    var_scores : ndarray of shape (n_features,)
        Scores min-max scaled to [0, 1], as the original VIANN code reported.
    param_name_ : str
        Name of the tracked parameter.
    n_samples_ : int
        Number of weight snapshots the variance is computed from.

    Notes
    -----
    Importances are computed in ``on_train_end`` from the weights the module
    holds then. skorch runs callbacks in list order, so put this callback
    after any callback that restores weights when training ends (such as
    ``EarlyStopping(load_best=True)``) to get importances of the restored
    weights.

    Training continues the accumulation: ``partial_fit`` and ``warm_start``
    add to the same variance; a fresh ``fit`` (which re-initializes the
    callbacks) starts over.

    Under ``torch.distributed`` (DDP, Accelerate), only rank 0 tracks and has
    importances; the other ranks hold identical weights and skip the work.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from skorch import NeuralNetClassifier
    >>> from viann_sklearn import VarianceImportance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> module = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net = NeuralNetClassifier(module, criterion=nn.CrossEntropyLoss, lr=0.1,
    ...                           max_epochs=5, train_split=None, verbose=0,
    ...                           callbacks=[VarianceImportance()])
    >>> _ = net.fit(X, y)
    >>> viann = dict(net.callbacks_)["VarianceImportance"]
    >>> viann.feature_importances_.shape
    (4,)
    >>> int(np.argmax(viann.feature_importances_))
    0
    """

    def __init__(self, on: str = "epoch", param_name: str | None = None, feature_axis: int | None = None) -> None:
        self.on = on
        self.param_name = param_name
        self.feature_axis = feature_axis

    def initialize(self) -> VarianceImportance:
        """Validate the options and forget every earlier fit."""
        check_tracking_options(self.on, self.param_name, self.feature_axis, type(self).__name__)
        self._start_over(self.on, self.param_name, self.feature_axis)
        return self

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        if not hasattr(self, "tracker_"):  # used without net.initialize()
            self.initialize()
        # A run that continues the accumulation (partial_fit, warm_start) samples as ``on`` says now.
        self.tracker_.on = self.on
        self.tracking_ = is_main_process()
        if self.tracking_:
            self.tracker_.begin(net.module_)

    def on_batch_end(self, net: Any, training: bool = False, **kwargs: Any) -> None:
        if training and self.tracking_:
            self.tracker_.after_step()

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        if self.tracking_:
            self.tracker_.after_epoch()

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        if self.tracking_:
            self._finish_tracking()


class MetricThreshold(Callback):
    """Stop training once a metric in the net's history reaches a threshold.

    The VIANN paper stops classification training when the validation
    accuracy reaches 0.95, after at least 5 epochs: the defaults.

    Parameters
    ----------
    monitor : str, default="valid_acc"
        Key of ``net.history`` to watch, e.g. ``"valid_acc"`` (skorch's
        ``NeuralNetClassifier`` with a validation split) or ``"valid_loss"``.
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

    Notes
    -----
    skorch stops training by raising ``KeyboardInterrupt`` from
    ``on_epoch_end``, after which later callbacks do not see that epoch's end.
    Put ``MetricThreshold`` after :class:`VarianceImportance` in the list, so
    that VIANN samples the last epoch too.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from skorch import NeuralNetClassifier
    >>> from viann_sklearn import MetricThreshold, VarianceImportance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NeuralNetClassifier(
    ...     nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
    ...     criterion=nn.CrossEntropyLoss, lr=0.1, max_epochs=200, verbose=0,
    ...     callbacks=[VarianceImportance(), MetricThreshold("valid_acc", 0.95)])
    >>> _ = net.fit(X, y)
    >>> stopper = dict(net.callbacks_)["MetricThreshold"]
    >>> 5 <= stopper.stopped_epoch_ < 200
    True
    """

    def __init__(
        self, monitor: str = "valid_acc", threshold: float = 0.95, min_epochs: int = 5, lower_is_better: bool = False
    ) -> None:
        self.monitor = monitor
        self.threshold = threshold
        self.min_epochs = min_epochs
        self.lower_is_better = lower_is_better

    def initialize(self) -> MetricThreshold:
        check_threshold_options(
            self.monitor, self.threshold, self.min_epochs, self.lower_is_better, type(self).__name__
        )
        self.stopped_epoch_: int | None = None
        return self

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        last_epoch = net.history[-1]
        if self.monitor not in last_epoch:
            known = sorted(key for key in last_epoch if key != "batches")
            raise ValueError(
                f"MetricThreshold: monitor={self.monitor!r} is not in the net's history. Its keys are: {known}."
            )
        epochs_done = len(net.history)
        if should_stop(last_epoch[self.monitor], epochs_done, self.threshold, self.min_epochs, self.lower_is_better):
            self.stopped_epoch_ = epochs_done
            if net.verbose:
                print(f"Stopping: {self.monitor} reached {self.threshold} after epoch {epochs_done}.")
            raise KeyboardInterrupt  # skorch's way to end training early

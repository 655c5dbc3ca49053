"""skorch callback that gives any skorch net VIANN feature importances."""

from skorch.callbacks import Callback

from ._tracker import InputWeightVariance, check_tracking_options

__all__ = ["VarianceImportance"]

_RESULT_ATTRIBUTES = ("variances_", "scores_", "feature_importances_")


class VarianceImportance(Callback):
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

    def __init__(self, on="epoch", param_name=None, feature_axis=None):
        self.on = on
        self.param_name = param_name
        self.feature_axis = feature_axis

    def initialize(self):
        """Validate the options and forget every earlier fit."""
        check_tracking_options(self.on, self.param_name, self.feature_axis, type(self).__name__)
        self.tracker_ = InputWeightVariance(self.on, self.param_name, self.feature_axis)
        for name in _RESULT_ATTRIBUTES:
            self.__dict__.pop(name, None)
        return self

    def on_train_begin(self, net, **kwargs):
        if not hasattr(self, "tracker_"):  # used without net.initialize()
            self.initialize()
        self.tracker_.begin(net.module_)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.tracker_.after_step()

    def on_epoch_end(self, net, **kwargs):
        self.tracker_.after_epoch()

    def on_train_end(self, net, **kwargs):
        results = self.tracker_.end()
        if results is not None:
            self.variances_ = results["variances"]
            self.scores_ = results["scores"]
            self.feature_importances_ = results["feature_importances"]

    @property
    def importances_history_(self):
        return self.tracker_.importances_history()

    @property
    def param_name_(self):
        return self.tracker_.param_name

    @property
    def n_samples_(self):
        return self.tracker_.moments.count

"""VIANNRegressor: a multi-layer perceptron regressor with VIANN feature_importances_."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score

from ._estimators import _SHARED_ATTRIBUTES_DOC, _SHARED_PARAMETERS_DOC, _BaseVIANN
from ._inputs import column_mean_and_scale

__all__ = ["VIANNRegressor"]


class VIANNRegressor(RegressorMixin, _BaseVIANN):
    __doc__ = (
        """Multi-layer perceptron regressor with VIANN ``feature_importances_``.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`
    (squared error) trained with PyTorch through skorch; see
    :class:`VIANNClassifier`. One or several targets.
"""
        + _SHARED_PARAMETERS_DOC
        + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
"""
        + _SHARED_ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn import VIANNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 5))
    >>> y = 3 * X[:, 2] + 0.1 * rng.normal(size=300)
    >>> reg = VIANNRegressor(hidden_layer_sizes=(16,), max_iter=40,
    ...                      learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> int(reg.feature_importances_.argmax())
    2
    >>> reg.score(X, y) > 0.9
    True
    """
    )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network and track its input-weight variance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : VIANNRegressor
        """
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Train one more epoch on (X, y), continuing the importances.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : VIANNRegressor
        """
        return self._fit(X, y, incremental=True)

    def _encode_targets(self, y, *, continuing, incremental, classes):
        y = y.reshape(len(y), -1)
        if y.dtype.kind not in "fc":
            # validate_data leaves str arrays as they are; numpy names the bad value
            y = y.astype(np.float64)
        if not continuing:
            self.n_outputs_ = y.shape[1]
            # Targets in standard units keep SGD's steps the same size whether
            # a price is in euros or in thousands (at lr 0.01, a target in the
            # hundreds diverged); predict() converts back.
            self._target_shift, self._target_scale = column_mean_and_scale(y) if self.standardize else (None, None)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} targets, but {type(self).__name__} was fitted with {self.n_outputs_}."
            )
        if self._target_shift is not None:
            y = (y - self._target_shift) / self._target_scale
        return y

    def _n_network_outputs(self):
        return self.n_outputs_

    def _score_outputs(self, outputs, y):
        return float(r2_score(y, outputs.numpy()))

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One-dimensional for a single target, as MLPRegressor returns.
        """
        outputs = self._outputs(X).numpy()
        if self._target_shift is not None:
            outputs = outputs * self._target_scale + self._target_shift
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

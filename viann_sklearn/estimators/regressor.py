"""VIANNRegressor: a multi-layer perceptron regressor with VIANN feature_importances_."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import StrOptions

from .base import _among_weighted_rows, _BaseVIANN, _is_stochastic, _rows_that_count
from .early_stopping import ValidationR2
from .inputs import column_mean_and_scale
from .parameters import _SHARED_ATTRIBUTES_DOC, _SHARED_PARAMETERS_DOC

__all__ = ["VIANNRegressor"]


class VIANNRegressor(RegressorMixin, _BaseVIANN):
    __doc__ = (
        """Multi-layer perceptron regressor with VIANN ``feature_importances_``.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`
    trained with PyTorch through skorch; see :class:`VIANNClassifier`. One or
    several targets.
"""
        + _SHARED_PARAMETERS_DOC
        + """
    loss : {"squared_error", "poisson"}, default="squared_error"
        Half the squared error, or half the Poisson deviance with a log link
        (``predict`` returns ``exp`` of the network's output; y must be >= 0,
        and is not standardised).
"""
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

    _parameter_constraints: dict = {
        **_BaseVIANN._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        solver="sgd",
        alpha=1.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init=0.05,
        importance_on="epoch",
        standardize=True,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            importance_on=importance_on,
            standardize=standardize,
            device=device,
        )
        self.loss = loss

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> VIANNRegressor:
        """Train the network and track its input-weight variance.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A sparse matrix (CSR or CSC) is never densified
            whole: each batch is.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (zero leaves it out).

        Returns
        -------
        self : VIANNRegressor

        Warns
        -----
        UninformativeTargetWarning
            When every target column of y is constant (on the samples of
            positive weight): the network has nothing to learn, and its
            ``feature_importances_`` carry no information. The fit still
            completes, as MLPRegressor's does.
            (``viann_sklearn.UninformativeTargetWarning``, a
            ``RuntimeWarning``.)
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @available_if(_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> VIANNRegressor:
        """Train one more epoch on (X, y), continuing the importances.

        Not available with ``solver="lbfgs"``, as in MLPRegressor.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : VIANNRegressor

        Warns
        -----
        UninformativeTargetWarning
            When every target column of this call's y is constant (on the
            samples of positive weight).
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _encode_targets(self, y, *, continuing, incremental, classes, sample_weight=None):
        y = y.reshape(len(y), -1)
        if y.dtype.kind not in "fc":
            # validate_data leaves str arrays as they are; numpy names the bad value
            y = y.astype(np.float64)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError("Some value(s) of y are negative which is not allowed for Poisson regression.")
        if not continuing:
            self.n_outputs_ = y.shape[1]
            # Targets in standard units keep SGD's steps the same size whether
            # a price is in euros or in thousands (at lr 0.01, a target in the
            # hundreds diverged); predict() converts back. Poisson counts stay
            # counts: the loss needs them non-negative, and the log link
            # already makes the output's scale a shift of its bias.
            standardized = self.standardize and self.loss == "squared_error"
            self._target_shift, self._target_scale = (
                column_mean_and_scale(y, sample_weight) if standardized else (None, None)
            )
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} targets, but {type(self).__name__} was fitted with {self.n_outputs_}."
            )
        if self._target_shift is not None:
            y = (y - self._target_shift) / self._target_scale
        return y

    def _uninformative_target(self, y, *, sample_weight, incremental):
        y = y.reshape(len(y), -1)
        targets = _rows_that_count(y if y.dtype.kind in "fc" else y.astype(np.float64), sample_weight)
        if not (targets == targets[0]).all():
            return None
        qualifier = _among_weighted_rows(sample_weight)
        if targets.shape[1] == 1:
            return f"y is constant ({targets[0, 0]}){qualifier}"
        return f"each of the {targets.shape[1]} target columns of y is constant{qualifier}"

    def _target_columns_to_standardize(self, y):
        if not (self.standardize and self.loss == "squared_error"):
            return None
        y = y.reshape(len(y), -1)
        return y if y.dtype.kind == "f" else y.astype(np.float64)

    def _use_target_statistics(self, shift, scale):
        self._target_shift, self._target_scale = shift, scale

    def _n_network_outputs(self):
        return self.n_outputs_

    def _loss_name(self):
        return self.loss

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _output_layer_as_mlp(self, coefs, intercepts):
        if self._target_shift is not None:
            # Predictions are outputs * scale + shift: the same affine map on the last layer.
            scale = np.asarray(self._target_scale, dtype=coefs[-1].dtype).reshape(-1)
            shift = np.asarray(self._target_shift, dtype=coefs[-1].dtype).reshape(-1)
            coefs[-1] = coefs[-1] * scale
            intercepts[-1] = intercepts[-1] * scale + shift
        return coefs, intercepts

    def _predictions(self, outputs):
        """Network outputs to predictions in the targets' units, as an array of shape (n, n_outputs)."""
        if self.loss == "poisson":
            return torch.exp(outputs).numpy()
        outputs = outputs.numpy()
        if self._target_shift is not None:
            outputs = (outputs * self._target_scale + self._target_shift).astype(outputs.dtype)
        return outputs

    def _score_outputs(self, outputs, y_encoded, sample_weight=None):
        return self._validation_metric(y_encoded, sample_weight)(outputs)

    def _validation_metric(self, y_val, w_val):
        r2_of = ValidationR2(y_val, w_val)
        if self.loss == "poisson":
            return lambda outputs: r2_of(self._predictions(outputs))
        # R² does not change when targets and predictions are standardised alike
        return lambda outputs: r2_of(outputs.numpy())

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One-dimensional for a single target, as MLPRegressor returns; in
            the network's dtype (float32 for a network fitted on float32 X).
        """
        predictions = self._predictions(self._outputs(X))
        return predictions.ravel() if predictions.shape[1] == 1 else predictions

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

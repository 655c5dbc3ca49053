"""VIANNClassifier: a multi-layer perceptron classifier with VIANN feature_importances_."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._estimators import _SHARED_ATTRIBUTES_DOC, _SHARED_PARAMETERS_DOC, _BaseVIANN

__all__ = ["VIANNClassifier"]


class VIANNClassifier(ClassifierMixin, _BaseVIANN):
    __doc__ = (
        """Multi-layer perceptron classifier with VIANN ``feature_importances_``.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`
    trained with PyTorch through skorch. While it trains, the variance of
    every first-layer weight is tracked; the importances come for free and
    make the network usable with ``SelectFromModel`` and ``RFE``.

    The network computes in float32 when X is float32 and in float64
    otherwise, as MLPClassifier does.
"""
        + _SHARED_PARAMETERS_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
"""
        + _SHARED_ATTRIBUTES_DOC
        + """
    See Also
    --------
    VIANNRegressor : The same for regression.
    VarianceImportance : The skorch callback, for your own nets.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from viann_sklearn import VIANNClassifier
    >>> X, y = make_classification(n_samples=200, n_features=6, n_informative=2,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> clf = VIANNClassifier(hidden_layer_sizes=(16,), max_iter=50,
    ...                       learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.feature_importances_.shape
    (6,)
    >>> int(clf.feature_importances_.argmax())  # a random forest agrees
    1
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """
    )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network and track its input-weight variance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings).

        Returns
        -------
        self : VIANNClassifier
        """
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train one more epoch on (X, y), continuing the importances.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class there will be; required on the first call.

        Returns
        -------
        self : VIANNClassifier
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _encode_targets(self, y, *, continuing, incremental, classes):
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"{type(self).__name__} supports binary and multiclass targets; got {target_type}.")
        present = np.unique(y)
        if not continuing:
            if incremental:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                self.classes_ = np.unique(np.asarray(classes))
            else:
                self.classes_ = present
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {self.classes_[0]!r}."
                )
        elif not incremental and set(present) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {present}."
            )
        unknown = np.setdiff1d(present, self.classes_)
        if len(unknown):
            raise ValueError(f"`y` has classes not in `self.classes_`: {unknown}. `self.classes_` has {self.classes_}.")
        return np.searchsorted(self.classes_, y)

    def _n_network_outputs(self):
        return len(self.classes_)

    def _score_outputs(self, outputs, y_encoded):
        return float(np.mean(outputs.argmax(dim=1).numpy() == y_encoded))

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        # softmax in float64, so every row sums to 1 to the last digit
        return torch.softmax(self._outputs(X), dim=1).numpy()

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably."""
        return torch.log_softmax(self._outputs(X), dim=1).numpy()

    def predict(self, X):
        """Predicted class labels, from ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        outputs = self._outputs(X)  # checks that the estimator is fitted first
        return self.classes_[outputs.argmax(dim=1).numpy()]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

"""VIANNClassifier: a multi-layer perceptron classifier with VIANN feature_importances_."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from .base import _among_weighted_rows, _BaseVIANN, _is_stochastic, _rows_that_count
from .parameters import _SHARED_ATTRIBUTES_DOC, _SHARED_PARAMETERS_DOC

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
        Class labels; for a multilabel indicator y, the label column numbers
        ``0 .. n_labels - 1``, as MLPClassifier sets them.
    n_outputs_ : int
        Output units of MLPClassifier's equivalent network: the number of
        classes, 1 for two classes, or the number of labels. (This network
        trains two softmax outputs for two classes; ``coefs_`` shows them as
        the one logistic output they are equivalent to.)
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
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> VIANNClassifier:
        """Train the network and track its input-weight variance.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A sparse matrix (CSR or CSC) is never densified
            whole: each batch is.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (numbers or strings), or a 0/1 indicator matrix for
            multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (zero leaves it out); None
            weighs all equally.

        Returns
        -------
        self : VIANNClassifier

        Warns
        -----
        UninformativeTargetWarning
            When y has a single class, or every label column of a multilabel
            y is constant (on the samples of positive weight): the network
            has nothing to learn, and its ``feature_importances_`` carry no
            information. The fit still completes, as MLPClassifier's does.
            (``viann_sklearn.UninformativeTargetWarning``, a
            ``RuntimeWarning``.)
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @available_if(_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None, sample_weight: ArrayLike | None = None
    ) -> VIANNClassifier:
        """Train one more epoch on (X, y), continuing the importances.

        Not available with ``solver="lbfgs"``, as in MLPClassifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class there will be; required on the first call, and the
            same on later calls if given.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : VIANNClassifier

        Warns
        -----
        UninformativeTargetWarning
            When ``classes_`` (from ``classes``) has a single class. A chunk
            of one class out of several declared ones is a normal part of a
            stream and does not warn; nor do constant label columns in one
            chunk of a multilabel stream.
        """
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _encode_targets(self, y, *, continuing, incremental, classes, sample_weight=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"{type(self).__name__} supports binary, multiclass and multilabel-indicator targets; "
                f"got {target_type}."
            )
        multilabel = target_type == "multilabel-indicator"
        if continuing and multilabel != self._multilabel:
            raise ValueError("y switched between one label per sample and a multilabel indicator matrix.")
        if multilabel:
            return self._encode_labels(y, continuing=continuing, incremental=incremental, classes=classes)
        present = np.unique(y)
        if not continuing:
            self._multilabel = False
            if incremental:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                self.classes_ = np.unique(np.asarray(classes))
            else:
                self.classes_ = present
        elif incremental and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes)} is not the same as on the first call to partial_fit, "
                f"which was {self.classes_}."
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

    def _encode_labels(self, y, *, continuing, incremental, classes):
        """A multilabel indicator matrix: one logistic output per label, ``classes_`` its column numbers."""
        n_labels = y.shape[1]
        if not continuing:
            self._multilabel = True
            self.classes_ = np.arange(n_labels)
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes)} does not match y's {n_labels} label columns "
                f"(classes_ is {self.classes_})."
            )
        if n_labels != len(self.classes_):
            raise ValueError(
                f"y has {n_labels} label columns, but {type(self).__name__} was fitted with {len(self.classes_)}."
            )
        return np.asarray(y, dtype=self._compute_dtype_numpy() if continuing else np.float64)

    def _uninformative_target(self, y, *, sample_weight, incremental):
        if self._multilabel:
            if incremental:
                return None  # one chunk's labels may all be constant where the stream's are not
            labels = _rows_that_count(y, sample_weight)
            if (labels == labels[0]).all():
                return "every label column of y is constant" + _among_weighted_rows(sample_weight)
            return None
        if incremental:
            # The declared classes, not the chunk's: a chunk of one of several classes is normal in a stream.
            present, qualifier = self.classes_, ""
        else:
            y = y.ravel() if y.ndim == 2 else y  # a column vector, as _encode_targets takes it
            present, qualifier = np.unique(_rows_that_count(y, sample_weight)), _among_weighted_rows(sample_weight)
        if len(present) == 1:
            return f"y has a single class ({present.tolist()[0]!r}){qualifier}"
        return None

    def _target_dtype(self):
        return self._compute_dtype_numpy() if self._multilabel else np.int64

    def _n_network_outputs(self):
        # One class still gets two outputs, so that softmax has something to
        # push against (MLPClassifier trains one logistic output towards 0).
        return len(self.classes_) if self._multilabel else max(2, len(self.classes_))

    def _loss_name(self):
        return "binary_cross_entropy" if self._multilabel else "cross_entropy"

    def _binary(self):
        return not self._multilabel and len(self.classes_) == 2

    def _output_activation(self):
        return "logistic" if self._multilabel or self._binary() else "softmax"

    def _mlp_n_outputs(self):
        return 1 if self._binary() else super()._mlp_n_outputs()

    def _output_layer_as_mlp(self, coefs, intercepts):
        if self._binary():
            # Two softmax outputs z0, z1 give P(class 1) = sigmoid(z1 - z0): one
            # logistic output, with the difference of their weights, as MLPClassifier has.
            coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
            intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]
        return coefs, intercepts

    def _score_outputs(self, outputs, y_encoded, sample_weight=None):
        if self._multilabel:
            correct = ((outputs > 0).numpy() == (y_encoded > 0.5)).all(axis=1)
        else:
            correct = outputs.argmax(dim=1).numpy() == y_encoded
        return float(correct.mean() if sample_weight is None else np.average(correct, weights=sample_weight))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability of each class (of each label, for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. float64 (rows sum to 1 to the last
            digit), whatever the input dtype.
        """
        outputs = self._outputs(X).double()
        if self._multilabel:
            return torch.sigmoid(outputs).numpy()
        if len(self.classes_) == 1:
            return np.ones((len(outputs), 1))
        # softmax in float64, so every row sums to 1 to the last digit
        return torch.softmax(outputs, dim=1).numpy()

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed stably."""
        outputs = self._outputs(X).double()
        if self._multilabel:
            # log of predict_proba itself, as MLPClassifier: the two agree to the last digit
            return np.log(torch.sigmoid(outputs).numpy())
        if len(self.classes_) == 1:
            return np.zeros((len(outputs), 1))
        return torch.log_softmax(outputs, dim=1).numpy()

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, from ``classes_`` (a 0/1 matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        outputs = self._outputs(X)  # checks that the estimator is fitted first
        if self._multilabel:
            return (outputs > 0).numpy().astype(int)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(outputs))
        return self.classes_[outputs.argmax(dim=1).numpy()]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

"""Early stopping's decisions: whether to hold out rows, which ones, and how long to wait.

Functions of the estimator's parameters, as ``training/solvers.py`` has for the
optimizers; ``ConvergenceMonitor`` (in ``training/monitors.py``) applies them epoch
by epoch.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

__all__ = ["ValidationR2", "baseline_score", "patience", "split_validation", "validation_rows", "wants_validation"]

# early_stopping="auto" holds out a validation set only when it has at least
# this many rows (50 samples at validation_fraction=0.1).
AUTO_MIN_VALIDATION_ROWS = 5
# ... and waits at least this many optimizer steps for the validation score to improve.
# (benchmarks/real_data.py --patience-steps sets it here.)
AUTO_MIN_PATIENCE_STEPS = 50


def validation_rows(estimator, n_samples):
    """How many of ``n_samples`` rows the validation split holds: ``validation_fraction`` of them, rounded up."""
    return int(np.ceil(estimator.validation_fraction * n_samples))


def wants_validation(estimator, targets):
    """Whether this fit holds out a validation set and stops on its score."""
    if estimator.solver == "lbfgs":
        return False  # MLPClassifier's L-BFGS has no early stopping either
    if estimator.early_stopping != "auto":
        return estimator.early_stopping
    # "auto": early stopping keeps the importances true (see the docs'
    # "Can I trust these importances?"), wherever a validation split of
    # at least AUTO_MIN_VALIDATION_ROWS rows, with every class in it, exists.
    n_validation = validation_rows(estimator, len(targets))
    if n_validation < AUTO_MIN_VALIDATION_ROWS or len(targets) - n_validation < AUTO_MIN_VALIDATION_ROWS:
        return False
    if is_classifier(estimator) and targets.ndim == 1:
        counts = np.bincount(targets, minlength=len(estimator.classes_))
        return n_validation >= len(estimator.classes_) and counts.min() >= 2
    return True


def split_validation(estimator, X, targets, sample_weight, seed):
    """Training row positions, and the validation rows ``(X, targets, sample_weight)``.

    Stratified for single-label classifiers, as MLPClassifier's split; a
    class too small to stratify gets scikit-learn's error, which names it.
    """
    n_samples = X.shape[0]
    n_validation = validation_rows(estimator, n_samples)
    single_label = is_classifier(estimator) and targets.ndim == 1
    # Stratified, each class needs a row; either way, one row is no score.
    needed = max(2, len(estimator.classes_)) if single_label else 2
    # Stratified on the labels themselves, so that a class too small to
    # stratify gets scikit-learn's error, naming it, before the size check.
    stratify = estimator.classes_[targets] if single_label else None
    if n_validation < needed and stratify is None:
        raise _validation_too_small(estimator, n_samples, n_validation, needed)
    try:
        # Positions, not the arrays: the same split (it depends only on the
        # number of rows, the seed and stratify), without copying X.
        train_positions, validation_positions = train_test_split(
            np.arange(n_samples), random_state=seed, test_size=n_validation, stratify=stratify
        )
    except ValueError as error:
        if "least populated class" in str(error) or n_validation >= needed:
            raise
        raise _validation_too_small(estimator, n_samples, n_validation, needed) from None
    if n_validation < needed:
        raise _validation_too_small(estimator, n_samples, n_validation, needed)
    w_val = None if sample_weight is None else sample_weight[validation_positions]
    return train_positions, (X[validation_positions], targets[validation_positions], w_val)


def _validation_too_small(estimator, n_samples, n_validation, needed):
    return ValueError(
        f"The validation set is too small: validation_fraction={estimator.validation_fraction} "
        f"of {n_samples} samples is {n_validation}, and early stopping needs at least "
        f"{needed}. Increase 'validation_fraction' or the size of your dataset."
    )


def patience(estimator, n_samples, batch_size):
    """Epochs without improvement that end training: n_iter_no_change, and with
    early_stopping="auto" at least AUTO_MIN_PATIENCE_STEPS optimizer steps.

    On small data an epoch is one or two steps; ten of them is too short a
    wait for a score that moves in coarse jumps, and training stopped
    before the network had learnt the signal.
    """
    if estimator.early_stopping != "auto" or not estimator._stopped_on_validation:
        return estimator.n_iter_no_change
    steps_per_epoch = int(np.ceil(n_samples / batch_size))
    return max(estimator.n_iter_no_change, int(np.ceil(AUTO_MIN_PATIENCE_STEPS / steps_per_epoch)))


def baseline_score(estimator, y_validation, sample_weight):
    """The validation score of predicting one value for every row: the majority class.

    Epochs that score no better do not count as improvements under
    ``early_stopping="auto"``. 0 for regressors (R² of the mean) and for
    multilabel targets (the most common label set is not worth computing).
    """
    if is_classifier(estimator) and y_validation.ndim == 1:
        counts = np.bincount(y_validation, weights=sample_weight)
        return float(counts.max() / counts.sum()) if counts.sum() > 0 else 0.0
    return 0.0


class ValidationR2:
    """R² of predictions against fixed validation targets, as ``sklearn.metrics.r2_score`` computes it.

    Early stopping scores the same targets every epoch. ``r2_score`` checks
    and converts them, and their sum of squares about the mean, on every call:
    on tables of a few hundred rows that took more time than the epoch's
    training. Here the targets' side is computed once per dtype, and each
    call does only the predictions' side, with the same numpy operations in
    the same order as ``r2_score`` (``tests/test_early_stopping.py`` checks
    that the scores are equal to the last bit): the same scores, so the same
    stopping epochs.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,), default=None

    Examples
    --------
    >>> import numpy as np
    >>> score = ValidationR2(np.array([1.0, 2.0, 3.0]))
    >>> score(np.array([1.0, 2.0, 2.0]))
    0.5
    """

    def __init__(self, y_true, sample_weight=None):
        y_true = np.asarray(y_true)
        self._y_true = y_true.reshape(len(y_true), -1)
        self._sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self._targets_side = {}  # dtype -> (y_true, weight, denominator)
        # Where r2_score warns (one row) or raises (all weights 0), it answers itself.
        self._r2_score_answers = len(y_true) < 2 or (sample_weight is not None and not self._sample_weight.sum())

    def __call__(self, y_pred):
        """The R² of ``y_pred`` (same rows and outputs as the targets), averaged uniformly over the outputs."""
        y_pred = np.asarray(y_pred)
        y_pred = y_pred.reshape(len(y_pred), -1)
        if self._r2_score_answers:
            return float(r2_score(self._y_true, y_pred, sample_weight=self._sample_weight))
        y_true, weight, denominator = self._targets_in(_floating_dtype(self._y_true, y_pred, self._sample_weight))
        numerator = np.sum(weight * (y_true - y_pred.astype(y_true.dtype, copy=False)) ** 2, axis=0)
        # r2_score's force_finite: a perfect fit scores 1, a constant target otherwise 0
        scores = np.ones(len(numerator), dtype=numerator.dtype)
        valid = (denominator != 0) & (numerator != 0)
        scores[valid] = 1 - (numerator[valid] / denominator[valid])
        scores[(numerator != 0) & (denominator == 0)] = 0.0
        return float(np.mean(scores, axis=0))

    def _targets_in(self, dtype):
        if dtype not in self._targets_side:
            y_true = self._y_true.astype(dtype, copy=False)
            if self._sample_weight is None:
                weights, weight = None, 1.0
            else:
                weights = self._sample_weight.astype(dtype, copy=False)
                weight = weights[:, None]
            mean = np.mean(y_true, axis=0) if weights is None else _weighted_mean(y_true, weights)
            denominator = np.sum(weight * (y_true - mean) ** 2, axis=0)
            self._targets_side[dtype] = (y_true, weight, denominator)
        return self._targets_side[dtype]


def _floating_dtype(*arrays):
    """scikit-learn's choice of dtype for a metric: the widest floating dtype among the arrays, else float64."""
    floating = [array.dtype for array in arrays if array is not None and np.issubdtype(array.dtype, np.floating)]
    return np.result_type(*floating) if floating else np.dtype(np.float64)


def _weighted_mean(values, weights):
    # scikit-learn's _average with weights: sum of products over the sum of weights
    return np.sum(np.multiply(values, weights[:, None]), axis=0) / np.sum(weights, axis=0)

"""Input handling for the estimators: column statistics, sample weights."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis
from sklearn.utils.validation import _check_sample_weight

__all__ = ["checked_sample_weight", "column_mean_and_scale", "column_ranges", "mean_and_scale_from_moments"]


def column_mean_and_scale(X, sample_weight=None, chunk_rows=8192, rows=None):
    """Shift and scale of each column, in float64, for standardising inside the net.

    Dense X: the mean and standard deviation, computed over row chunks so that
    float32 data never gets a float64 copy of its own, and huge values cannot
    overflow in float32. Sparse X: a shift of 0 and the standard deviation,
    as ``StandardScaler(with_mean=False)`` does, since centring would make
    every zero non-zero. With ``sample_weight``, both are weighted (as
    StandardScaler's are), so that a weight of 2 and a repeated row give the
    same network. A column with no spread gets a scale of 1 (as in
    StandardScaler). ``rows``, positions of the rows to use, selects them
    one chunk at a time, without a copy of the selection.
    """
    if rows is not None and sp.issparse(X):
        X = X[rows]  # a sparse selection is small
        sample_weight, rows = (None if sample_weight is None else sample_weight[rows]), None
    if sp.issparse(X):
        _, variance = mean_variance_axis(X, axis=0, weights=sample_weight)
        std = np.sqrt(np.asarray(variance, dtype=np.float64))
        return np.zeros(X.shape[1]), np.where(std > 0, std, 1.0)
    n_rows = X.shape[0] if rows is None else len(rows)
    weights = np.ones(n_rows) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if rows is not None and sample_weight is not None:
        weights = weights[rows]

    def chunk_at(start):
        selected = slice(start, start + chunk_rows)
        return X[selected] if rows is None else X[rows[selected]]

    # A generator, not a list: each chunk (a copy when rows select it) lives only while it is summed.
    def chunks():
        return ((chunk_at(start), weights[start : start + chunk_rows, None]) for start in range(0, n_rows, chunk_rows))

    total = weights.sum()
    if sample_weight is None:  # the unweighted sums, exactly as before weights existed
        mean = sum(chunk.sum(axis=0, dtype=np.float64) for chunk, _ in chunks()) / n_rows
        squares = sum(np.square(chunk - mean).sum(axis=0) for chunk, _ in chunks())
    else:
        mean = sum((chunk * weight).sum(axis=0, dtype=np.float64) for chunk, weight in chunks()) / total
        squares = sum((np.square(chunk - mean) * weight).sum(axis=0) for chunk, weight in chunks())
    std = np.sqrt(squares / total)
    return mean, np.where(std > 0, std, 1.0)


def mean_and_scale_from_moments(moments):
    """:func:`column_mean_and_scale` from a ``ColumnMoments`` gathered over a stream of row blocks."""
    std = np.sqrt(moments.variance())
    return moments.mean.copy(), np.where(std > 0, std, 1.0)


def column_ranges(X):
    """Minimum and maximum of each column, as dense arrays, for dense or sparse X."""
    if sp.issparse(X):
        return tuple(np.asarray(values).ravel() for values in min_max_axis(X, axis=0))
    return X.min(axis=0), X.max(axis=0)


def checked_sample_weight(sample_weight, X):
    """``sample_weight`` as a float array of one non-negative, finite weight per row (None stays None).

    Zero weights are allowed (the row is left out of the loss); negative,
    NaN or infinite weights, a wrong length, all zeros, and sparse weights
    are errors that name the problem.
    """
    if sample_weight is None:
        return None
    if sp.issparse(sample_weight):
        raise TypeError("sample_weight must be a dense array of one weight per sample, not a sparse matrix.")
    return _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)

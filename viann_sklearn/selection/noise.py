"""The noise baseline's arithmetic: shadow columns, p-values and the threshold.

Pure numpy (and scipy.sparse for sparse X): the selector
(:class:`viann_sklearn.VIANNSelector`) builds the shadows and trains the
network; these functions only compare numbers.
"""

import math

import numpy as np
from scipy import sparse

__all__ = ["shadow_columns", "shadow_pvalues", "noise_threshold"]


def shadow_columns(X, sources, rng):
    """Copies of ``X[:, sources]``, each with its rows shuffled independently.

    A shadow has its column's distribution but no link to the target or to
    the other columns: what a useless input with that distribution looks like.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
    sources : ndarray of int, shape (n_shadows,)
        The column each shadow copies; a column may be copied several times.
    rng : numpy.random.Generator

    Returns
    -------
    shadows : ndarray of shape (n_samples, n_shadows), X's dtype
        A CSC matrix when X is sparse: each shadow stores as many values as
        its column, and equals the dense result for the same ``rng`` state.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(4, 3)
    >>> shadows = shadow_columns(X, np.array([0, 0, 2]), np.random.default_rng(0))
    >>> shadows.shape, sorted(shadows[:, 2]) == sorted(X[:, 2])
    ((4, 3), True)
    """
    if sparse.issparse(X):
        return _sparse_shadow_columns(sparse.csc_matrix(X), sources, rng)
    shadows = np.empty((X.shape[0], len(sources)), dtype=X.dtype)
    for position, column in enumerate(sources):
        shadows[:, position] = X[rng.permutation(X.shape[0]), column]
    return shadows


def _sparse_shadow_columns(X, sources, rng):
    # The same draws as the dense path: shadow row r holds X[permutation[r], column],
    # so a stored value at row i moves to the row r where permutation[r] == i.
    n_samples = X.shape[0]
    rows, values, counts = [], [], []
    for column in sources:
        stored = slice(X.indptr[column], X.indptr[column + 1])
        moved_to = np.empty(n_samples, dtype=np.int64)
        moved_to[rng.permutation(n_samples)] = np.arange(n_samples)
        rows.append(moved_to[X.indices[stored]])
        values.append(X.data[stored])
        counts.append(stored.stop - stored.start)
    indptr = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    data = np.concatenate(values) if values else np.empty(0, dtype=X.dtype)
    indices = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    shadows = sparse.csc_matrix((data, indices, indptr), shape=(n_samples, len(sources)))
    shadows.sort_indices()
    return shadows


def shadow_pvalues(scores, shadow_scores):
    """How often noise scores at least as high: ``(1 + #{shadow >= score}) / (1 + n_shadows)``.

    The permutation-test p-value: when a feature is as useless as the
    shadows (exchangeable with them), ``P(p <= alpha) <= alpha``.

    Parameters
    ----------
    scores : ndarray of shape (n_features,)
    shadow_scores : ndarray of shape (n_shadows,)

    Returns
    -------
    pvalues : ndarray of shape (n_features,), in ``(0, 1]``

    Examples
    --------
    >>> shadow_pvalues(np.array([5.0, 1.0, 0.0]), np.array([0.5, 1.0, 2.0]))
    array([0.25, 0.75, 1.  ])
    """
    ordered = np.sort(np.asarray(shadow_scores, dtype=float))
    at_least = len(ordered) - np.searchsorted(ordered, np.asarray(scores, dtype=float), side="left")
    return (1.0 + at_least) / (1.0 + len(ordered))


def noise_threshold(shadow_scores, alpha):
    """The score a feature must exceed to have a p-value <= ``alpha``.

    The ``k``-th highest shadow score, with ``k = floor(alpha * (n_shadows + 1))``:
    a score above it leaves at most ``k - 1`` shadows at or above, so its
    :func:`shadow_pvalues` is at most ``alpha``. ``inf`` when ``k`` is 0, i.e.
    too few shadows for any p-value to reach ``alpha``.

    Examples
    --------
    >>> noise_threshold(np.arange(1.0, 20.0), alpha=0.1)  # 19 shadows: the 2nd highest
    18.0
    """
    k = math.floor(alpha * (len(shadow_scores) + 1) + 1e-9)  # 1e-9: 0.05 * 20 is 1, not 0.999...
    if k == 0:
        return math.inf
    return float(np.sort(np.asarray(shadow_scores, dtype=float))[-k])

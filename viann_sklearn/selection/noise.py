"""The noise baseline's arithmetic: shadow columns, p-values (Boruta's hits test, or the rank
test pooled over fits), the threshold, and the multiple-testing rules (Benjamini-Hochberg across
features, Simes within a one-hot column).

Pure numpy (and scipy.sparse for sparse X): the selector
(:class:`viann_sklearn.VIANNSelector`) builds the shadows and trains the
networks; these functions only compare numbers.
"""

import math

import numpy as np
from scipy import sparse
from scipy.stats import binom

__all__ = [
    "shadow_columns",
    "shadow_pvalues",
    "noise_threshold",
    "pooled_shadow_pvalues",
    "best_shadow_hits",
    "hits_pvalues",
    "hits_could_reach",
    "fits_before_a_rejection",
    "hits_decision_is_final",
    "benjamini_hochberg_cutoff",
    "kept_pvalue_cutoff",
    "simes_within_groups",
]


def shadow_columns(X, sources, rng, joint=False):
    """Copies of ``X[:, sources]`` with their rows shuffled: each on its own, or together (``joint``).

    A shadow has its column's distribution but no link to the target: what a
    useless input with that distribution looks like. Shuffled each on its own
    (Boruta's shadows), the shadows are also unlinked from one another, so
    they stand for columns independent of every other column. With ``joint``,
    the shadows of distinct columns share one shuffle of the rows, so they keep
    the correlations between those columns, as an unrelated column of a real
    table keeps its correlations with the others; a column copied again starts
    a new shuffle, so that no two shadows are identical.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
    sources : ndarray of int, shape (n_shadows,)
        The column each shadow copies; a column may be copied several times.
    rng : numpy.random.Generator
    joint : bool, default=False
        Shuffle the rows once for every run of distinct columns in ``sources``.

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
    >>> together = shadow_columns(X, np.array([0, 1, 2]), np.random.default_rng(0), joint=True)
    >>> bool(np.all(together[:, 1] - together[:, 0] == 1.0))  # each row of X moved whole
    True
    """
    row_orders = _row_orders(X.shape[0], sources, rng, joint)
    if sparse.issparse(X):
        return _sparse_shadow_columns(sparse.csc_matrix(X), sources, row_orders)
    shadows = np.empty((X.shape[0], len(sources)), dtype=X.dtype)
    for position, (column, order) in enumerate(zip(sources, row_orders)):
        shadows[:, position] = X[order, column]
    return shadows


def _row_orders(n_samples, sources, rng, joint):
    """The row permutation of each shadow in turn, drawn as it is needed (wide data: one at a time)."""
    order, copied = None, set()
    for column in sources:
        if order is None or not joint or column in copied:
            order, copied = rng.permutation(n_samples), set()
        copied.add(int(column))
        yield order


def _sparse_shadow_columns(X, sources, row_orders):
    # The same draws as the dense path: shadow row r holds X[order[r], column],
    # so a stored value at row i moves to the row r where order[r] == i.
    n_samples = X.shape[0]
    rows, values, counts = [], [], []
    inverted = None  # the order moved_to was computed from: joint shadows share one
    for column, order in zip(sources, row_orders):
        stored = slice(X.indptr[column], X.indptr[column + 1])
        if order is not inverted:
            moved_to = np.empty(n_samples, dtype=np.int64)
            moved_to[order] = np.arange(n_samples)
            inverted = order
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
    at_least, n_shadows = _shadows_at_least(scores, shadow_scores)
    return (1.0 + at_least) / (1.0 + n_shadows)


def _shadows_at_least(scores, shadow_scores):
    """For each score, how many shadows score at least as high; and the number of shadows."""
    ordered = np.sort(np.asarray(shadow_scores, dtype=float))
    return len(ordered) - np.searchsorted(ordered, np.asarray(scores, dtype=float), side="left"), len(ordered)


def pooled_shadow_pvalues(scores_per_fit, shadow_scores_per_fit):
    """One p-value per feature from several fits, each with its own shadows.

    ``(1 + sum_k #{shadows of fit k >= score in fit k}) / (1 + total shadows)``:
    each fit's scores are compared with that fit's shadows only (so scales
    need not agree between fits), and the counts are pooled. With one fit it
    is :func:`shadow_pvalues`. The finer grid (down to ``1 / (1 + total
    shadows)``) is what lets the Benjamini-Hochberg rule keep features among
    many without more shadows in any one network.

    Parameters
    ----------
    scores_per_fit : sequence of ndarray of shape (n_features,)
    shadow_scores_per_fit : sequence of ndarray of shape (n_shadows_k,)

    Returns
    -------
    pvalues : ndarray of shape (n_features,), in ``(0, 1]``

    Examples
    --------
    >>> pooled_shadow_pvalues([np.array([5.0, 1.0])], [np.array([0.5, 1.0, 2.0])])
    array([0.25, 0.75])
    >>> pooled_shadow_pvalues([np.array([5.0, 1.0]), np.array([3.0, 0.1])], [np.array([0.5, 1.0, 2.0])] * 2)
    array([0.14285714, 0.85714286])
    """
    at_least, total = 0, 0
    for scores, shadow_scores in zip(scores_per_fit, shadow_scores_per_fit):
        fit_at_least, n_shadows = _shadows_at_least(scores, shadow_scores)
        at_least = at_least + fit_at_least
        total += n_shadows
    return (1.0 + at_least) / (1.0 + total)


def best_shadow_hits(scores, shadow_scores):
    """Which features beat every shadow of a fit: Boruta's "hit".

    Parameters
    ----------
    scores : ndarray of shape (n_features,)
    shadow_scores : ndarray of shape (n_shadows,)

    Returns
    -------
    hits : ndarray of int of shape (n_features,), 1 where the score is above the best shadow's

    Examples
    --------
    >>> best_shadow_hits(np.array([5.0, 2.0, 1.0]), np.array([0.5, 2.0]))
    array([1, 0, 0])
    """
    return (np.asarray(scores, dtype=float) > np.max(shadow_scores)).astype(int)


def hits_pvalues(hits, n_fits):
    """Boruta's test: the chance of at least ``hits`` hits in ``n_fits`` fits for a coin flip.

    ``P(Binomial(n_fits, 1/2) >= hits)``. A feature no more important than
    the best shadow would, by the test's model, win each fit with chance 1/2
    at most, independently. For a feature exchangeable with ``m`` shadows the
    chance is ``1 / (m + 1)``, far below 1/2: that margin is what keeps the
    test conservative although the fits share the data and are not
    independent.

    Parameters
    ----------
    hits : ndarray of int of shape (n_features,)
    n_fits : int

    Returns
    -------
    pvalues : ndarray of shape (n_features,), in ``(0, 1]``

    Examples
    --------
    >>> hits_pvalues(np.array([12, 9, 0]), 12).round(4).tolist()
    [0.0002, 0.073, 1.0]
    """
    return binom.sf(np.asarray(hits) - 1, n_fits, 0.5)


def hits_decision_is_final(hits, n_done, n_planned, alpha, control):
    """Whether the remaining fits can no longer change which features Boruta's test keeps.

    The decision after ``n_planned`` fits keeps the features whose p-value
    (Benjamini-Hochberg adjusted with ``control="fdr"``) is ``<= alpha``.
    Both rules are monotone: a smaller p-value never keeps fewer features. So
    if the features kept when every remaining fit is a miss for every
    feature are those kept when every remaining fit is a hit, the decision
    is the one the planned fits would reach, and the rest need not be trained.
    The p-values of the fits done, ``hits_pvalues(hits, n_done)``, lie between
    those two extremes and so keep the same features.

    Parameters
    ----------
    hits : ndarray of int of shape (n_features,)
        Hits in the ``n_done`` fits so far.
    n_done, n_planned : int
    alpha : float
    control : {"fdr", "per_feature"}

    Returns
    -------
    final : bool

    Examples
    --------
    >>> hits_decision_is_final(np.array([6, 0, 0]), 6, 12, 0.05, "fdr")  # 6 more misses could lose feature 0
    False
    >>> hits_decision_is_final(np.array([11, 0, 0]), 11, 12, 0.05, "fdr")  # kept even if fit 12 misses
    True
    """
    if_all_miss = hits_pvalues(hits, n_planned)
    if_all_hit = _pvalues_if_every_remaining_fit_hits(hits, n_done, n_planned)
    kept_if_all_miss = if_all_miss <= kept_pvalue_cutoff(if_all_miss, alpha, control)
    kept_if_all_hit = if_all_hit <= kept_pvalue_cutoff(if_all_hit, alpha, control)
    return bool(np.array_equal(kept_if_all_miss, kept_if_all_hit))


def hits_could_reach(hits, n_done, n_planned, alpha):
    """Which features a hit in every remaining fit would still bring to a p-value ``<= alpha``.

    The others cannot be kept under either control (Benjamini-Hochberg keeps
    no p-value above ``alpha``): Boruta rejects them, and ``VIANNSelector``
    (``drop_rejected``, on by default with the hits test) leaves them out of
    the later fits.

    Parameters
    ----------
    hits : ndarray of int of shape (n_features,)
        Hits in the ``n_done`` fits so far.
    n_done, n_planned : int
    alpha : float

    Returns
    -------
    possible : ndarray of bool of shape (n_features,)

    Examples
    --------
    >>> hits_could_reach(np.array([4, 3, 0]), 4, 12, 0.05)  # 12 of 12 or 11 of 12 hits pass; 8 of 12 does not
    array([ True,  True, False])
    """
    return _pvalues_if_every_remaining_fit_hits(hits, n_done, n_planned) <= alpha


def fits_before_a_rejection(hits, n_done, n_planned, alpha):
    """How many more fits can be trained before :func:`hits_could_reach` could reject one of these features.

    The fastest way to be rejected is to miss every fit: the answer is the
    smallest ``r`` such that some feature, missing the next ``r`` fits,
    could no longer reach ``alpha`` (all the fits left, when none could).
    No feature can leave before the ``r``-th of these fits is counted, so
    ``r`` networks can be trained at once on the same features, and
    dropping rejected features then decides exactly as it would one fit at
    a time.

    Parameters
    ----------
    hits : ndarray of int of shape (n_features,)
        Hits of the features still in play, in the ``n_done`` fits so far.
    n_done, n_planned : int
    alpha : float

    Returns
    -------
    n_fits : int, at least 1 while fits are left

    Examples
    --------
    >>> fits_before_a_rejection(np.array([0, 0]), 0, 12, 0.05)  # 10 of 12 hits pass: the third miss rejects
    3
    >>> fits_before_a_rejection(np.array([4, 2]), 4, 12, 0.05)  # the second feature has missed twice
    1
    """
    hits = np.asarray(hits)
    for n_more in range(1, n_planned - n_done + 1):
        if not hits_could_reach(hits, n_done + n_more, n_planned, alpha).all():
            return n_more
    return n_planned - n_done


def _pvalues_if_every_remaining_fit_hits(hits, n_done, n_planned):
    """The best p-values the planned fits can still give: a hit for every feature in each fit left."""
    return hits_pvalues(np.asarray(hits) + (n_planned - n_done), n_planned)


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


def benjamini_hochberg_cutoff(pvalues, q):
    """The largest p-value Benjamini-Hochberg keeps at false-discovery rate ``q``; 0 when it keeps none.

    The step-up rule: sort the ``d`` p-values, find the largest ``k`` with
    ``p_(k) <= q * k / d``, and keep every p-value up to ``p_(k)``. When the
    null p-values are valid and independent of one another, or positively
    dependent (PRDS), the expected share of kept nulls among all kept is at
    most ``q * d0 / d <= q``. Shadow p-values that share one set of shadows
    are positively dependent in that sense (Bates et al., 2023, "Testing for
    outliers with conformal p-values").

    Parameters
    ----------
    pvalues : ndarray of shape (n_features,)
    q : float in (0, 1)

    Returns
    -------
    cutoff : float
        Keep the p-values ``<= cutoff``.

    Examples
    --------
    >>> benjamini_hochberg_cutoff(np.array([0.001, 0.02, 0.03, 0.5]), q=0.1)  # 0.03 <= 0.1 * 3 / 4
    0.03
    >>> benjamini_hochberg_cutoff(np.array([0.2, 0.5]), q=0.1)
    0.0
    """
    ordered = np.sort(np.asarray(pvalues, dtype=float))
    if ordered.size == 0:
        return 0.0
    passes = ordered <= q * np.arange(1, len(ordered) + 1) / len(ordered)
    return float(ordered[np.flatnonzero(passes).max()]) if passes.any() else 0.0


def kept_pvalue_cutoff(pvalues, alpha, control):
    """The largest p-value kept under ``control`` at ``alpha``: keep the p-values ``<=`` it.

    Benjamini-Hochberg's cutoff (:func:`benjamini_hochberg_cutoff`) with
    ``control="fdr"``; ``alpha`` itself with ``"per_feature"``.

    Examples
    --------
    >>> p = np.array([0.001, 0.02, 0.03, 0.5])
    >>> kept_pvalue_cutoff(p, 0.1, "fdr"), kept_pvalue_cutoff(p, 0.1, "per_feature")
    (0.03, 0.1)
    """
    if control == "fdr":
        return benjamini_hochberg_cutoff(pvalues, alpha)
    return float(alpha)


def simes_within_groups(pvalues, groups):
    """One p-value per group of features, by Simes' rule: ``min_k (m * p_(k) / k)`` over the group's sorted p-values.

    A column one-hot encoded into ``m`` features has ``m`` chances to beat
    noise; Simes' combination keeps the column's p-value valid when its
    features' p-values are independent or positively dependent (as shadow
    p-values are), and it is never above Bonferroni's ``m * p_(1)``. It is
    the smallest Benjamini-Hochberg adjusted p-value within the group.

    Parameters
    ----------
    pvalues : ndarray of shape (n_features,)
    groups : list of sequences of int
        The feature positions of each group.

    Returns
    -------
    group_pvalues : ndarray of shape (n_groups,)

    Examples
    --------
    >>> simes_within_groups(np.array([0.01, 0.02, 0.02, 0.3, 0.5]), [[0], [1, 2, 3]])
    array([0.01, 0.03])
    """
    pvalues = np.asarray(pvalues, dtype=float)
    combined = []
    for group in groups:
        ordered = np.sort(pvalues[list(group)])
        combined.append(min(1.0, float((len(ordered) * ordered / np.arange(1, len(ordered) + 1)).min())))
    return np.array(combined)

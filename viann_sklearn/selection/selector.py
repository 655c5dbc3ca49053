"""VIANNSelector: keep the features whose importance beats noise, at a chosen error rate, from one training run."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.stats import false_discovery_control
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .noise import benjamini_hochberg_cutoff, noise_threshold, shadow_columns, shadow_pvalues

__all__ = ["VIANNSelector"]

# Fewer rows than this leave the network (and so the baseline) little to learn from: a warning.
MIN_SAMPLES = 20
# "auto" shadows: at least enough for p-values of 1/51 (alpha down to 0.02),
# at most enough that wide data does not double in memory.
MIN_AUTO_SHADOWS, MAX_AUTO_SHADOWS = 50, 500
# "auto" shadows under FDR control need a finer p-value (alpha / n_features):
# more of them, up to a cap that keeps the first layer small.
MAX_AUTO_FDR_SHADOWS = 1000


class VIANNSelector(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Keep the features whose VIANN importance beats noise, at a false-discovery rate you choose.

    ``feature_importances_`` alone cannot say whether a feature matters: every
    feature gets a share. This selector trains the network once on the data
    plus *shadow* columns, copies of real columns with their rows shuffled
    independently (as Boruta does): inputs with the same distributions as the
    real ones but linked to nothing. The shadows' importances show how much
    importance pure noise collects in that very training run. Each feature
    gets a permutation p-value,
    ``(1 + #{shadows at least as important}) / (1 + n_shadows)``: how often
    noise looks at least as important.

    Which features are kept depends on ``control``:

    - ``"fdr"`` (the default): the Benjamini-Hochberg rule at level ``alpha``.
      Of the features kept, the expected share that are in fact unrelated to
      the target is at most ``alpha``; on data where nothing is related, the
      chance of keeping any feature is at most ``alpha``.
    - ``"per_feature"``: every feature with a p-value ``<= alpha``. Each
      unrelated feature is kept with probability at most ``alpha``, so with
      ``d`` of them about ``alpha * d`` are kept: no correction for testing
      many features. More are found than with ``"fdr"``, and more noise.

    Both guarantees assume that an unrelated feature's importance is
    exchangeable with the shadows' (see Notes for what breaks that).

    The network trained with shadows is only used to score; it is discarded
    after ``fit``, so no shadow reaches ``n_features_in_``, a prediction,
    a pickle or ``feature_importances_``. In a :class:`~sklearn.pipeline.Pipeline`
    the next step trains on the selected real columns alone.

    Parameters
    ----------
    estimator : VIANNClassifier or VIANNRegressor
        The network to train, unfitted; it is cloned. Its defaults suit most
        data; see "Can I trust these importances?" in the docs.
    alpha : float, default=0.05
        The error rate that ``control`` bounds: the false-discovery rate
        (``"fdr"``) or the false-positive rate of each feature (``"per_feature"``).
    control : {"fdr", "per_feature"}, default="fdr"
        Which error rate ``alpha`` bounds; see above.
    n_shadows : int or "auto", default="auto"
        How many shadow columns to add. The smallest p-value is
        ``1 / (n_shadows + 1)``, so ``alpha`` needs ``n_shadows >= 1 / alpha - 1``.
        "auto" with ``control="fdr"``: enough for the Benjamini-Hochberg rule
        to keep a single feature, ``n_features / alpha - 1``, at least 50 and
        at most 1000. With ``"per_feature"``: the number of features, at least
        50 (and ``2 / alpha - 1``) and at most 500. Each non-constant real
        column is copied in turn (some twice or more when ``n_shadows``
        exceeds their number, some not at all when it is smaller); a constant
        column's shadow would be a constant that no feature can fall below,
        so constant columns get none.
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows' shuffles. The network is seeded by its own
        ``random_state``.

    Attributes
    ----------
    feature_importances_ : ndarray of shape (n_features_in_,)
        VIANN importances of the real features, >= 0, summing to 1 (shadows
        left out).
    pvalues_ : ndarray of shape (n_features_in_,)
        Permutation p-value of each feature against the shadows, before any
        correction for testing many features.
    adjusted_pvalues_ : ndarray of shape (n_features_in_,)
        With ``control="fdr"``, the Benjamini-Hochberg adjusted p-values: a
        feature is kept when its adjusted p-value is ``<= alpha``, and the
        smallest false-discovery rate at which it would be kept is its
        adjusted p-value. With ``"per_feature"``, equal to ``pvalues_``.
    threshold_ : float
        The importance (on the scale of ``feature_importances_``) a feature
        must exceed to be kept; ``inf`` if none can be.
    n_shadows_ : int
        Shadow columns used.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        When X has string column names.

    See Also
    --------
    sklearn.feature_selection.SelectFromModel : Selection by an importance threshold that you choose.

    Notes
    -----
    What the p-values mean: a p-value of 0.01 says that in this training run
    only 1 % of the shadows, columns known to be noise, were as important.
    Shuffling a column breaks its link to the target *and* to every other
    column. So a column that is unrelated to the target but correlated with
    a column that is related carries information about the target, and
    counts as related here (as in Boruta: "all-relevant" selection); model-X
    knockoffs ask the conditional question instead. The guarantees also
    lean on the network treating an unrelated real column as it treats a
    shadow of it; the realised rates measured on real tables are in the
    documentation ("Can I trust these importances?").

    Memory: the shadows are an extra dense ``n_samples x n_shadows`` block
    of X's dtype next to X during ``fit`` (at most 500 columns by default),
    and the network's first layer grows by ``n_shadows x hidden`` weights.
    For sparse X the shadows are sparse: each stores as many values as the
    column it copies.

    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn import VIANNClassifier, VIANNSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 6))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> selector = VIANNSelector(VIANNClassifier(random_state=0), random_state=0).fit(X, y)
    >>> selector.n_shadows_, selector.pvalues_[:2]  # no shadow (of 119) beat features 0 and 1
    (119, array([0.00833333, 0.00833333]))
    >>> {0, 1} <= set(selector.get_support(indices=True))
    True
    >>> selector.transform(X).shape[1] == int(selector.get_support().sum())
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "control": [StrOptions({"fdr", "per_feature"})],
        "n_shadows": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, alpha=0.05, control="fdr", n_shadows="auto", random_state=None):
        self.estimator = estimator
        self.alpha = alpha
        self.control = control
        self.n_shadows = n_shadows
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Train the network on X plus shadow columns and test each feature against them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse X (CSR or CSC) stays sparse: the shadows are sparse too.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : VIANNSelector
        """
        X, y = validate_data(
            self, X, y, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), multi_output=True, y_numeric=False
        )
        n_samples, n_features = X.shape
        if n_samples < 2:
            raise ValueError(f"VIANNSelector needs at least 2 samples; got n_samples={n_samples}.")
        if n_samples < MIN_SAMPLES:
            warnings.warn(
                f"VIANNSelector: only {n_samples} samples; with fewer than {MIN_SAMPLES} the network learns "
                "little, and which features beat noise is mostly chance. The selection was made anyway.",
                UserWarning,
                stacklevel=2,
            )
        n_shadows = self._checked_n_shadows(n_features)
        varying = np.flatnonzero(_varying_columns(X))
        if len(varying) == 0:
            raise ValueError("Every column of X is constant; there is nothing to select from.")
        rng = np.random.default_rng(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        # Each varying column in turn (in a random order), so every one gets
        # its share of shadows whatever n_shadows is.
        sources = np.resize(rng.permutation(varying), n_shadows)
        shadows = shadow_columns(X, sources, rng)
        if sparse.issparse(X):
            X_with_shadows = sparse.hstack([X, shadows], format=X.format)
        else:
            X_with_shadows = np.hstack([X, shadows])

        network = clone(self.estimator).fit(X_with_shadows, y, **fit_params)
        importances = np.asarray(network.feature_importances_, dtype=np.float64)
        real, shadows = importances[:n_features], importances[n_features:]
        total = real.sum()
        if total == 0:
            raise ValueError("Every real feature has zero importance; there is nothing to select from.")
        self.feature_importances_ = real / total
        self.pvalues_ = shadow_pvalues(real, shadows)
        if self.control == "fdr":
            self.adjusted_pvalues_ = false_discovery_control(self.pvalues_, method="bh")
            # The largest p-value kept; the importance above which p-values are that small.
            pvalue_cutoff = benjamini_hochberg_cutoff(self.pvalues_, self.alpha)
        else:
            self.adjusted_pvalues_ = self.pvalues_.copy()
            pvalue_cutoff = self.alpha
        self.threshold_ = noise_threshold(shadows, pvalue_cutoff) / total
        self.n_shadows_ = n_shadows
        return self

    def _checked_n_shadows(self, n_features):
        # Enough shadows for a p-value of alpha / 2, so that a clear signal passes.
        needed = int(np.ceil(2 / self.alpha)) - 1
        if self.n_shadows == "auto" and self.control == "fdr":
            # BH keeps a lone feature only if its p-value reaches alpha / n_features.
            lone_feature = int(np.ceil(n_features / self.alpha)) - 1
            return int(min(max(lone_feature, MIN_AUTO_SHADOWS, needed), max(MAX_AUTO_FDR_SHADOWS, needed)))
        if self.n_shadows == "auto":
            return int(min(max(n_features, MIN_AUTO_SHADOWS, needed), max(MAX_AUTO_SHADOWS, needed)))
        if self.alpha * (self.n_shadows + 1) < 1:
            raise ValueError(
                f"n_shadows={self.n_shadows} is too few for alpha={self.alpha}: the smallest p-value is "
                f"1 / (n_shadows + 1), so no feature could be kept. Use n_shadows >= "
                f"{int(np.ceil(1 / self.alpha - 1))} or 'auto'."
            )
        return int(self.n_shadows)

    def _get_support_mask(self):
        check_is_fitted(self, "pvalues_")
        return self.adjusted_pvalues_ <= self.alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


def _varying_columns(X):
    """Which columns take more than one value (sparse X: its implicit zeros count)."""
    if sparse.issparse(X):
        X = sparse.csc_matrix(X)
        low = X.min(axis=0).toarray().ravel()
        high = X.max(axis=0).toarray().ravel()
        return high > low
    return np.ptp(X, axis=0) > 0

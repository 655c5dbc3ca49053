"""VIANNSelector: keep the features whose importance beats noise, from one training run."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .noise import noise_threshold, shadow_columns, shadow_pvalues

__all__ = ["VIANNSelector"]

# Fewer rows than this leave the network (and so the baseline) little to learn from: a warning.
MIN_SAMPLES = 20
# "auto" shadows: at least enough for p-values of 1/51 (alpha down to 0.02),
# at most enough that wide data does not double in memory.
MIN_AUTO_SHADOWS, MAX_AUTO_SHADOWS = 50, 500


class VIANNSelector(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Keep the features whose VIANN importance beats noise ("one-fit Boruta").

    ``feature_importances_`` alone cannot say whether a feature matters: every
    feature gets a share. This selector trains the network once on the data
    plus *shadow* columns, copies of real columns with their rows shuffled
    independently (as Boruta does): inputs with the same distributions as the
    real ones but linked to nothing. The shadows' importances show how much
    importance pure noise collects in that very training run. A feature is
    kept when its importance beats them: its permutation p-value
    ``(1 + #{shadows at least as important}) / (1 + n_shadows)`` is at most
    ``alpha``.

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
        The false-positive rate per feature: a feature unrelated to the
        target is kept with probability at most ``alpha``. With ``d`` useless
        features, about ``alpha * d`` are kept; there is no correction for
        testing many features.
    n_shadows : int or "auto", default="auto"
        How many shadow columns to add. "auto" is the number of features,
        at least 50 (and ``2 / alpha - 1``) and at most 500. Each real column is copied in turn (some
        twice or more when ``n_shadows`` exceeds the number of features,
        some not at all when it is smaller). The smallest p-value is
        ``1 / (n_shadows + 1)``, so ``alpha`` needs ``n_shadows >= 1 / alpha - 1``.
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows' shuffles. The network is seeded by its own
        ``random_state``.

    Attributes
    ----------
    feature_importances_ : ndarray of shape (n_features_in_,)
        VIANN importances of the real features, >= 0, summing to 1 (shadows
        left out).
    pvalues_ : ndarray of shape (n_features_in_,)
        Permutation p-value of each feature against the shadows.
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
    >>> selector.pvalues_[:2]  # no shadow (of 50) beat features 0 and 1
    array([0.01960784, 0.01960784])
    >>> {0, 1} <= set(selector.get_support(indices=True))
    True
    >>> selector.transform(X).shape[1] == int(selector.get_support().sum())
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "n_shadows": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, alpha=0.05, n_shadows="auto", random_state=None):
        self.estimator = estimator
        self.alpha = alpha
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
        rng = np.random.default_rng(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        # Each column in turn (in a random order), so every column gets its
        # share of shadows whatever n_shadows is.
        sources = np.resize(rng.permutation(n_features), n_shadows)
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
        self.threshold_ = noise_threshold(shadows, self.alpha) / total
        self.n_shadows_ = n_shadows
        return self

    def _checked_n_shadows(self, n_features):
        # Enough shadows for a p-value of alpha / 2, so that a clear signal passes.
        needed = int(np.ceil(2 / self.alpha)) - 1
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
        return self.pvalues_ <= self.alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags

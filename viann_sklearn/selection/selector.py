"""VIANNSelector: keep the features whose importance beats noise, at a chosen error rate."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.stats import false_discovery_control
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..estimators.early_stopping import baseline_score, validation_rows
from .noise import (
    best_shadow_hits,
    fits_before_a_rejection,
    hits_could_reach,
    hits_decision_is_final,
    hits_pvalues,
    kept_pvalue_cutoff,
    noise_threshold,
    pooled_shadow_pvalues,
    shadow_columns,
)
from .side_by_side import fit_side_by_side, side_by_side_unsupported

__all__ = ["BaselineNotBeatenWarning", "VIANNSelector", "auto_n_fits"]

# Fewer rows than this leave the network (and so the baseline) little to learn from: a warning.
MIN_SAMPLES = 20
# "auto" shadows: at least enough for p-values of 1/51 (alpha down to 0.02),
# at most enough that wide data does not double in memory.
MIN_AUTO_SHADOWS, MAX_AUTO_SHADOWS = 50, 500
# "auto" fits under FDR control. Benjamini-Hochberg needs p-values near
# alpha / n_features, finer than one fit's shadows give; more shadows in one
# fit drown the network in noise inputs (on a table of 8 columns, 159 shadows
# took the signal's p-values from 0.02 to 0.1-0.3), so the shadows of a few
# fits, each as large as one, are pooled instead.
AUTO_FDR_FITS = 3
# Wide data: more fits, up to MAX_AUTO_FDR_FITS, until the pooled p-values (at
# MAX_AUTO_SHADOWS a fit) reach alpha * ENOUGH_DISCOVERIES / n_features, where
# Benjamini-Hochberg keeps that many features that beat every shadow. Without
# it, 2,000 TF-IDF columns at 1,500 pooled shadows could keep nothing at all.
MAX_AUTO_FDR_FITS, ENOUGH_DISCOVERIES = 10, 10
# Boruta's hits test: fits planned by "auto", chosen on the development half of
# benchmarks/selection.py (benchmarks/results/selection_fits.md: recall 0.333 /
# 0.424 / 0.485 / 0.530 at 8 / 12 / 16 / 20 fits, the time in proportion; in a
# throwaway run over all the tables, shuffled targets began to keep a column
# from 16 fits on). Wide data: enough fits that ENOUGH_DISCOVERIES features
# with a hit in every fit can be kept, up to MAX_AUTO_HITS_FITS.
AUTO_HITS_FITS, MAX_AUTO_HITS_FITS = 12, 20
# Networks trained side by side under fits_at_once="auto", where the estimator allows it: at most
# this many (their designs are stacked in memory), and no more than can train before a feature
# could be rejected.
AUTO_FITS_AT_ONCE = 8
# ... and no more than fit in this many bytes of stacked designs: training holds about three
# copies of them (the designs, their standardised stack, an epoch's shuffled rows).
AUTO_STACK_BYTES = 256 * 2**20
# Boruta's shadows: one per varying column, at least 5 (as BorutaPy).
MIN_HITS_SHADOWS = 5
# epochs="auto": a validation split of at most this many rows (300 rows at the estimators'
# validation_fraction of 0.1) is too coarse to choose a stopping epoch on (an accuracy moves in
# steps of 3 % or more), so the networks train on every row without one. Measured against early
# stopping on the benchmark's 300-row synthetic data: recall 0.653 against 0.290 at the same
# error rate (benchmarks/results/selection_small_no_stopping*.md).
FEW_VALIDATION_ROWS = 30
# Folds of the check that runs when the networks held out no validation rows and nothing was kept.
CHECK_FOLDS = 5


def _hits_test_shadows(n_columns):
    """The hits test's "auto" shadows for ``n_columns`` varying columns in play: one each, 5 to 500."""
    return int(min(max(n_columns, MIN_HITS_SHADOWS), MAX_AUTO_SHADOWS))


class BaselineNotBeatenWarning(UserWarning):
    """No network of a ``VIANNSelector`` fit scored better on its validation rows than a constant prediction.

    The networks learnt nothing they could show on held-out rows, so their
    importances carry little evidence: the selector then keeps almost
    nothing, whether or not the features matter. A feature it does not keep
    may still be related to the target; more rows, or a model that learns
    this target, may find it.
    """


# Parameters added since the first VIANNSelector, with what a selector
# pickled before each did: one fit, no correction, the rank test, the
# estimator's own epochs, every feature in every fit, X's own dtype, shadows shuffled one by one.
_FORMER_BEHAVIOUR = {
    "control": "per_feature",
    "n_fits": 1,
    "test": "rank",
    "epochs": None,
    "drop_rejected": False,
    "fits_at_once": 1,
    "dtype": None,
    "shadows": "independent",
}


class VIANNSelector(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Keep the features whose VIANN importance beats noise, at a false-discovery rate you choose.

    ``feature_importances_`` alone cannot say whether a feature matters: every
    feature gets a share. This selector trains the network on the data plus
    *shadow* columns, copies of real columns with their rows shuffled
    independently (as Boruta does): inputs with the same distributions as the
    real ones but linked to nothing. The shadows' importances show how much
    importance pure noise collects in that very training run. It does so
    ``n_fits`` times, with fresh shadows and another initialisation each
    time, and ``test`` turns the fits into one p-value per feature:

    - ``"hits"`` (the default): Boruta's test. A feature scores a *hit* in a
      fit when it is more important than every shadow; its p-value is the
      chance of at least that many hits in ``n_fits`` coin flips. As in
      Boruta, a feature that can no longer be kept leaves the later fits
      (``drop_rejected``), and training stops early once the remaining fits
      could not change the decision.
    - ``"rank"``: ``(1 + #{shadows at least as important}) / (1 + n_shadows)``,
      the counts pooled over the fits: how often noise looks at least as
      important.

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
    exchangeable with the shadows'; with ``test="hits"`` they also treat the
    fits as independent (see Notes for what breaks each).

    The networks trained with shadows are only used to score; they are discarded
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
    test : {"hits", "rank"}, default="hits"
        How the fits become p-values; see above.
    epochs : "auto", int or None, default="auto"
        How long each of the selector's networks trains. None: as the
        estimator is set. ``"auto"``: the same, except where the estimator's
        ``early_stopping="auto"`` would choose the stopping epoch on a
        validation split of at most 30 rows (300 rows at its
        ``validation_fraction`` of 0.1). An accuracy or R² on so few rows
        moves in coarse steps, and the epoch it picks is mostly chance. The
        networks then hold out nothing, train on every row and stop on the
        training loss (up to the estimator's ``max_iter`` epochs), as with
        ``early_stopping=False``. On the benchmark's synthetic data (300
        rows) this found 0.65 of the informative columns against 0.29, at
        the same error rate (see the documentation). An int trains each
        network for that many epochs, early stopping off (the estimator's
        ``max_iter`` and ``early_stopping`` are set for these fits only; its
        other settings are kept): a fixed budget for speed. Measured on
        real tables, 60 epochs took half to four fifths of the time and
        found more of the informative columns, but with rejected features
        dropped (the default) their error rate went above ``alpha`` on
        synthetic data and pure noise.
    drop_rejected : bool or "auto", default="auto"
        Boruta's rejection, for ``test="hits"``: after each fit, a feature
        that could no longer be kept (even a hit in every remaining fit
        would leave its p-value above ``alpha``) leaves the later fits, and
        so do its shadows. The network then spends its capacity on the
        features still in question, and those compete with fewer shadows.
        Its decision does not change (it is not kept either way); its
        importance counts 0 in the fits it sits out. "auto" drops with
        ``test="hits"`` and not with ``"rank"`` (which pools the same
        shadows over all fits); False keeps every feature in every fit, as
        the default did before. Measured on real tables (see the
        documentation): more of the informative columns found on every
        design, and realised false-discovery rates of at most 2.5 %.
    n_shadows : int or "auto", default="auto"
        How many shadow columns each fit adds. "auto" with ``test="hits"``:
        one per non-constant column (at least 5, at most 500), as Boruta.
        Fewer shadows than columns lower the bar a feature must clear, and
        with it the error rate's margin: five shadows a fit held the rate
        on tables of 20 columns or fewer but not on wide data (a realised
        false-discovery rate of 0.16 and 0.21 on synthetic data of 60 and
        150 columns; see the documentation).
        With ``test="rank"`` and ``control="fdr"``: enough that the pooled
        p-values reach ``alpha / n_features``, where the Benjamini-Hochberg
        rule can keep a single feature, that is ``n_features / (alpha *
        n_fits)``; with ``"per_feature"``, the number of features. In both
        cases at least 50 (and ``2 / alpha - 1``) and at most 500. Each
        non-constant real column is copied in turn (some twice or more when
        ``n_shadows`` exceeds their number, some not at all when it is
        smaller); a constant column's shadow would be a constant that every
        varying feature beats, so constant columns get none.
    shadows : {"independent", "joint"}, default="independent"
        How a fit's shadows are shuffled. "independent": each on its own, as
        Boruta's, so they are unlinked from one another too, and stand for
        columns independent of every other column. "joint": the shadows of
        distinct columns share one shuffle of the rows, so they keep the
        correlations between the columns, as an unrelated column of a real
        table does (a column copied again gets a new shuffle). On real
        tables, independent shadows drew more importance than the unrelated
        columns they stand for, a higher bar than the test needs; joint
        shadows drew about as much. They found more of the informative
        columns, and on pure noise kept a column more often, near
        ``alpha``: an option, not the default (see the documentation, "Joint
        shadows").
    n_fits : int or "auto", default="auto"
        How many networks to train, each on X with fresh shadows (and, from the
        second on, another ``random_state``). With ``test="hits"`` the
        smallest p-value is ``0.5 ** n_fits``, and "auto" is 12, chosen on
        real tables (see the documentation); on wide data under FDR control
        more, up to 20, so that ten features with a hit in every fit can be
        kept. Fewer are trained when the decision is settled sooner:
        ``n_fits_`` says how many. With ``test="rank"`` the shadow counts are
        pooled, so the smallest p-value is ``1 / (n_fits * n_shadows + 1)``,
        and ``alpha`` needs ``n_fits * n_shadows >= 1 / alpha - 1``; "auto"
        with ``control="fdr"`` is 3 (Benjamini-Hochberg needs p-values near
        ``alpha / n_features``), and on wide data more, up to 10, so that the
        pooled p-values reach ``10 * alpha / n_features`` (ten features that
        beat every shadow can then be kept): 8 fits for 2,000 columns at
        ``alpha=0.05``, and 1 with ``"per_feature"``. The cost is that many
        fits of the network on ``n_features + n_shadows`` columns.
    fits_at_once : int or "auto", default="auto"
        How many of the networks train side by side, in one pass: their
        weights stacked, each operation of a training step run once for
        all of them. Each still has its own shadows, initialisation,
        validation split, batch order and early stopping, and trains as it
        would alone; only the time is shared (on small tables a step's time
        is mostly the cost of calling its operations, not their
        arithmetic). "auto" trains up to 8 at once when the estimator is a
        ``VIANNClassifier`` or ``VIANNRegressor`` on settings the stacked
        step covers (``solver="sgd"`` at a constant learning rate, dense X,
        one target column, no fit parameters), no more than fit in 256 MiB
        of stacked designs (X plus a fit's shadows, each), and with the hits
        test no more than can train before a feature could be rejected, so that
        the decisions are those of one fit at a time; otherwise one network
        after another. An int trains rounds of that many (one after another
        when the estimator's settings are not covered), and rejected
        features leave between rounds only. 1 is the behaviour before this
        parameter existed: each network is a clone of the estimator, fitted
        with its ``fit``. Side by side is the same procedure by construction;
        measured on real tables (see the documentation), its recall was within
        noise of one fit at a time, its error rates no higher, in about half
        the time.
    dtype : {"float32", "float64"} or None, default="float32"
        What the selector's networks compute in: X (and its shadows) are
        converted to it once. None keeps X's dtype (float64 unless X is
        float32), as the estimator's own ``fit`` does, and as the selector
        did before this parameter existed. Measured on real tables (see the
        documentation), float32 took 9 to 27 % less time than float64 and
        found as many of the informative columns at the same error rates;
        the networks only score, so its coarser rounding reaches no
        prediction. It also halves the memory of the shadows and the stacked
        designs. Values beyond float32's range (about 3e38) are then
        rejected as too large; ``dtype=None`` keeps them.
    random_state : int, RandomState instance or None, default=None
        Seeds the shadows' shuffles. The network is seeded by its own
        ``random_state``.

    Attributes
    ----------
    feature_importances_ : ndarray of shape (``n_features_in_``,)
        VIANN importances of the real features, >= 0, summing to 1 (shadows
        left out), averaged over the fits.
    pvalues_ : ndarray of shape (``n_features_in_``,)
        P-value of each feature against the shadows (by ``test``, over the
        ``n_fits_`` fits trained), before any correction for testing many
        features.
    hits_ : ndarray of int of shape (``n_features_in_``,)
        In how many of the fits each feature was more important than every shadow.
    adjusted_pvalues_ : ndarray of shape (``n_features_in_``,)
        With ``control="fdr"``, the Benjamini-Hochberg adjusted p-values: a
        feature is kept when its adjusted p-value is ``<= alpha``, and the
        smallest false-discovery rate at which it would be kept is its
        adjusted p-value. With ``"per_feature"``, equal to ``pvalues_``.
    threshold_ : float
        With ``test="rank"`` and one fit, the importance (on the scale of
        ``feature_importances_``) a feature must exceed to be kept; ``inf`` if
        none can be. ``nan`` otherwise: the counts over the fits decide, and
        no single importance separates the kept features from the others.
    n_shadows_ : int
        Shadow columns in each fit (in the first, when rejected features are
        dropped: the later fits copy only the features still in play).
    n_fits_ : int
        Networks trained: ``n_fits`` or fewer, when the hits test settled sooner.
    fits_at_once_ : int
        The most networks trained side by side in one round (1: one after
        another, each with the estimator's own ``fit``).
    fits_beating_baseline_ : int or None
        In how many of the ``n_fits_`` fits the network's best validation
        score (``best_validation_score_``) was above what a constant
        prediction scores on the same rows (``baseline_validation_score_``).
        0 issues a :class:`BaselineNotBeatenWarning`. None when the
        networks held out no validation rows (``early_stopping=False``, an
        int ``epochs``, 300 rows or fewer with ``epochs="auto"``) or do not
        report these scores.
    cross_validated_gain_ : float or None
        Only where ``fits_beating_baseline_`` is None and no feature was
        kept, the case where "nothing kept" cannot tell "no feature matters"
        from "the network learnt nothing": the network, trained as the
        selector trains it, on X alone, scored by 5-fold cross-validation
        (the accuracy of its out-of-fold predictions, or their R²) minus a
        constant prediction's score (the share of the most frequent class,
        or 0). At most 0 issues a :class:`BaselineNotBeatenWarning`. It costs
        five more fits, without shadows. None otherwise, with fit parameters,
        with more than one target column, or when a class has a single row.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        When X has string column names.

    See Also
    --------
    sklearn.feature_selection.SelectFromModel : Selection by an importance threshold that you choose.

    Notes
    -----
    What the p-values mean. With ``test="hits"``, a p-value of 0.003 says: a
    feature that beats the best noise column no more often than a coin flip
    would win this many of the fits 0.3 % of the time. With ``test="rank"``,
    a p-value of 0.01 says that in these training runs only 1 % of the
    shadows, columns known to be noise, were as important.

    Boruta's test counts the fits as independent, but they share the data: a
    column that, by chance, tracks the target in this sample would win fit
    after fit. What keeps the test safe is its margin: a feature exchangeable
    with ``m`` shadows beats all of them with chance ``1 / (m + 1)``, not the
    1/2 the test allows. On real tables and shuffled targets the realised
    rates stayed below ``alpha`` (see the documentation), but the guarantee
    is measured, not proved; the rank test's is exact for one fit.

    Shuffling a column breaks its link to the target *and* to every real
    column (with ``shadows="joint"`` it keeps its links to the shadows
    shuffled with it). So a column that is unrelated to the target but
    correlated with a column that is related carries information about the
    target, and counts as related here (as in Boruta: "all-relevant" selection); model-X
    knockoffs ask the conditional question instead. The guarantees also
    lean on the network treating an unrelated real column as it treats a
    shadow of it; the realised rates measured on real tables are in the
    documentation ("Can I trust these importances?").

    Memory: the shadows of a fit are an extra dense ``n_samples x n_shadows`` block
    of ``dtype`` next to X during ``fit`` (at most 500 columns by default),
    and the network's first layer grows by ``n_shadows x hidden`` weights.
    For sparse X the shadows are sparse: each stores as many values as the
    column it copies.

    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn import VIANNClassifier, VIANNSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 6))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> selector = VIANNSelector(VIANNClassifier(random_state=0), random_state=0).fit(X, y)
    >>> selector.n_fits_, selector.n_shadows_  # 11 of 12 planned fits settled it; one shadow per column
    (11, 6)
    >>> selector.hits_  # 0 and 1 beat every shadow in all 11 fits; 2 to 5 sat out the fits after their third miss
    array([11, 11,  0,  1,  0,  0])
    >>> selector.fits_at_once_  # three networks side by side, then as many as no rejection could come between
    3
    >>> selector.fits_beating_baseline_  # every network beat a constant prediction on its 40 validation rows
    11
    >>> selector.pvalues_[:2]  # 0.5 ** 11
    array([0.00048828, 0.00048828])
    >>> {0, 1} <= set(selector.get_support(indices=True))
    True
    >>> selector.transform(X).shape[1] == int(selector.get_support().sum())
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "control": [StrOptions({"fdr", "per_feature"})],
        "test": [StrOptions({"hits", "rank"})],
        "epochs": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "drop_rejected": ["boolean", StrOptions({"auto"})],
        "n_shadows": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "shadows": [StrOptions({"independent", "joint"})],
        "n_fits": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "fits_at_once": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        alpha=0.05,
        control="fdr",
        test="hits",
        epochs="auto",
        drop_rejected="auto",
        n_shadows="auto",
        shadows="independent",
        n_fits="auto",
        fits_at_once="auto",
        dtype="float32",
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.control = control
        self.test = test
        self.epochs = epochs
        self.drop_rejected = drop_rejected
        self.n_shadows = n_shadows
        self.shadows = shadows
        self.n_fits = n_fits
        self.fits_at_once = fits_at_once
        self.dtype = dtype
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
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32) if self.dtype is None else self.dtype,
            multi_output=True,
            y_numeric=False,
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
        varying = np.flatnonzero(_varying_columns(X))
        if len(varying) == 0:
            raise ValueError("Every column of X is constant; there is nothing to select from.")
        n_fits = self._checked_n_fits(n_features)
        n_shadows = self._checked_n_shadows(n_features, n_fits, len(varying))
        if self.test == "hits" and 0.5**n_fits > self.alpha:
            raise ValueError(
                f"n_fits={n_fits} is too few for alpha={self.alpha}: the hits test's smallest p-value is "
                f"0.5 ** n_fits, so no feature could be kept. Use n_fits >= {int(np.ceil(-np.log2(self.alpha)))} "
                "or 'auto'."
            )
        asked_to_drop = not isinstance(self.drop_rejected, str) and bool(self.drop_rejected)
        if asked_to_drop and self.test != "hits":
            raise ValueError(
                "drop_rejected=True needs test='hits': the rank test pools the same shadows over all fits."
            )
        if self.test == "rank" and self.n_shadows != "auto" and self.alpha * (n_fits * n_shadows + 1) < 1:
            raise ValueError(
                f"n_shadows={self.n_shadows} is too few for alpha={self.alpha}: the smallest p-value is "
                f"1 / (n_fits * n_shadows + 1), so no feature could be kept. Use n_shadows >= "
                f"{int(np.ceil((1 / self.alpha - 1) / n_fits))} or 'auto'."
            )
        rng = np.random.default_rng(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        real_scores, shadow_scores, validation_gains = [], [], []
        hits = np.zeros(n_features, dtype=int)
        # "auto" drops with the hits test only. The features still in question: all of them unless dropping.
        dropping = self.test == "hits" if isinstance(self.drop_rejected, str) else asked_to_drop
        in_play, X_in_play = varying, X
        self.n_shadows_ = n_shadows
        # Whether the estimator's settings let its networks train side by side (None: they do).
        unsupported = side_by_side_unsupported(self._network(n_samples), X, y, fit_params)
        # Networks stopped by the selector's rule, not the estimator's: "not converged" says nothing.
        quiet_convergence = self._fixed_budget() or self._turns_early_stopping_off(n_samples)
        at_once = self._checked_fits_at_once(unsupported)
        side_by_side = at_once > 1 and unsupported is None
        self.fits_at_once_ = 0
        fit_index, settled = 0, False
        while fit_index < n_fits and not settled:
            # A round: fits_at_once networks, each on X with fresh shadows (rejected features leave
            # between rounds). Each varying column in turn (in a random order), so every one gets
            # its share of shadows whatever n_shadows is.
            designs, random_states = [], []
            template = self._network(n_samples)
            round_size = min(at_once, n_fits - fit_index)
            if self.fits_at_once == "auto" and side_by_side:
                # The stacked designs of a round in at most AUTO_STACK_BYTES (wide data: fewer at once).
                design_bytes = X.shape[0] * (X_in_play.shape[1] + n_shadows) * X.dtype.itemsize
                round_size = min(round_size, max(1, AUTO_STACK_BYTES // design_bytes))
            if self.fits_at_once == "auto" and dropping:
                # No more networks than can train before a feature could be rejected: the same
                # decisions as one fit at a time.
                round_size = min(round_size, fits_before_a_rejection(hits[in_play], fit_index, n_fits, self.alpha))
            self.fits_at_once_ = max(self.fits_at_once_, round_size)
            for member in range(round_size):
                sources = np.resize(rng.permutation(in_play), n_shadows)
                shadows = shadow_columns(X, sources, rng, joint=self.shadows == "joint")
                if sparse.issparse(X):
                    designs.append(sparse.hstack([X_in_play, shadows], format=X.format))
                else:
                    designs.append(np.hstack([X_in_play, shadows]))
                random_state = None  # the first network: the estimator's own random_state
                if fit_index + member > 0 and "random_state" in template.get_params():
                    # Another initialisation too, so that the fits differ by more than their shadows.
                    random_state = int(rng.integers(np.iinfo(np.int32).max))
                random_states.append(random_state)
            n_real, round_columns = X_in_play.shape[1], in_play
            for fitted in self._fit_round(
                template, designs, y, random_states, side_by_side, quiet_convergence, fit_params
            ):
                validation_gains.append(_validation_gain(fitted))
                importances = np.asarray(fitted.feature_importances_, np.float64)
                real, shadows = importances[:n_real], importances[n_real:]
                if real.sum() == 0:
                    raise ValueError("Every real feature has zero importance; there is nothing to select from.")
                if X_in_play is not X:  # the features that sat this fit out score 0 in it
                    real = _scattered(real, round_columns, n_features)
                real_scores.append(real / real.sum())
                shadow_scores.append(shadows / real.sum())
                hits += best_shadow_hits(real, shadows)
                fit_index += 1
                if self.test == "hits" and hits_decision_is_final(hits, fit_index, n_fits, self.alpha, self.control):
                    settled = True  # the remaining fits could not change which features are kept
                    break
                if dropping:
                    in_play = in_play[hits_could_reach(hits, fit_index, n_fits, self.alpha)[in_play]]
            if settled or len(in_play) == 0:
                break  # settled, or no feature can be kept (the check above stops first; a guard)
            if dropping and len(in_play) < X_in_play.shape[1]:
                # A feature left (or X still holds constant columns): a narrower copy. Otherwise the
                # copy would be X's columns again, a full copy of X for every fit.
                X_in_play = X[:, in_play]
                if self.n_shadows == "auto":
                    n_shadows = _hits_test_shadows(len(in_play))
        n_trained = len(real_scores)
        self.feature_importances_ = np.mean(real_scores, axis=0)
        self.hits_ = hits
        if self.test == "hits":
            self.pvalues_ = hits_pvalues(hits, n_trained)
        else:
            self.pvalues_ = pooled_shadow_pvalues(real_scores, shadow_scores)
        if self.control == "fdr":
            self.adjusted_pvalues_ = false_discovery_control(self.pvalues_, method="bh")
        else:
            self.adjusted_pvalues_ = self.pvalues_.copy()
        # The largest p-value kept; the importance above which p-values are that small.
        pvalue_cutoff = kept_pvalue_cutoff(self.pvalues_, self.alpha, self.control)
        # With one fit, a feature is kept exactly when its importance beats this;
        # with several, the pooled counts decide and no one importance does.
        one_rank_fit = self.test == "rank" and n_trained == 1
        self.threshold_ = noise_threshold(shadow_scores[0], pvalue_cutoff) if one_rank_fit else np.nan
        self.n_fits_ = n_trained
        self.fits_beating_baseline_ = _warn_if_baseline_never_beaten(validation_gains)
        self.cross_validated_gain_ = None
        if self.fits_beating_baseline_ is None and not self._get_support_mask().any() and not fit_params:
            # Nothing kept, and no validation rows to tell "no feature matters" from "the network
            # learnt nothing": the network, trained as the selector trains it, on X alone, held out.
            check_seed = int(rng.integers(np.iinfo(np.int32).max))  # after every draw of the fits
            with warnings.catch_warnings():
                if quiet_convergence:
                    warnings.simplefilter("ignore", ConvergenceWarning)
                check = _cross_validated_gain(self._network(n_samples), X, y, check_seed)
            if check is not None:
                self.cross_validated_gain_, score, baseline = check
                if self.cross_validated_gain_ <= 0:
                    metric = "accuracy" if is_classifier(self.estimator) else "R²"
                    constant = "the most frequent class" if is_classifier(self.estimator) else "the mean target"
                    warnings.warn(
                        f"VIANNSelector kept no feature, and the network, trained as the selector trains it, "
                        f"scored no better in {CHECK_FOLDS}-fold cross-validation than always predicting "
                        f"{constant} ({metric} {score:.3f} against {baseline:.3f}). With nothing learnt, the "
                        "test has little power: a feature not kept may still matter. More rows, or a model that "
                        "learns this target, may find it.",
                        BaselineNotBeatenWarning,
                        stacklevel=3,  # this < _fit_context's wrapper < the caller
                    )
        return self

    def __setstate__(self, state):
        # A selector pickled before a parameter existed gets the value that
        # reproduces what it did then, so that get_params, clone and a refit work.
        for name, former_behaviour in _FORMER_BEHAVIOUR.items():
            state.setdefault(name, former_behaviour)
        super().__setstate__(state)

    def _checked_fits_at_once(self, unsupported):
        if self.fits_at_once != "auto":
            return int(self.fits_at_once)
        return AUTO_FITS_AT_ONCE if unsupported is None else 1

    def _fit_round(self, template, designs, y, random_states, side_by_side, quiet_convergence, fit_params):
        """The fitted networks of one round: one per design, side by side or one after another.

        A ``random_states`` entry of None keeps the estimator's own ``random_state``.
        """
        if side_by_side:
            own = template.get_params()["random_state"]
            fits = fit_side_by_side(template, designs, y, [own if seed is None else seed for seed in random_states])
            # The estimator's own warnings, once for the round (a fixed epoch budget is short on purpose).
            diverged = sum(fit.diverged for fit in fits)
            out_of_epochs = sum(not (fit.converged or fit.diverged) for fit in fits)
            if diverged:
                warnings.warn(
                    f"Training diverged (the loss became non-finite) in {diverged} of the {len(fits)} networks "
                    "of a VIANNSelector round; the weights (and importances) of their best validation epoch "
                    "were used. Lower learning_rate_init or scale the inputs.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
            if not quiet_convergence and out_of_epochs:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({template.max_iter}) reached and the "
                    f"optimization hasn't converged yet ({out_of_epochs} of the {len(fits)} networks of a "
                    "VIANNSelector round).",
                    ConvergenceWarning,
                    stacklevel=4,
                )
            return fits
        fits = []
        for design, random_state in zip(designs, random_states):
            network = clone(template)
            if random_state is not None:
                network.set_params(random_state=random_state)
            with warnings.catch_warnings():
                if quiet_convergence:
                    warnings.simplefilter("ignore", ConvergenceWarning)
                fits.append(network.fit(design, y, **fit_params))
        return fits

    def _network(self, n_samples):
        """A fresh clone of the estimator, trained as ``epochs`` says on ``n_samples`` rows."""
        network = clone(self.estimator)
        if self._turns_early_stopping_off(n_samples):
            return network.set_params(early_stopping=False)
        if not self._fixed_budget():
            return network
        if "max_iter" not in network.get_params():
            raise ValueError(
                f"VIANNSelector(epochs={self.epochs}) sets the estimator's max_iter, which "
                f"{type(network).__name__} does not have; pass epochs=None to train it as it is set."
            )
        budget = {"max_iter": self.epochs}
        if "early_stopping" in network.get_params():
            budget["early_stopping"] = False
        return network.set_params(**budget)

    def _turns_early_stopping_off(self, n_samples):
        """Whether ``epochs="auto"`` trains the networks on ``n_samples`` rows without early stopping.

        It does where the estimator's ``early_stopping="auto"`` would choose the epoch on at most
        FEW_VALIDATION_ROWS validation rows.
        """
        params = self.estimator.get_params()
        if self.epochs != "auto" or params.get("early_stopping") != "auto" or "validation_fraction" not in params:
            return False
        return validation_rows(self.estimator, n_samples) <= FEW_VALIDATION_ROWS

    def _fixed_budget(self):
        """Whether the networks train for a fixed number of epochs (an int ``epochs``)."""
        return self.epochs not in (None, "auto")

    def _checked_n_fits(self, n_features):
        if self.n_fits != "auto":
            return int(self.n_fits)
        return auto_n_fits(self.control, self.alpha, n_features, self.test)

    def _checked_n_shadows(self, n_features, n_fits, n_varying):
        if self.n_shadows == "auto" and self.test == "hits":
            return _hits_test_shadows(n_varying)
        # Enough shadows for a p-value of alpha / 2, so that a clear signal passes.
        needed = int(np.ceil(2 / self.alpha)) - 1
        if self.n_shadows == "auto" and self.control == "fdr":
            # Pooled over the fits, enough for BH to keep a lone feature (p <= alpha / n_features).
            lone_feature = int(np.ceil(n_features / (self.alpha * n_fits)))
            return int(min(max(lone_feature, MIN_AUTO_SHADOWS, needed), max(MAX_AUTO_SHADOWS, needed)))
        if self.n_shadows == "auto":
            return int(min(max(n_features, MIN_AUTO_SHADOWS, needed), max(MAX_AUTO_SHADOWS, needed)))
        return int(self.n_shadows)

    def _get_support_mask(self):
        check_is_fitted(self, "pvalues_")
        return self.adjusted_pvalues_ <= self.alpha

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


def auto_n_fits(control, alpha, n_features, test="hits"):
    """How many networks ``VIANNSelector(n_fits="auto")`` plans for this control, level, width and test.

    With ``test="hits"`` it may train fewer, once the decision is settled.

    Examples
    --------
    >>> auto_n_fits("fdr", 0.05, 30), auto_n_fits("fdr", 0.05, 20000), auto_n_fits("per_feature", 0.05, 20000)
    (12, 16, 12)
    >>> auto_n_fits("fdr", 0.05, 2000, test="rank"), auto_n_fits("per_feature", 0.05, 2000, test="rank")
    (8, 1)
    """
    if test == "hits":
        # The smallest p-value, 0.5 ** n_fits, must reach alpha, however small alpha is.
        needed = int(np.ceil(-np.log2(alpha)))
        if control != "fdr":
            return max(AUTO_HITS_FITS, needed)
        # 0.5 ** n_fits <= alpha * ENOUGH_DISCOVERIES / n_features
        wide = int(np.ceil(np.log2(n_features / (alpha * ENOUGH_DISCOVERIES))))
        return int(max(min(max(AUTO_HITS_FITS, wide), MAX_AUTO_HITS_FITS), needed))
    if control != "fdr":
        return 1
    wide = int(np.ceil(n_features / (alpha * ENOUGH_DISCOVERIES * MAX_AUTO_SHADOWS)))
    return int(min(max(AUTO_FDR_FITS, wide), MAX_AUTO_FDR_FITS))


def _validation_gain(network):
    """The network's best validation score minus a constant prediction's on the same rows; None if unreported."""
    best = getattr(network, "best_validation_score_", None)
    baseline = getattr(network, "baseline_validation_score_", None)
    if best is None or baseline is None:
        return None
    return float(best) - float(baseline)


def _warn_if_baseline_never_beaten(validation_gains):
    """How many fits beat their baseline (None if any fit did not report it); a warning if none did."""
    if any(gain is None for gain in validation_gains):
        return None
    beating = sum(gain > 0 for gain in validation_gains)
    if beating == 0:
        fits = "its one fit" if len(validation_gains) == 1 else f"none of its {len(validation_gains)} fits"
        warnings.warn(
            f"VIANNSelector: in {fits}, the network scored no better on its validation rows than a constant "
            f"prediction (best gain over a constant: {max(validation_gains):+.3f}). With nothing learnt, the "
            "test has little power: a feature not kept may still matter. More rows, or a model that learns this "
            "target, may find it.",
            BaselineNotBeatenWarning,
            stacklevel=4,  # this < fit < _fit_context's wrapper < the caller
        )
    return int(beating)


def _cross_validated_gain(network, X, y, seed):
    """The network's out-of-fold score minus a constant prediction's, with both; None if y allows no folds.

    The score is the accuracy of the pooled out-of-fold predictions, or their R²;
    the constant's is the estimators' ``baseline_score`` on all of y (the share of
    the most frequent class, or 0: the mean target).
    """
    if np.ndim(y) != 1:
        return None
    if is_classifier(network):
        class_indices = np.unique(y, return_inverse=True)[1]  # baseline_score counts class indices
        counts = np.bincount(class_indices)
        n_splits = int(min(CHECK_FOLDS, counts.min()))
        if len(counts) < 2 or n_splits < 2:
            return None
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
        score = accuracy_score(y, cross_val_predict(network, X, y, cv=folds))
        baseline = baseline_score(network, class_indices, None)
    else:
        if len(y) < 2 * CHECK_FOLDS:
            return None
        folds = KFold(CHECK_FOLDS, shuffle=True, random_state=seed)
        score = r2_score(y, cross_val_predict(network, X, y, cv=folds))
        baseline = baseline_score(network, y, None)
    return float(score - baseline), float(score), float(baseline)


def _scattered(values, positions, size):
    """A vector of ``size`` zeros with ``values`` at ``positions``."""
    full = np.zeros(size, dtype=values.dtype)
    full[positions] = values
    return full


def _varying_columns(X):
    """Which columns take more than one value (sparse X: its implicit zeros count)."""
    if sparse.issparse(X):
        X = sparse.csc_matrix(X)
        low = X.min(axis=0).toarray().ravel()
        high = X.max(axis=0).toarray().ravel()
        return high > low
    return np.ptp(X, axis=0) > 0

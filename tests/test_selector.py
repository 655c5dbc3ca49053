"""VIANNSelector: features that beat their shadows, and no shadow anywhere a user can see."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from viann_sklearn import BaselineNotBeatenWarning, VIANNClassifier, VIANNRegressor, VIANNSelector
from viann_sklearn.selection.noise import hits_decision_is_final, hits_pvalues
from viann_sklearn.selection.selector import auto_n_fits

NET = dict(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.05)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def two_signals():
    """Classes decided by features 0 and 1 of 8; the rest is noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=400) > 0).astype(int)
    return X, y


def test_keeps_the_signal_and_reports_on_real_features_only(two_signals):
    X, y = two_signals
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    assert selector.n_features_in_ == 8
    assert selector.n_shadows_ == 8  # "auto" for the hits test: one shadow per column
    assert selector.n_fits_ <= 12
    assert np.isnan(selector.threshold_)
    assert set(selector.get_support(indices=True)) >= {0, 1}
    assert selector.get_support().sum() <= 3  # at most one lucky noise feature
    assert selector.feature_importances_.shape == (8,)
    assert selector.feature_importances_.sum() == pytest.approx(1.0)
    # With the rank test and one fit, a feature is kept exactly when its importance is above the threshold.
    for control in ("fdr", "per_feature"):
        one_fit = VIANNSelector(
            VIANNClassifier(random_state=0, **NET), control=control, test="rank", n_fits=1, random_state=0
        )
        one_fit.fit(X, y)
        np.testing.assert_array_equal(one_fit.get_support(), one_fit.feature_importances_ > one_fit.threshold_)
    assert selector.transform(X).shape == (400, selector.get_support().sum())


@pytest.mark.parametrize("test", ["hits", "rank"])
def test_false_positive_rate_on_pure_noise_is_at_most_alpha(test):
    kept, tested = 0, 0
    for seed in range(25):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(150, 8)), rng.integers(0, 2, size=150)
        selector = VIANNSelector(
            VIANNClassifier(random_state=seed, **NET), alpha=0.1, control="per_feature", test=test, random_state=seed
        ).fit(X, y)
        kept += selector.get_support().sum()
        tested += X.shape[1]
        np.testing.assert_array_equal(selector.adjusted_pvalues_, selector.pvalues_)
    # 200 null features at alpha 0.1: about 20 kept by chance; 34 is beyond 3 standard deviations.
    assert kept / tested <= 0.1 + 3 * np.sqrt(0.1 * 0.9 / tested)


def test_under_fdr_control_pure_noise_rarely_keeps_anything():
    # Nothing is related: any feature kept is a false discovery, so the
    # false-discovery rate is the chance of keeping anything at all.
    runs_keeping_any, runs = 0, 25
    for seed in range(runs):
        rng = np.random.default_rng(100 + seed)
        X, y = rng.normal(size=(150, 8)), rng.integers(0, 2, size=150)
        selector = VIANNSelector(VIANNClassifier(random_state=seed, **NET), alpha=0.1, random_state=seed).fit(X, y)
        runs_keeping_any += selector.get_support().any()
        np.testing.assert_array_equal(selector.get_support(), selector.adjusted_pvalues_ <= 0.1)
    # At most 10 % expected; 8 of 25 is beyond 3 standard deviations of 2.5.
    assert runs_keeping_any <= 7


def test_fdr_keeps_fewer_noise_features_than_per_feature_control():
    # The rank test, whose per-feature rule keeps noise at the rate alpha (the hits test keeps far less).
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 40))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fdr, per_feature = (
        VIANNSelector(
            VIANNClassifier(random_state=0, **NET), alpha=0.2, control=control, test="rank", random_state=0
        ).fit(X, y)
        for control in ("fdr", "per_feature")
    )
    assert {0, 1} <= set(fdr.get_support(indices=True))
    assert fdr.get_support()[2:].sum() < per_feature.get_support()[2:].sum()
    assert np.all(fdr.adjusted_pvalues_ >= fdr.pvalues_)


def test_constant_columns_get_no_shadows_and_are_never_kept():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=(300, 3)), np.zeros(300), np.full(300, 7.0)])
    y = (X[:, 0] > 0).astype(int)
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), control="per_feature", random_state=0).fit(X, y)
    # A constant's shadow is a constant, of importance 0: it would make every varying column look better than noise.
    assert selector.pvalues_[3] == selector.pvalues_[4] == 1.0
    assert not selector.get_support()[3:].any()
    with pytest.raises(ValueError, match="Every column of X is constant"):
        VIANNSelector(VIANNClassifier(**NET)).fit(np.ones((50, 3)), y[:50])


def test_no_shadow_leaks_into_pickles_or_names(two_signals):
    X, y = two_signals
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(frame, y)
    assert list(selector.feature_names_in_) == list(frame.columns)
    assert set(selector.get_feature_names_out()) <= set(frame.columns)
    # The network trained on shadows is not kept: nothing with 58 inputs survives.
    restored = pickle.loads(pickle.dumps(selector))
    assert not any(hasattr(value, "net_") for value in vars(restored).values())
    np.testing.assert_array_equal(restored.get_support(), selector.get_support())


def test_in_a_pipeline_with_cross_validation(two_signals):
    X, y = two_signals
    model = make_pipeline(
        VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0), VIANNClassifier(random_state=0, **NET)
    )
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.85
    # The downstream network sees only the kept columns.
    model.fit(X, y)
    assert model[-1].n_features_in_ == model[0].get_support().sum()


def test_regression_and_seeded_shadows():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 5))
    y = np.sin(2 * X[:, 2]) + X[:, 4] + 0.1 * rng.normal(size=300)
    first = VIANNSelector(VIANNRegressor(random_state=0, **NET), random_state=7).fit(X, y)
    again = VIANNSelector(VIANNRegressor(random_state=0, **NET), random_state=7).fit(X, y)
    assert {2, 4} <= set(first.get_support(indices=True))
    np.testing.assert_array_equal(first.pvalues_, again.pvalues_)


def test_sparse_input_stays_sparse_and_keeps_the_signal():
    # Bag-of-words-like data: the class depends on columns 0 and 1, most entries are zero.
    rng = np.random.default_rng(1)
    counts = rng.poisson(0.3, size=(600, 30)).astype(float)
    y = (counts[:, 0] - counts[:, 1] + 0.2 * rng.normal(size=600) > 0).astype(int)
    X = sparse.csr_matrix(counts)
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    assert {0, 1} <= set(selector.get_support(indices=True))
    assert selector.get_support().sum() <= 4
    reduced = selector.transform(X)
    assert sparse.issparse(reduced) and reduced.shape == (600, selector.get_support().sum())


@pytest.mark.parametrize(
    "params, data, error, match",
    [
        (dict(alpha=0.0), None, InvalidParameterError, "alpha"),
        (dict(alpha=1.5), None, InvalidParameterError, "alpha"),
        (dict(n_shadows=0), None, InvalidParameterError, "n_shadows"),
        (dict(n_shadows="many"), None, InvalidParameterError, "n_shadows"),
        (dict(control="bonferroni"), None, InvalidParameterError, "control"),
        (dict(test="boruta"), None, InvalidParameterError, "test"),
        (dict(epochs=0), None, InvalidParameterError, "epochs"),
        (dict(n_fits=4, alpha=0.05), None, ValueError, "n_fits=4 is too few for alpha=0.05: the hits test"),
        (dict(n_shadows=10, alpha=0.05, n_fits=1, test="rank"), None, ValueError, "n_shadows=10 is too few"),
        (dict(n_shadows=6, alpha=0.05, test="rank"), None, ValueError, "n_fits \\* n_shadows"),
        (dict(n_fits=0), None, InvalidParameterError, "n_fits"),
        ({}, "one row", ValueError, "n_samples=1"),
        ({}, "nan", ValueError, "NaN"),
        ({}, "sparse nan", ValueError, "NaN"),
    ],
)
def test_bad_input_is_named(two_signals, params, data, error, match):
    X, y = two_signals
    if data == "one row":
        X, y = X[:1], y[:1]
    elif data == "nan":
        X = X.copy()
        X[3, 2] = np.nan
    elif data == "sparse nan":
        X = sparse.csr_matrix(X)
        X.data[5] = np.nan
    with pytest.raises(error, match=match):
        VIANNSelector(VIANNClassifier(**NET), **params).fit(X, y)


def test_says_when_no_network_beat_a_constant_prediction(two_signals):
    # One positive in ten, unrelated to X: every network predicts the majority class on its validation rows.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 5)), (rng.random(100) < 0.1).astype(int)
    # (epochs=None: on 100 rows, "auto" would hold out no validation rows; see below.)
    with pytest.warns(BaselineNotBeatenWarning, match=r"no better on its validation rows than a constant"):
        selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), epochs=None, random_state=0).fit(X, y)
    assert selector.fits_beating_baseline_ == 0
    assert not selector.get_support().any()
    # A signal the networks learn: every fit beats its baseline, and nothing is said.
    X, y = two_signals
    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineNotBeatenWarning)
        selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    assert selector.fits_beating_baseline_ == selector.n_fits_
    # No validation rows to judge by: no count, and no warning.
    for selector in (
        VIANNSelector(VIANNClassifier(random_state=0, **dict(NET, early_stopping=False)), n_fits=5, random_state=0),
        VIANNSelector(VIANNClassifier(random_state=0, **NET), epochs=5, n_fits=5, random_state=0),
        VIANNSelector(VIANNClassifier(random_state=0, **NET), n_fits=5, random_state=0),  # 200 rows: no split
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error", BaselineNotBeatenWarning)
            assert selector.fit(X[:200], y[:200]).fits_beating_baseline_ is None
    # Nor from an estimator that reports no validation scores.
    tree = VIANNSelector(DecisionTreeClassifier(random_state=0), n_fits=5, random_state=0).fit(X, y)
    assert tree.fits_beating_baseline_ is None


def test_fits_beating_baseline_counts_gains_above_zero_and_knows_when_it_cannot_count():
    from viann_sklearn.selection.selector import _warn_if_baseline_never_beaten

    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineNotBeatenWarning)
        assert _warn_if_baseline_never_beaten([0.2, 0.0, -0.1]) == 1  # a tie with the constant is not a win
        assert _warn_if_baseline_never_beaten([0.3, None]) is None  # one fit did not report: no count
    with pytest.warns(BaselineNotBeatenWarning, match=r"in none of its 2 fits.*best gain over a constant: \+0\.000"):
        assert _warn_if_baseline_never_beaten([0.0, -0.25]) == 0
    with pytest.warns(BaselineNotBeatenWarning, match=r"in its one fit, the network scored no better"):
        assert _warn_if_baseline_never_beaten([-0.5]) == 0


def test_few_rows_warn_and_still_select(two_signals):
    X, y = two_signals
    with pytest.warns(UserWarning, match="only 12 samples"):
        selector = VIANNSelector(VIANNClassifier(**NET), random_state=0).fit(X[:12], y[:12])
    assert selector.get_support().shape == (8,)


def test_wide_data_gets_more_fits_so_that_fdr_control_can_keep_features():
    # The rank test, 751 columns at alpha 0.05: 3 fits of 500 shadows would leave p-values above 10 * alpha / 751.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 751)), rng.integers(0, 2, size=60)
    network = VIANNClassifier(hidden_layer_sizes=(4,), max_iter=2)
    selector = VIANNSelector(network, test="rank", random_state=0).fit(X, y)
    assert (selector.n_fits_, selector.n_shadows_) == (4, 500)
    assert 1 / (selector.n_fits_ * selector.n_shadows_ + 1) <= 10 * 0.05 / 751
    assert VIANNSelector(VIANNClassifier(), control="per_feature", test="rank")._checked_n_fits(751) == 1
    # The hits test: ten features with a hit in every fit must be keepable, 0.5 ** n_fits <= 10 * alpha / d.
    for n_features in (10, 751, 20_000, 10**7):
        n_fits = auto_n_fits("fdr", 0.05, n_features)
        assert 12 <= n_fits <= 20
        assert 0.5**n_fits <= 10 * 0.05 / n_features or n_fits == 20
    # However small alpha is, "auto" plans enough fits for a p-value to reach it.
    for control in ("fdr", "per_feature"):
        assert 0.5 ** auto_n_fits(control, 1e-7, 10) <= 1e-7


def test_hits_test_stops_early_only_when_the_decision_is_settled(two_signals):
    X, y = two_signals
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    np.testing.assert_array_equal(selector.pvalues_, hits_pvalues(selector.hits_, selector.n_fits_))
    assert np.all(selector.hits_ <= selector.n_fits_)
    if selector.n_fits_ < 12:
        assert hits_decision_is_final(selector.hits_, selector.n_fits_, 12, 0.05, "fdr")
    # The rank test trains every fit it plans.
    assert VIANNSelector(VIANNClassifier(random_state=0, **NET), test="rank", random_state=0).fit(X, y).n_fits_ == 3


def test_a_fixed_epoch_budget_sets_only_the_selectors_fits(two_signals):
    X, y = two_signals
    network = VIANNClassifier(random_state=0, **NET)
    selector = VIANNSelector(network, epochs=5, random_state=0)
    budgeted = selector._network(len(X))
    assert (budgeted.max_iter, budgeted.early_stopping) == (5, False)
    assert budgeted.hidden_layer_sizes == network.hidden_layer_sizes and network.max_iter == NET["max_iter"]
    # Five epochs do not converge, on purpose: the selector says nothing of it, a plain fit does.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        selector.fit(X, y)
        with pytest.raises(ConvergenceWarning):
            clone(budgeted).fit(X, y)
    assert selector.get_support().shape == (8,)


def test_auto_epochs_turn_early_stopping_off_where_the_validation_split_is_30_rows_or_fewer(two_signals):
    network = VIANNClassifier(random_state=0, **NET)
    selector = VIANNSelector(network, random_state=0)
    assert selector.epochs == "auto"
    # validation_fraction=0.1: 30 validation rows at 300 rows, 31 at 301.
    assert selector._network(300).early_stopping is False
    assert selector._network(301).early_stopping == "auto"
    assert VIANNSelector(clone(network).set_params(validation_fraction=0.05))._network(600).early_stopping is False
    # The user's own choice of stopping, and epochs=None, are left as they are.
    assert VIANNSelector(clone(network).set_params(early_stopping=True))._network(100).early_stopping is True
    assert VIANNSelector(network, epochs=None)._network(100).early_stopping == "auto"
    assert network.early_stopping == "auto"  # the selector's estimator itself is never changed
    # The same fits as the estimator set to early_stopping=False, and no "not converged" warnings
    # for a budget the selector chose.
    X, y = two_signals
    X, y = X[:200], y[:200]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        auto = VIANNSelector(network, n_fits=5, random_state=0).fit(X, y)
    plain = VIANNClassifier(random_state=0, **dict(NET, early_stopping=False))
    off = VIANNSelector(plain, epochs=None, n_fits=5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(auto.hits_, off.hits_)
    np.testing.assert_allclose(auto.feature_importances_, off.feature_importances_)


def test_an_epoch_budget_needs_an_estimator_with_max_iter(two_signals):
    X, y = two_signals
    with pytest.raises(ValueError, match="DecisionTreeClassifier does not have; pass epochs=None"):
        VIANNSelector(DecisionTreeClassifier(random_state=0), epochs=5).fit(X, y)
    assert VIANNSelector(DecisionTreeClassifier(random_state=0), random_state=0).fit(X, y).get_support()[:2].all()


class _WidthRecordingTree(DecisionTreeClassifier):
    """A tree that records how many columns each of the selector's fits gives it (clones share the list)."""

    widths: list = []

    def fit(self, X, y, **fit_params):
        _WidthRecordingTree.widths.append(X.shape[1])
        return super().fit(X, y, **fit_params)


@pytest.mark.parametrize("as_sparse", [False, True])
def test_drop_rejected_leaves_features_that_cannot_be_kept_out_of_later_fits(two_signals, as_sparse):
    X, y = two_signals
    X = sparse.csr_matrix(X) if as_sparse else X
    _WidthRecordingTree.widths = []
    tree = _WidthRecordingTree(max_depth=3, random_state=0)
    selector = VIANNSelector(tree, drop_rejected=True, random_state=0).fit(X, y)
    widths = _WidthRecordingTree.widths
    assert len(widths) == selector.n_fits_ and widths[0] == 8 + 8  # all features and a shadow each
    assert selector.n_shadows_ == 8  # the first fit's
    # Later fits: the features still in play and as many shadows (at least 5), fewer as features drop out.
    assert all(later <= earlier for earlier, later in zip(widths, widths[1:])) and widths[-1] < widths[0]
    assert set(widths) <= {n + max(n, 5) for n in range(1, 9)}  # never 11, 13 or 15 columns, say
    # A feature that dropped out could not have been kept, and the signal is kept.
    assert selector.get_support()[:2].all()
    dropped = selector.hits_ + (12 - selector.n_fits_) < 10  # fewer than 10 hits of 12 cannot reach p <= 0.05
    assert not selector.get_support()[dropped].any()
    np.testing.assert_allclose(selector.feature_importances_.sum(), 1.0)


def test_rejected_features_drop_by_default_with_the_hits_test_only(two_signals):
    X, y = two_signals
    _WidthRecordingTree.widths = []
    VIANNSelector(_WidthRecordingTree(max_depth=3, random_state=0), random_state=0).fit(X, y)
    assert _WidthRecordingTree.widths[0] == 16 and min(_WidthRecordingTree.widths) < 16  # "auto" drops
    _WidthRecordingTree.widths = []
    VIANNSelector(_WidthRecordingTree(max_depth=3, random_state=0), drop_rejected=False, random_state=0).fit(X, y)
    assert set(_WidthRecordingTree.widths) == {16}  # every feature and its shadow in every fit
    # The rank test pools one set of shadows over all fits: "auto" keeps every feature, True is refused.
    _WidthRecordingTree.widths = []
    tree = _WidthRecordingTree(max_depth=3, random_state=0)
    rank = VIANNSelector(tree, test="rank", n_shadows=20, random_state=0).fit(X, y)
    fits, check = _WidthRecordingTree.widths[: rank.n_fits_], _WidthRecordingTree.widths[rank.n_fits_ :]
    assert set(fits) == {8 + 20}
    # The rank test kept nothing here (3 fits of 20 shadows, p >= 1/61, against BH's 0.05 / 8), and
    # a tree reports no validation scores: the cross-validated check fits it on X alone, once a fold.
    assert not rank.get_support().any() and check == [8] * 5
    assert rank.cross_validated_gain_ > 0.2  # the tree learns the two signals
    for asked in (True, np.True_):
        with pytest.raises(ValueError, match="drop_rejected=True needs test='hits'"):
            VIANNSelector(VIANNClassifier(**NET), drop_rejected=asked, test="rank").fit(X, y)


def test_a_selector_pickled_before_the_newer_parameters_still_clones_and_refits(two_signals):
    X, y = two_signals
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    state = selector.__getstate__()
    for added in ("control", "n_fits", "test", "epochs", "drop_rejected", "fits_at_once", "dtype", "shadows"):
        del state[added]  # as a selector pickled before any of them existed
    old = pickle.loads(pickle.dumps(state))
    restored = VIANNSelector.__new__(VIANNSelector)
    restored.__setstate__(old)
    params = restored.get_params()
    assert (params["control"], params["n_fits"], params["test"], params["epochs"]) == ("per_feature", 1, "rank", None)
    assert params["fits_at_once"] == 1  # each network fitted with the estimator's own fit, as then
    assert params["dtype"] is None  # in X's own dtype, as then
    assert params["shadows"] == "independent"  # each shadow shuffled on its own, as then
    np.testing.assert_array_equal(restored.transform(X), selector.transform(X))  # fitted state untouched
    refit = clone(restored).fit(X, y)
    assert refit.n_fits_ == 1 and np.isfinite(refit.threshold_)  # the one-fit rank test of the first selector
    assert refit.fits_at_once_ == 1


def test_joint_shadows_keep_the_signal_and_reject_an_unknown_shuffle(two_signals):
    X, y = two_signals
    selector = VIANNSelector(VIANNClassifier(random_state=0, **NET), shadows="joint", random_state=0).fit(X, y)
    assert {0, 1} <= set(selector.get_support(indices=True))
    independent = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    assert not np.array_equal(selector.feature_importances_, independent.feature_importances_)  # other shadows
    with pytest.raises(InvalidParameterError, match="shadows"):
        VIANNSelector(VIANNClassifier(**NET), shadows="together").fit(X, y)


def test_without_validation_rows_nothing_kept_is_checked_by_cross_validation(two_signals):
    from viann_sklearn.selection.selector import CHECK_FOLDS

    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 5))
    # A target unrelated to X, 150 rows (no validation split): nothing is kept, and the
    # network, cross-validated on X alone, predicts no better than the mean target.
    said = rf"{CHECK_FOLDS}-fold cross-validation.*R² -?\d\.\d{{3}} against 0\.000"
    with pytest.warns(BaselineNotBeatenWarning, match=said):
        noise = VIANNSelector(VIANNRegressor(random_state=0, **NET), random_state=0).fit(X, rng.normal(size=150))
    assert not noise.get_support().any()
    assert noise.fits_beating_baseline_ is None
    assert noise.cross_validated_gain_ <= 0
    # A target the network learns, and a selector that cannot keep anything: 5 fits give
    # p-values of 0.5 ** 5 at best, and Benjamini-Hochberg over 8 features at 0.04 needs
    # 0.04 * k / 8 with k features that low. The check runs, the network beats the constant,
    # and nothing is said.
    X, y = two_signals
    strict = VIANNSelector(VIANNClassifier(random_state=0, **NET), n_fits=5, alpha=0.04, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineNotBeatenWarning)
        strict.fit(X[:200], y[:200])
    assert not strict.get_support().any()
    assert strict.cross_validated_gain_ > 0.2  # two clear signals: far above the majority class
    # Kept features, or validation rows to count on: no check.
    kept = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X[:200], y[:200])
    assert kept.get_support().any() and kept.cross_validated_gain_ is None
    validated = VIANNSelector(VIANNClassifier(random_state=0, **NET), random_state=0).fit(X, y)
    assert validated.fits_beating_baseline_ is not None and validated.cross_validated_gain_ is None


def test_the_cross_validated_check_scores_against_the_constant_the_estimators_use():
    from viann_sklearn.selection.selector import _cross_validated_gain

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    gain, score, baseline = _cross_validated_gain(VIANNClassifier(random_state=0, **NET), X, y, seed=0)
    assert baseline == np.bincount(y).max() / len(y)
    assert gain == pytest.approx(score - baseline) and score > baseline
    # No folds to make: a class of one row, or more than one target column.
    y_single = np.r_[np.ones(1, int), np.zeros(59, int)]
    assert _cross_validated_gain(VIANNClassifier(**NET), X, y_single, seed=0) is None
    assert _cross_validated_gain(VIANNRegressor(**NET), X, np.c_[X[:, 0], X[:, 1]], seed=0) is None

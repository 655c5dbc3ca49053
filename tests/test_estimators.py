"""VIANNClassifier and VIANNRegressor: contracts a scikit-learn user relies on."""

import contextlib
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from viann_sklearn import VIANNClassifier, VIANNRegressor
from viann_sklearn.estimators.base import UninformativeTargetWarning
from viann_sklearn.estimators.inputs import column_mean_and_scale
from viann_sklearn.method.scores import viann_scores

from _models import ctrl_c_on_forward_call

# early_stopping=False: these tests count epochs and samples of plain training;
# early_stopping="auto" has tests of its own.
FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=0.1, max_iter=30, random_state=0, early_stopping=False)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def classification_data():
    """Three classes decided by features 0 and 1; features 2-5 are noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6))
    y = np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])
    return X, y


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = 2 * X[:, 1] - X[:, 3] + 0.05 * rng.normal(size=200)
    return X, y


def test_classifier_importances_and_predictions(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    importances = clf.feature_importances_
    assert importances.shape == (6,)
    assert np.all(importances >= 0)
    assert importances.sum() == pytest.approx(1.0)
    assert set(np.argsort(importances)[-2:]) == {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert clf.score(X, y) > 0.9


def test_string_labels_come_back_from_classes(classification_data):
    X, y = classification_data
    names = np.array(["low", "mid", "high"])[y]
    clf = VIANNClassifier(**FAST).fit(X, names)
    assert list(clf.classes_) == ["high", "low", "mid"]
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.score(X, names) > 0.9


def test_binary_classification(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y > 0)
    assert clf.predict_proba(X).shape == (240, 2)
    assert clf.predict(X).dtype == bool


def test_one_class_predicts_that_class_as_mlpclassifier_does(classification_data):
    X, _ = classification_data
    clf = VIANNClassifier(**FAST).fit(X, np.full(len(X), "only"))
    assert list(clf.classes_) == ["only"]
    assert (clf.predict(X) == "only").all()
    np.testing.assert_array_equal(clf.predict_proba(X), np.ones((len(X), 1)))


def test_regressor_single_and_multi_output(regression_data):
    X, y = regression_data
    reg = VIANNRegressor(**FAST).fit(X, y)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.9
    assert set(np.argsort(reg.feature_importances_)[-2:]) == {1, 3}

    Y = np.column_stack([y, X[:, 4]])
    multi = VIANNRegressor(**FAST).fit(X, Y)
    assert multi.n_outputs_ == 2
    assert multi.predict(X).shape == (200, 2)
    assert multi.feature_importances_.shape == (5,)


def test_importances_are_the_callbacks_and_match_final_weights(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    callback = clf.variance_importance_
    np.testing.assert_array_equal(clf.feature_importances_, callback.feature_importances_)
    first_layer = clf.net_.module_.layers[0].weight.detach()
    np.testing.assert_allclose(callback.scores_, viann_scores(callback.variances_, first_layer).numpy())
    assert callback.importances_history_.shape == (clf.n_iter_, 6)
    assert callback.n_samples_ == clf.n_iter_ + 1
    assert [c.shape for c in clf.coefs_] == [(6, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]


def test_batch_mode_samples_every_step(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**dict(FAST, max_iter=3, batch_size=60), importance_on="batch").fit(X, y)
    assert clf.variance_importance_.n_samples_ == 1 + 3 * 4


def test_same_random_state_same_model_and_caller_rng_untouched(classification_data):
    X, y = classification_data
    torch.manual_seed(123)
    np.random.seed(7)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    first = VIANNClassifier(**FAST).fit(X, y)
    second = VIANNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(first.feature_importances_, second.feature_importances_)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    other = VIANNClassifier(**dict(FAST, random_state=1)).fit(X, y)
    assert not np.array_equal(first.feature_importances_, other.feature_importances_)


def test_float32_input_trains_in_float32(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X.astype(np.float32), y)
    assert clf.net_.module_.layers[0].weight.dtype == torch.float32
    assert clf.predict_proba(X).dtype == np.float64
    assert VIANNClassifier(**FAST).fit(X, y).net_.module_.layers[0].weight.dtype == torch.float64


def test_partial_fit_streams_and_continues_the_variance(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:80], y[:80])
    clf = VIANNClassifier(**FAST)
    for start in range(0, 240, 80):
        clf.partial_fit(X[start : start + 80], y[start : start + 80], classes=[0, 1, 2])
    assert clf.n_iter_ == 3
    assert clf.t_ == 240
    assert clf.variance_importance_.n_samples_ == 4
    assert clf.feature_importances_.shape == (6,)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X[:5], np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="expecting 6 features"):
        clf.partial_fit(X[:5, :4], y[:5])


def test_partial_fit_matches_no_fit_restart_and_fit_restarts(regression_data):
    X, y = regression_data
    reg = VIANNRegressor(**FAST)
    reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    assert reg.variance_importance_.n_samples_ == 3
    reg.fit(X, y)  # a fit starts over
    assert reg.variance_importance_.n_samples_ == reg.n_iter_ + 1


def test_warm_start_continues_training_and_importances(regression_data):
    X, y = regression_data
    reg = VIANNRegressor(**dict(FAST, max_iter=5, warm_start=True, tol=0.0)).fit(X, y)
    weights_after_first = reg.coefs_[0].copy()
    reg.set_params(learning_rate_init=0.001)
    reg.fit(X, y)
    assert reg.n_iter_ == 5  # the epochs of this fit, as in MLPRegressor
    assert len(reg.loss_curve_) == 10 and reg.t_ == 10 * len(X)
    assert reg.variance_importance_.n_samples_ == 11
    assert reg.net_.optimizer_.param_groups[0]["lr"] == 0.001
    assert not np.allclose(reg.coefs_[0], weights_after_first)


def test_tol_stops_training_without_a_warning(regression_data):
    X, y = regression_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = VIANNRegressor(**dict(FAST, max_iter=500, tol=1e-2, n_iter_no_change=2)).fit(X, y)
    assert reg.n_iter_ < 500
    assert reg.best_loss_ == min(reg.loss_curve_)


def test_max_iter_reached_warns(regression_data):
    X, y = regression_data
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        VIANNRegressor(**dict(FAST, max_iter=3)).fit(X, y)


def test_early_stopping_keeps_the_best_epoch(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**dict(FAST, max_iter=200, early_stopping=True, n_iter_no_change=3)).fit(X, y)
    assert clf.best_loss_ is None
    assert clf.n_iter_ == len(clf.validation_scores_) < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    first_layer = clf.net_.module_.layers[0].weight.detach()
    callback = clf.variance_importance_
    np.testing.assert_allclose(callback.scores_, viann_scores(callback.variances_, first_layer).numpy())
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="validation set is too small"):
        VIANNClassifier(**dict(FAST, early_stopping=True, validation_fraction=0.01)).fit(X[:60], y[:60])


def test_the_baseline_beside_the_best_validation_score_is_a_constant_prediction_on_the_same_rows():
    # 90 rows of class 0, 10 of class 1: the stratified 10 validation rows hold 9 and 1, and
    # always predicting class 0 scores 0.9 there; a regressor's constant (the mean) scores R² 0.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 3)), np.r_[np.zeros(90, int), np.ones(10, int)]
    for early_stopping in ("auto", True):
        clf = VIANNClassifier(**dict(FAST, max_iter=20, early_stopping=early_stopping)).fit(X, y)
        assert clf.baseline_validation_score_ == pytest.approx(0.9)
        assert clf.best_validation_score_ is not None
        reg = VIANNRegressor(**dict(FAST, max_iter=20, early_stopping=early_stopping)).fit(X, X[:, 0])
        assert reg.baseline_validation_score_ == 0.0
    # No validation rows, no baseline: early stopping off, or too few rows for "auto" to hold any out.
    assert VIANNClassifier(**dict(FAST, max_iter=5)).fit(X, y).baseline_validation_score_ is None
    auto = dict(FAST, max_iter=5, early_stopping="auto")
    assert VIANNRegressor(**auto).fit(X[:30], X[:30, 0]).baseline_validation_score_ is None


def test_early_stopping_ends_the_variance_at_the_restored_epoch(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**dict(FAST, max_iter=200, early_stopping=True, n_iter_no_change=5)).fit(X, y)
    scores = np.array(clf.validation_scores_)
    best_epoch = int(np.flatnonzero(scores == scores.max())[-1]) + 1  # ties go to the later epoch
    assert best_epoch < clf.n_iter_, "the test needs epochs after the best one"
    callback = clf.variance_importance_
    # The initial weights and one sample per epoch up to the best one, no later epoch.
    assert callback.n_samples_ == best_epoch + 1
    assert callback.importances_history_.shape[0] == best_epoch
    # So the importances are those the best epoch's network had when it was trained.
    np.testing.assert_allclose(callback.feature_importances_, callback.importances_history_[-1], rtol=1e-10)


def test_auto_early_stopping_holds_out_data_only_where_it_can(classification_data):
    X, y = classification_data
    assert VIANNClassifier().early_stopping == "auto"
    auto = dict(FAST, early_stopping="auto")
    clf = VIANNClassifier(**auto).fit(X, y)
    assert clf.validation_scores_ is not None and clf.best_loss_ is None
    # 40 rows would leave 4 for validation: too few to judge, so train on all of them.
    small = VIANNClassifier(**auto).fit(X[:40], y[:40])
    assert small.validation_scores_ is None and small.best_loss_ is not None
    # A class with a single sample cannot be stratified into a validation set.
    lonely = np.where(np.arange(len(y)) == 0, 3, y)
    assert VIANNClassifier(**auto).fit(X, lonely).validation_scores_ is None
    # partial_fit never holds out data with "auto".
    partial = VIANNClassifier(**auto).partial_fit(X, y, classes=np.unique(y))
    assert partial.validation_scores_ is None
    reg = VIANNRegressor(**auto).fit(X, X[:, 0])
    assert reg.validation_scores_ is not None


def test_sgd_solver_and_activations(classification_data):
    X, y = classification_data
    for activation in ("identity", "logistic", "tanh", "relu"):
        clf = VIANNClassifier(**dict(FAST, solver="sgd", activation=activation, momentum=0.0)).fit(X, y)
        assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
        assert np.all(np.isfinite(clf.feature_importances_))


def test_diverging_training_raises(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="Training diverged"):
        VIANNRegressor(**dict(FAST, solver="sgd", learning_rate_init=1e6)).fit(X * 1e3, y * 1e3)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(importance_on="sometimes"), "importance_on"),
        (dict(solver="newton"), "solver"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(alpha=-1.0), "alpha"),
        (dict(batch_size=0), "batch_size"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(device=3), "device"),
        (dict(standardize="yes"), "standardize"),
    ],
)
def test_invalid_parameters_are_named(params, match, classification_data):
    X, y = classification_data
    with pytest.raises((InvalidParameterError, ValueError), match=match):
        VIANNClassifier(**dict(FAST, **params)).fit(X, y)


def test_unknown_device_is_a_clear_error(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match="device='toaster' is not a torch device"):
        VIANNClassifier(**dict(FAST, device="toaster")).fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            VIANNClassifier(**dict(FAST, device="cuda")).fit(X, y)


def test_unfitted_estimator_says_so():
    clf = VIANNClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 3)))
    assert not hasattr(clf, "feature_importances_")


def test_nan_input_is_rejected(classification_data):
    X, y = classification_data
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VIANNClassifier(**FAST).fit(X, y)


def test_pickle_round_trip_keeps_predictions_and_importances(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.feature_importances_, clf.feature_importances_)
    restored.partial_fit(X, y)  # and it can keep training
    assert restored.variance_importance_.n_samples_ == clf.variance_importance_.n_samples_ + 1


def test_clone_is_unfitted_with_same_params(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "net_")


def test_pandas_column_names_are_kept(classification_data):
    pd = pytest.importorskip("pandas")
    X, y = classification_data
    frame = pd.DataFrame(X, columns=[f"col{i}" for i in range(6)])
    clf = VIANNClassifier(**FAST).fit(frame, pd.Series(y))
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert clf.predict(frame).shape == (240,)


def test_predictions_from_several_threads_match_serial(classification_data):
    from concurrent.futures import ThreadPoolExecutor

    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    expected = clf.predict_proba(X)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(8)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_importances_returned_are_a_copy(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST).fit(X, y)
    clf.feature_importances_[:] = 0.0
    assert clf.feature_importances_.sum() == pytest.approx(1.0)


def test_interrupt_inside_first_epoch_leaves_a_usable_model(classification_data):
    X, y = classification_data
    # Forward call 3: two optimizer steps have happened, no epoch has ended.
    with ctrl_c_on_forward_call(3), pytest.warns(UserWarning, match="interrupted after 0 of 30 epochs"):
        clf = VIANNClassifier(**dict(FAST, batch_size=40)).fit(X, y)
    assert clf.n_iter_ == 0 and clf.loss_ is None
    assert clf.variance_importance_.n_samples_ == 2  # the start and the weights reached
    assert np.all(np.isfinite(clf.feature_importances_))
    assert clf.predict(X).shape == (240,)


def test_weight_init_normal_or_glorot(classification_data):
    from viann_sklearn.training.mlp import MultiLayerPerceptron

    generator = torch.Generator().manual_seed(0)
    normal = MultiLayerPerceptron(6, [400], 3, weight_init=0.05, generator=generator)
    assert normal.layers[0].weight.std().item() == pytest.approx(0.05, rel=0.05)
    assert torch.all(normal.layers[0].bias == 0)
    glorot = MultiLayerPerceptron(6, [400], 3, generator=generator)
    bound = np.sqrt(6 / (6 + 400))
    assert glorot.layers[0].weight.abs().max().item() <= bound
    assert glorot.layers[0].weight.abs().max().item() > 0.9 * bound

    X, y = classification_data
    clf = VIANNClassifier(**dict(FAST, max_iter=1), weight_init=1e-6).fit(X, y)
    assert clf.net_.module_.layers[0].weight.abs().max().item() < 0.1  # far below Glorot's 0.54
    with pytest.raises(InvalidParameterError, match="weight_init"):
        VIANNClassifier(weight_init="he").fit(X, y)


def test_a_column_in_other_units_gets_the_same_importance(classification_data):
    # metres or millimetres: standardising inside the net makes it the same fit
    X, y = classification_data
    in_millimetres = X * np.array([1000.0, 1.0, 1e-3, 1.0, 1.0, 1.0])
    original = VIANNClassifier(**FAST).fit(X, y)
    rescaled = VIANNClassifier(**FAST).fit(in_millimetres, y)
    np.testing.assert_allclose(rescaled.feature_importances_, original.feature_importances_, rtol=1e-6)
    np.testing.assert_allclose(rescaled.predict_proba(in_millimetres), original.predict_proba(X), atol=1e-9)
    unscaled = VIANNClassifier(**FAST, standardize=False).fit(in_millimetres, y)
    assert unscaled.net_.module_.input_shift is None
    assert not np.allclose(unscaled.feature_importances_, original.feature_importances_, atol=0.05)


def test_standardization_statistics_come_from_the_training_rows(classification_data):
    X, y = classification_data
    X = X * 50.0 + 7.0
    module = VIANNClassifier(**dict(FAST, max_iter=1)).fit(X, y).net_.module_
    np.testing.assert_allclose(module.input_shift.numpy(), X.mean(axis=0))
    np.testing.assert_allclose(module.input_scale.numpy(), X.std(axis=0))


def test_standardize_cannot_change_while_training_continues(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**dict(FAST, max_iter=2, warm_start=True)).fit(X, y)
    with pytest.raises(ValueError, match="standardize cannot change"):
        clf.set_params(standardize=False).fit(X, y)


def test_column_statistics_in_chunks_match_numpy_without_overflow():
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(1000, 3)) * [1e30, 1.0, 0.0] + [0.0, 5.0, 2.0]).astype(np.float32)
    mean, scale = column_mean_and_scale(X, chunk_rows=64)
    as_float64 = X.astype(np.float64)
    np.testing.assert_allclose(mean, as_float64.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(scale[:2], as_float64.std(axis=0)[:2], rtol=1e-9)
    assert scale[2] == 1.0  # a constant column is only shifted


def test_regression_targets_in_large_units_train_and_come_back_in_those_units(regression_data):
    X, y = regression_data
    in_thousands = 1000.0 * y + 5e4
    reg = VIANNRegressor(**FAST).fit(X, in_thousands)
    assert reg.score(X, in_thousands) > 0.9
    standard = VIANNRegressor(**FAST).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), 1000.0 * standard.predict(X) + 5e4, rtol=1e-9)
    np.testing.assert_allclose(reg.feature_importances_, standard.feature_importances_, rtol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_weighted_standardization_equals_repeated_rows(sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)) * [1.0, 10.0, 0.1, 3.0] + 5.0
    weights = rng.integers(0, 4, size=30)
    repeated = np.repeat(X, weights, axis=0)
    as_input = scipy.sparse.csr_matrix if sparse else np.asarray
    shift, scale = column_mean_and_scale(as_input(X), weights.astype(float))
    expected_shift, expected_scale = column_mean_and_scale(as_input(repeated))
    np.testing.assert_allclose(shift, expected_shift, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, expected_scale, rtol=1e-12)


# A target with nothing to learn: the fit goes on (as MLPClassifier's, and as
# scikit-learn's check_classifiers_one_label requires), and warns that the importances mean nothing.
NOTHING_TO_LEARN = "the network has nothing to learn, and its feature_importances_ carry no information"


@contextlib.contextmanager
def no_uninformative_target_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UninformativeTargetWarning)
        yield


def test_one_class_warns_that_the_importances_carry_no_information(classification_data):
    X, _ = classification_data
    assert issubclass(UninformativeTargetWarning, RuntimeWarning)  # not a UserWarning: see its docstring
    with pytest.warns(
        UninformativeTargetWarning, match=rf"^y has a single class \('a'\): {NOTHING_TO_LEARN}\.$"
    ) as record:
        clf = VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, np.full(len(X), "a"))
    [warning] = [warning for warning in record if warning.category is UninformativeTargetWarning]
    assert warning.filename == __file__  # it points at the caller's fit
    assert clf.feature_importances_.shape == (6,)  # the fit still works


def test_one_class_among_the_rows_of_positive_weight_warns(classification_data):
    X, _ = classification_data
    y = np.arange(len(X)) % 2
    with pytest.warns(
        UninformativeTargetWarning, match=r"single class \(0\) among the samples of positive sample_weight"
    ):
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, y, sample_weight=(y == 0).astype(float))
    with no_uninformative_target_warning():
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, y, sample_weight=np.where(y == 0, 1.0, 0.5))


def test_multilabel_with_every_label_constant_warns(classification_data):
    X, y = classification_data
    constant = np.tile([1, 0, 1], (len(X), 1))
    with pytest.warns(UninformativeTargetWarning, match=f"^every label column of y is constant: {NOTHING_TO_LEARN}"):
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, constant)
    one_label_varies = constant.copy()
    one_label_varies[:, 1] = y == 2
    with no_uninformative_target_warning():
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, one_label_varies)


@pytest.mark.parametrize(
    "target, match",
    [
        (np.full(240, 2.5), r"^y is constant \(2\.5\): "),
        (np.full((240, 1), 2.5), r"^y is constant \(2\.5\): "),
        (np.tile([1.0, -3.0], (240, 1)), r"^each of the 2 target columns of y is constant: "),
    ],
    ids=["one-output", "column", "two-outputs"],
)
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_regressor_with_a_constant_target_warns(classification_data, target, match, solver):
    X, _ = classification_data
    with pytest.warns(UninformativeTargetWarning, match=match + NOTHING_TO_LEARN):
        VIANNRegressor(**dict(FAST, max_iter=3, solver=solver)).fit(X, target)


def test_regressor_with_one_output_of_two_constant_does_not_warn(regression_data):
    X, y = regression_data
    with no_uninformative_target_warning():
        VIANNRegressor(**dict(FAST, max_iter=3)).fit(X, np.column_stack([y, np.ones_like(y)]))


def test_regressor_judges_the_rows_of_positive_weight_only(regression_data):
    X, y = regression_data
    constant_on_first_half = np.where(np.arange(len(y)) < 100, 7.0, y)
    first_half = (np.arange(len(y)) < 100).astype(float)
    with no_uninformative_target_warning():  # constant only where the weight is zero
        VIANNRegressor(**dict(FAST, max_iter=3)).fit(X, constant_on_first_half, sample_weight=1.0 - first_half)
    with pytest.warns(UninformativeTargetWarning, match=r"^y is constant \(7\.0\) among the samples of positive"):
        VIANNRegressor(**dict(FAST, max_iter=3)).fit(X, constant_on_first_half, sample_weight=first_half)


def test_an_informative_fit_does_not_warn(classification_data, regression_data):
    X, y = classification_data
    with no_uninformative_target_warning():
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, y)
        VIANNClassifier(**dict(FAST, max_iter=3)).fit(X, y == 0, sample_weight=np.full(len(X), 2.0))
        VIANNRegressor(**dict(FAST, max_iter=3)).fit(*regression_data)


def test_partial_fit_warns_only_when_the_declared_classes_are_one(classification_data):
    X, y = classification_data
    clf = VIANNClassifier(**FAST)
    with no_uninformative_target_warning():  # a chunk of one of the declared classes is a normal chunk
        clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])
        clf.partial_fit(X[y == 1], y[y == 1])
    only_class = VIANNClassifier(**FAST)
    for _ in range(2):  # every call, as every fit
        with pytest.warns(UninformativeTargetWarning, match=r"^y has a single class \(0\): "):
            only_class.partial_fit(X[y == 0], y[y == 0], classes=[0])


def test_multilabel_partial_fit_does_not_judge_one_chunk(classification_data):
    X, _ = classification_data
    with no_uninformative_target_warning():  # rare labels are often all 0 in a chunk
        VIANNClassifier(**FAST).partial_fit(X, np.zeros((len(X), 3), dtype=int), classes=[0, 1, 2])


def test_regressor_partial_fit_judges_the_chunk(regression_data):
    X, y = regression_data
    reg = VIANNRegressor(**FAST)
    with no_uninformative_target_warning():
        reg.partial_fit(X, y)
    with pytest.warns(UninformativeTargetWarning, match=r"^y is constant \(1\.0\): "):
        reg.partial_fit(X, np.ones_like(y))


def test_warm_start_fit_on_a_constant_target_warns_again(regression_data):
    X, y = regression_data
    reg = VIANNRegressor(**dict(FAST, max_iter=3, warm_start=True)).fit(X, y)
    with pytest.warns(UninformativeTargetWarning, match=r"^y is constant"):
        reg.fit(X, np.zeros_like(y))
    assert reg.n_iter_ == 3

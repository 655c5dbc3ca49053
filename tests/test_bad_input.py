"""The bad-input matrix: every case is a clear error naming the problem, or a correct result.

docs/robustness.md shows the same matrix as a table; keep them in step.
"""

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from viann_sklearn import VIANNClassifier, VIANNRegressor

from _models import ctrl_c_on_forward_call

FAST = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=5, random_state=0, early_stopping=False)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _data(n=60, d=4):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    return X, (X[:, 0] > 0).astype(int)


def _with(X, row, column, value):
    X = X.astype(object) if isinstance(value, (str, dict)) else X.copy()
    X[row, column] = value
    return X


X_GOOD, Y_GOOD = _data()

ERRORS = [
    # case, estimator, X, y, exception, message that names the problem
    ("NaN in X", VIANNClassifier, _with(X_GOOD, 3, 1, np.nan), Y_GOOD, ValueError, "Input X contains NaN"),
    ("inf in X", VIANNClassifier, _with(X_GOOD, 3, 1, np.inf), Y_GOOD, ValueError, "Input X contains infinity"),
    ("NaN in y", VIANNRegressor, X_GOOD, np.where(Y_GOOD == 1, np.nan, 0.0), ValueError, "Input y contains NaN"),
    ("inf in y", VIANNRegressor, X_GOOD, np.where(Y_GOOD == 1, np.inf, 0.0), ValueError, "Input y contains infinity"),
    ("1-D X", VIANNClassifier, X_GOOD[:, 0], Y_GOOD, ValueError, "Expected 2D array"),
    ("empty X", VIANNClassifier, X_GOOD[:0], Y_GOOD[:0], ValueError, r"0 sample\(s\)"),
    ("no features", VIANNClassifier, X_GOOD[:, :0], Y_GOOD, ValueError, r"0 feature\(s\)"),
    (
        "strings in X",
        VIANNClassifier,
        _with(X_GOOD, 0, 0, "tall"),
        Y_GOOD,
        ValueError,
        "could not convert string to float",
    ),
    (
        "objects in X",
        VIANNClassifier,
        _with(X_GOOD, 0, 0, {"a": 1}),
        Y_GOOD,
        TypeError,
        "must be a string or a (real )?number",
    ),
    ("mismatched lengths", VIANNClassifier, X_GOOD, Y_GOOD[:-1], ValueError, "inconsistent numbers of samples"),
    (
        "NaN in sparse X",
        VIANNClassifier,
        scipy.sparse.csr_matrix(_with(X_GOOD, 3, 1, np.nan)),
        Y_GOOD,
        ValueError,
        "Input X contains NaN",
    ),
    (
        "inf in sparse X",
        VIANNRegressor,
        scipy.sparse.csc_matrix(_with(X_GOOD, 3, 1, np.inf)),
        X_GOOD[:, 0],
        ValueError,
        "Input X contains infinity",
    ),
    ("regression target for a classifier", VIANNClassifier, X_GOOD, X_GOOD[:, 0], ValueError, "Unknown label type"),
    (
        "several labels of several classes",
        VIANNClassifier,
        X_GOOD,
        np.column_stack([Y_GOOD, 2 * Y_GOOD]),
        ValueError,
        "multilabel-indicator targets; got multiclass-multioutput",
    ),
    (
        "negative counts for a Poisson loss",
        VIANNRegressor(loss="poisson"),
        X_GOOD,
        X_GOOD[:, 0],
        ValueError,
        "negative which is not allowed for Poisson",
    ),
    (
        "strings as regression targets",
        VIANNRegressor,
        X_GOOD,
        np.array(["a"] * 60),
        ValueError,
        "could not convert string to float",
    ),
]


@pytest.mark.parametrize("case, Estimator, X, y, error, message", ERRORS, ids=[case[0] for case in ERRORS])
def test_bad_input_is_a_clear_error(case, Estimator, X, y, error, message):
    estimator = Estimator.set_params(**FAST) if isinstance(Estimator, BaseEstimator) else Estimator(**FAST)
    with pytest.raises(error, match=message):
        estimator.fit(X, y)
    assert not hasattr(estimator, "net_")  # nothing left looking fitted


SAMPLE_WEIGHT_ERRORS = [
    ("negative", -np.ones(60), ValueError, "Negative values in data passed to `sample_weight`"),
    ("NaN", np.where(Y_GOOD == 1, np.nan, 1.0), ValueError, "Input sample_weight contains NaN"),
    ("wrong length", np.ones(59), ValueError, r"sample_weight.shape == \(59,\), expected \(60,\)"),
    ("all zero", np.zeros(60), ValueError, "at least one non-zero"),
    ("sparse", scipy.sparse.csr_matrix(np.ones((60, 1))), TypeError, "sample_weight must be a dense array"),
]


@pytest.mark.parametrize("Estimator", [VIANNClassifier, VIANNRegressor])
@pytest.mark.parametrize(
    "case, sample_weight, error, message", SAMPLE_WEIGHT_ERRORS, ids=[case[0] for case in SAMPLE_WEIGHT_ERRORS]
)
def test_bad_sample_weight_is_a_clear_error(Estimator, case, sample_weight, error, message):
    estimator = Estimator(**FAST)
    with pytest.raises(error, match=message):
        estimator.fit(X_GOOD, Y_GOOD, sample_weight=sample_weight)
    assert not hasattr(estimator, "net_")
    with pytest.raises(error, match=message):
        estimator.partial_fit(
            X_GOOD, Y_GOOD, sample_weight=sample_weight, **({"classes": [0, 1]} if Estimator is VIANNClassifier else {})
        )


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes="wide"), "hidden_layer_sizes"),
        (dict(activation="gelu"), "activation"),
        (dict(solver="newton"), "solver"),
        (dict(learning_rate="cosine"), "learning_rate"),
        (dict(power_t=-1.0), "power_t"),
        (dict(max_fun=0), "max_fun"),
        (dict(alpha=-1.0), "alpha"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size="big"), "batch_size"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(max_iter=0), "max_iter"),
        (dict(max_iter=2.5), "max_iter"),
        (dict(shuffle="yes"), "shuffle"),
        (dict(random_state="seed"), "random_state"),
        (dict(tol=-1.0), "tol"),
        (dict(momentum=1.5), "momentum"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(beta_1=1.0), "beta_1"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(n_iter_no_change=0), "n_iter_no_change"),
        (dict(weight_init=-0.1), "weight_init"),
        (dict(importance_on="always"), "importance_on"),
        (dict(device=0), "device"),
    ],
)
def test_invalid_parameters_name_the_parameter(params, message):
    with pytest.raises(InvalidParameterError, match=f"'{message}' parameter"):
        VIANNClassifier(**dict(FAST, **params)).fit(X_GOOD, Y_GOOD)


def test_wrong_number_of_features_at_predict():
    model = VIANNClassifier(**FAST).fit(X_GOOD, Y_GOOD)
    with pytest.raises(ValueError, match="X has 3 features, but VIANNClassifier is expecting 4"):
        model.predict(X_GOOD[:, :3])


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        VIANNRegressor().predict(X_GOOD)


def test_constant_columns_get_zero_importance_and_rank_last():
    X = X_GOOD.copy()
    X[:, 2] = 0.0
    X[:, 3] = 7.5
    importances = VIANNClassifier(**FAST).fit(X, Y_GOOD).feature_importances_
    assert np.all(np.isfinite(importances))
    np.testing.assert_array_equal(importances[2:], [0.0, 0.0])
    assert importances.sum() == pytest.approx(1.0)


def test_a_column_constant_in_one_chunk_only_is_not_constant():
    X = X_GOOD.copy()
    X[:30, 1] = 1.0  # constant in the first chunk, not in the second
    model = VIANNClassifier(**FAST)
    model.partial_fit(X[:30], Y_GOOD[:30], classes=[0, 1])
    assert model.feature_importances_[1] == 0.0
    model.partial_fit(X[30:], Y_GOOD[30:])
    assert model.feature_importances_[1] > 0.0


def test_huge_magnitudes_give_a_correct_result():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4)) * 1e30
    y = (X[:, 0] > 0).astype(int)
    model = VIANNClassifier(**dict(FAST, max_iter=20, batch_size=20)).fit(X, y)
    assert np.all(np.isfinite(model.feature_importances_))
    assert model.score(X, y) > 0.8
    assert np.argmax(model.feature_importances_) == 0


def test_single_sample_regression_fits():
    model = VIANNRegressor(**FAST).fit(X_GOOD[:1], [3.0])
    assert np.all(np.isfinite(model.feature_importances_))
    assert model.predict(X_GOOD[:2]).shape == (2,)


def test_max_iter_one_gives_finite_importances():
    model = VIANNClassifier(**dict(FAST, max_iter=1)).fit(X_GOOD, Y_GOOD)
    assert model.variance_importance_.n_samples_ == 2
    assert np.all(np.isfinite(model.feature_importances_))


@pytest.mark.parametrize("solver, dtype", [("sgd", np.float64), ("adam", np.float32)])
def test_diverging_training_is_an_error_not_nan(solver, dtype):
    # Adam's normalised steps keep float64 finite even at lr 1e12; float32 overflows.
    X, y = _data(200)
    with pytest.raises(ValueError, match="Training diverged.*(learning_rate_init|learning rate)"):
        VIANNRegressor(**dict(FAST, solver=solver, learning_rate_init=1e12, max_iter=20)).fit(
            (X * 1e6).astype(dtype), y * 1e12
        )


def test_interrupt_after_some_epochs_keeps_the_epochs_that_ran():
    # Forward call 7 is in epoch 3 of 60 rows at batch 20: two epochs completed.
    with ctrl_c_on_forward_call(7), pytest.warns(UserWarning, match="interrupted after 2 of 5 epochs"):
        model = VIANNClassifier(**dict(FAST, batch_size=20)).fit(X_GOOD, Y_GOOD)
    assert model.n_iter_ == 2
    assert np.all(np.isfinite(model.feature_importances_))
    model.partial_fit(X_GOOD, Y_GOOD)  # still usable
    assert model.n_iter_ == 3


def test_unknown_loss_is_named():
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        VIANNRegressor(**dict(FAST, loss="huber")).fit(X_GOOD, X_GOOD[:, 0])


def test_float32_column_of_subnormals_trains_as_a_constant_column():
    # Its spread (about 6e-46) rounds to 0 in float32: standardising by it
    # divided by zero and the loss became NaN (found by hypothesis).
    X = np.array([[0.0, 1.0], [1e-45, 2.0], [1e-45, 3.0], [1e-45, 4.0]], dtype=np.float32)
    model = VIANNRegressor(hidden_layer_sizes=(2,), max_iter=3, random_state=0)
    with pytest.warns(UserWarning):
        model.fit(X, np.arange(4.0))
    assert np.isfinite(model.predict(X)).all()
    assert np.isfinite(model.feature_importances_).all()

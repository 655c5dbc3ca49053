"""What an MLPClassifier/MLPRegressor user passes and reads works the same here.

Sparse X, sample_weight, solver="lbfgs" with max_fun, learning_rate schedules,
loss="poisson", multilabel targets, fitted attributes, verbose lines.
benchmarks/sklearn_mlp_conformance.py runs scikit-learn's own MLP tests.
"""

import numpy as np
import pytest
import scipy.sparse
import torch
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from viann_sklearn import VIANNClassifier, VIANNRegressor

FAST = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=0, early_stopping=False)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    X[rng.random(X.shape) < 0.6] = 0.0  # mostly zeros, as one-hot and TF-IDF columns are
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("sparse_format", [scipy.sparse.csr_matrix, scipy.sparse.csc_array])
def test_sparse_fit_equals_the_dense_fit(data, sparse_format):
    X, y = data
    dense = VIANNClassifier(**FAST, standardize=False).fit(X, y)
    sparse = VIANNClassifier(**FAST, standardize=False).fit(sparse_format(X), y)
    np.testing.assert_allclose(sparse.predict_proba(sparse_format(X)), dense.predict_proba(X), rtol=1e-10)
    np.testing.assert_allclose(sparse.feature_importances_, dense.feature_importances_, rtol=1e-8)


# float32 for the minibatch solver, the benchmark's case; L-BFGS's line search
# amplifies float32 rounding over iterations, so it is compared in float64.
@pytest.mark.parametrize(("solver", "dtype", "rtol"), [("sgd", np.float32, 1e-5), ("lbfgs", np.float64, 1e-8)])
def test_sparse_fit_equals_the_dense_fit_on_scaled_columns(data, solver, dtype, rtol):
    # Sparse standardisation only scales; the dense fit of the scaled columns,
    # without standardisation, is the same network up to rounding.
    X, y = data
    X = X.astype(dtype)
    params = dict(FAST, solver=solver)
    sparse = VIANNClassifier(**params).fit(scipy.sparse.csr_matrix(X), y)
    scale = X.std(axis=0, dtype=np.float64)
    dense = VIANNClassifier(**params, standardize=False).fit((X / scale).astype(dtype), y)
    # coefs_ apply to X as given: the sparse fit's scaling is folded into them.
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0] / scale[:, None], rtol=rtol, atol=rtol / 10)
    np.testing.assert_allclose(sparse.feature_importances_, dense.feature_importances_, rtol=rtol)


def test_sparse_rows_are_never_densified(data, monkeypatch):
    # A TF-IDF matrix densified is gigabytes: fit (with its validation split),
    # predict and score work on the stored values only.
    X, y = data
    densified = []

    def refuse(name):
        def densify(self, *args, **kwargs):
            densified.append(name)
            raise AssertionError(f"{name} densified sparse rows")

        return densify

    for name in ("toarray", "todense"):
        monkeypatch.setattr(scipy.sparse.csr_matrix, name, refuse(name))
    monkeypatch.setattr(torch.Tensor, "to_dense", refuse("Tensor.to_dense"))
    X_sparse = scipy.sparse.csr_matrix(X)
    for params in (dict(FAST, batch_size=32, early_stopping=True), dict(FAST, solver="lbfgs")):
        clf = VIANNClassifier(**params).fit(X_sparse, y)
        np.testing.assert_allclose(clf.predict_proba(X_sparse), clf.predict_proba(X), rtol=1e-12)
        assert clf.score(X_sparse, y) == clf.score(X, y)
    assert densified == []


def test_sparse_rows_predict_like_dense_ones_on_a_net_fit_on_dense_data(data):
    # Fit on dense data, the net centres its inputs: sparse rows must be centred too.
    X, y = data
    clf = VIANNClassifier(**FAST).fit(X, y)
    assert clf.net_.module_.input_shift.abs().max() > 0
    np.testing.assert_allclose(clf.predict_proba(scipy.sparse.csr_matrix(X)), clf.predict_proba(X), rtol=1e-12)


def test_sparse_standardization_scales_without_centring(data):
    X, y = data
    clf = VIANNClassifier(**FAST).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(clf.net_.module_.input_shift.numpy(), 0.0)
    np.testing.assert_allclose(clf.net_.module_.input_scale.numpy(), X.std(axis=0), rtol=1e-10)


def test_zero_sample_weight_equals_leaving_the_rows_out(data):
    X, y = data
    kept = np.arange(len(X)) % 3 != 0
    params = dict(FAST, solver="lbfgs", standardize=False, max_iter=30)
    weighted = VIANNClassifier(**params).fit(X, y, sample_weight=kept.astype(float))
    dropped = VIANNClassifier(**params).fit(X[kept], y[kept])
    np.testing.assert_allclose(weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(weighted.feature_importances_, dropped.feature_importances_, rtol=1e-6)


@pytest.mark.parametrize("Estimator", [VIANNClassifier, VIANNRegressor])
def test_unit_sample_weights_change_nothing(data, Estimator):
    X, y = data
    plain = Estimator(**FAST).fit(X, y)
    weighted = Estimator(**FAST).fit(X, y, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(weighted.coefs_[0], plain.coefs_[0])
    extra = {"classes": [0, 1]} if Estimator is VIANNClassifier else {}
    Estimator(**FAST).partial_fit(X, y, sample_weight=np.ones(len(X)), **extra)


def test_sample_weight_moves_the_model_towards_the_heavy_rows(data):
    X, y = data
    weights = np.where(y == 1, 10.0, 0.1)
    clf = VIANNClassifier(**FAST).fit(X, y, sample_weight=weights)
    plain = VIANNClassifier(**FAST).fit(X, y)
    assert clf.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


def test_lbfgs_tracks_every_iteration_and_stops_at_max_fun(data):
    X, y = data
    clf = VIANNClassifier(**dict(FAST, solver="lbfgs", max_iter=200, tol=0.0, max_fun=12))
    with pytest.warns(ConvergenceWarning, match="max_fun=12"):
        clf.fit(X, y)
    assert 1 <= clf.n_iter_ <= 12
    assert clf.variance_importance_.n_samples_ == clf.n_iter_ + 1  # the start, then every iteration
    assert len(clf.loss_curve_) == clf.n_iter_
    assert not hasattr(clf, "partial_fit")
    assert clf.score(X, y) > 0.8


def test_lbfgs_reaches_a_poisson_glm_optimum():
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, 100).reshape(-1, 1)
    y = rng.poisson(np.exp(X.ravel() + 1))
    glm = PoissonRegressor(alpha=0, tol=1e-8).fit(X, y)
    mlp = VIANNRegressor(
        loss="poisson",
        hidden_layer_sizes=(1,),
        activation="identity",
        alpha=0,
        solver="lbfgs",
        tol=1e-8,
        max_iter=500,
        weight_init="glorot_uniform",
        random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
    assert mlp.out_activation_ == "exp"


def test_invscaling_and_adaptive_learning_rates(data):
    X, y = data
    clf = VIANNClassifier(**dict(FAST, max_iter=2, learning_rate="invscaling", power_t=0.25)).fit(X, y)
    expected = clf.learning_rate_init / (2 * len(X) + 1) ** 0.25
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(expected)
    adaptive = VIANNClassifier(**dict(FAST, max_iter=3000, learning_rate="adaptive", tol=10.0)).fit(X, y)
    assert adaptive.n_iter_ < 3000  # stopped once the rate fell below 1e-6
    assert adaptive.net_.optimizer_.param_groups[0]["lr"] < 1e-6


def test_multilabel_targets_get_one_logistic_output_per_label():
    X, Y = make_multilabel_classification(n_samples=80, n_classes=4, random_state=0)
    clf = VIANNClassifier(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=100, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 4) and not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.8 and clf.out_activation_ == "logistic"


def test_fitted_attributes_as_mlpclassifier_names_them(data):
    X, y = data
    clf = VIANNClassifier(**dict(FAST, hidden_layer_sizes=(5, 3))).fit(X, y)
    # Two classes: one logistic output, as MLPClassifier has (the network trains two softmax ones).
    assert (clf.n_layers_, clf.n_outputs_, clf.out_activation_) == (4, 1, "logistic")
    assert [coef.shape for coef in clf.coefs_] == [(6, 5), (5, 3), (3, 1)]
    three = VIANNClassifier(**FAST).fit(X, np.arange(len(X)) % 3)
    assert (three.n_outputs_, three.out_activation_, three.coefs_[-1].shape) == (3, "softmax", (8, 3))
    assert clf.t_ == clf.n_iter_ * len(X) and clf.best_loss_ == min(clf.loss_curve_)
    reg = VIANNRegressor(**FAST).fit(X.astype(np.float32), y)
    assert (reg.n_outputs_, reg.out_activation_) == (1, "identity")
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


def _mlp_from_fitted_attributes(fitted):
    """scikit-learn's own estimator, given only our public fitted attributes (no training)."""
    mlp = (MLPClassifier if hasattr(fitted, "classes_") else MLPRegressor)(activation=fitted.activation)
    for name in ("coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "classes_"):
        if hasattr(fitted, name):
            setattr(mlp, name, getattr(fitted, name))
    return mlp


@pytest.mark.parametrize(
    "case", ["binary", "multiclass", "multilabel", "regression", "two targets", "poisson", "sparse", "float32", "raw"]
)
def test_mlpclassifiers_forward_pass_on_our_attributes_gives_our_predictions(data, case):
    # coefs_ and intercepts_ mean what they mean in scikit-learn: its forward pass on X as
    # given reproduces ours, with the input (and target) standardisation folded in.
    X, y = data
    X = X * np.array([1.0, 1e3, 1e-2, 5.0, 1.0, 0.1]) + np.array([0.0, 50.0, -3.0, 0.0, 1.0, 0.0])
    params = dict(FAST, hidden_layer_sizes=(7, 4), activation="tanh")
    if case == "raw":
        params["standardize"] = False
    classifier = case in ("binary", "multiclass", "multilabel", "sparse", "float32", "raw")
    if case == "multiclass":
        y = np.digitize(X[:, 0], [-0.3, 0.3])
    elif case == "multilabel":
        y = np.column_stack([y, X[:, 2] > -3.0, X[:, 3] < 0])
    elif case == "regression":
        y = 100.0 + 30.0 * X[:, 0] - X[:, 1] / 500.0
    elif case == "two targets":
        y = np.column_stack([X[:, 0] * 1e3, X[:, 3] - 7.0])
    elif case == "poisson":
        y = np.random.default_rng(0).poisson(np.exp(0.5 * X[:, 0]))
        params["loss"] = "poisson"
    elif case == "sparse":
        X = scipy.sparse.csr_matrix(X)
    elif case == "float32":
        X = X.astype(np.float32)
    ours = (VIANNClassifier if classifier else VIANNRegressor)(**params).fit(X, y)
    theirs = _mlp_from_fitted_attributes(ours)
    assert all(coef.dtype == X.dtype for coef in ours.coefs_ + ours.intercepts_)
    rtol = 1e-4 if case == "float32" else 1e-9
    if classifier:
        np.testing.assert_allclose(theirs.predict_proba(X), ours.predict_proba(X), rtol=rtol, atol=rtol / 10)
    else:
        np.testing.assert_allclose(theirs.predict(X), ours.predict(X), rtol=rtol)


def test_verbose_prints_mlpclassifier_lines(data, capsys):
    X, y = data
    VIANNClassifier(**dict(FAST, max_iter=2, verbose=True)).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Iteration 2, loss = ")


def test_partial_fit_needs_classes_first_and_the_same_classes_after(data):
    X, y = data
    clf = VIANNClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[1, 2])

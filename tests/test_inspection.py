"""Importances per original column, and their spread over folds or seeds."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from viann_sklearn import VIANNClassifier, VIANNRegressor, grouped_importances, importance_uncertainty

FAST = dict(hidden_layer_sizes=(8,), learning_rate_init=0.1, max_iter=20, random_state=0)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def mixed_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=240),
            "color": rng.choice(["red", "blue", "green"], 240),
            "color_red": rng.normal(size=240),  # a numeric column whose name looks like a one-hot output
            "noise": rng.normal(size=240),
        }
    )
    y = ((frame["color"] == "red") ^ (frame["size"] > 0)).astype(int)
    return frame, y


def _pipeline(estimator=None):
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "color_red", "noise"]),
            ("cat", OneHotEncoder(), ["color"]),
        ]
    )
    return make_pipeline(encode, estimator or VIANNClassifier(**FAST))


def test_one_hot_parts_are_summed_into_their_column(mixed_frame):
    X, y = mixed_frame
    model = _pipeline().fit(X, y)
    grouped = grouped_importances(model)
    assert list(grouped.feature_names) == ["size", "color", "color_red", "noise"]
    assert grouped.sources["color"] == ["color_blue", "color_green", "color_red"]
    assert grouped.sources["color_red"] == ["color_red"]  # the numeric column, not a category
    expanded = model[-1].feature_importances_
    np.testing.assert_allclose(grouped.importances[1], expanded[3:].sum())
    np.testing.assert_allclose(grouped.importances.sum(), 1.0)
    assert set(np.argsort(-grouped.importances)[:2]) == {0, 1}


def test_grouping_without_a_column_transformer_and_with_a_selector(mixed_frame):
    X, y = mixed_frame
    numeric = X[["size", "noise"]]
    plain = make_pipeline(StandardScaler(), VIANNRegressor(**FAST)).fit(numeric, numeric["size"] * 2)
    np.testing.assert_allclose(grouped_importances(plain).importances, plain[-1].feature_importances_)
    selected = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(), make_column_selector(dtype_exclude="number"))], remainder="drop"),
        VIANNClassifier(**FAST),
    ).fit(X, y)
    assert list(grouped_importances(selected).feature_names) == ["color"]


def test_grouping_rejects_what_it_cannot_map(mixed_frame):
    X, y = mixed_frame
    with pytest.raises(InvalidParameterError, match="'model' parameter of grouped_importances.*Pipeline"):
        grouped_importances(VIANNClassifier(**FAST).fit(X[["size"]], y))
    with pytest.raises(ValueError, match="importances were given"):
        grouped_importances(_pipeline().fit(X, y), importances=[0.5, 0.5])


@pytest.mark.parametrize("runs", [dict(n_repeats=3), dict(cv=3)])
def test_uncertainty_bunch_shapes(mixed_frame, runs):
    X, y = mixed_frame
    result = importance_uncertainty(_pipeline(), X, y, grouped=True, random_state=0, **runs)
    assert result.importances.shape == (4, 3)
    assert result.importances_mean.shape == result.importances_std.shape == (4,)
    np.testing.assert_allclose(result.importances.sum(axis=0), 1.0)
    assert np.all(result.importances_std > 0)  # different seeds or folds, different runs
    assert list(result.feature_names) == ["size", "color", "color_red", "noise"]


def test_uncertainty_returns_each_runs_history_per_column(mixed_frame):
    X, y = mixed_frame
    result = importance_uncertainty(_pipeline(), X, y, cv=3, grouped=True, return_history=True, random_state=0)
    assert len(result.histories) == 3
    for run, history in enumerate(result.histories):
        assert history.ndim == 2 and history.shape[1] == 4  # epochs x original columns
        np.testing.assert_allclose(history.sum(axis=1), 1.0)
        # the history ends where the kept network ends: its last epoch is the ranking of that fold
        np.testing.assert_allclose(history[-1], result.importances[:, run])
    plain = importance_uncertainty(VIANNClassifier(**FAST), X[["size", "noise"]], y, n_repeats=2, return_history=True)
    assert [history.shape[1] for history in plain.histories] == [2, 2]
    assert "histories" not in importance_uncertainty(VIANNClassifier(**FAST), X[["size"]], y, n_repeats=2)


def test_uncertainty_in_parallel_matches_serial(mixed_frame):
    X, y = mixed_frame
    serial = importance_uncertainty(VIANNClassifier(**FAST), X[["size", "noise"]], y, n_repeats=2, random_state=1)
    parallel = importance_uncertainty(
        VIANNClassifier(**FAST), X[["size", "noise"]], y, n_repeats=2, random_state=1, n_jobs=2
    )
    np.testing.assert_array_equal(serial.importances, parallel.importances)
    assert list(serial.feature_names) == ["size", "noise"]


def test_uncertainty_options_are_checked(mixed_frame):
    X, y = mixed_frame
    with pytest.raises(ValueError, match="not both"):
        importance_uncertainty(VIANNClassifier(**FAST), X[["size"]], y, cv=3, n_repeats=3)
    with pytest.raises(TypeError, match="grouped=True sums per original column of a Pipeline"):
        importance_uncertainty(VIANNClassifier(**FAST), X[["size"]], y, n_repeats=2, grouped=True)


@pytest.mark.parametrize(
    "options, parameter",
    [
        (dict(n_repeats=0), "n_repeats"),
        (dict(n_repeats=2.5), "n_repeats"),
        (dict(cv=1), "cv"),
        (dict(grouped="yes"), "grouped"),
        (dict(return_history="yes"), "return_history"),
        (dict(random_state="seed"), "random_state"),
        (dict(n_jobs="all"), "n_jobs"),
    ],
)
def test_uncertainty_refuses_bad_options_by_name(mixed_frame, options, parameter):
    X, y = mixed_frame
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of importance_uncertainty"):
        importance_uncertainty(VIANNClassifier(**FAST), X[["size"]], y, **options)


def test_uncertainty_leaves_the_estimator_checks_on(mixed_frame):
    # The estimator's own parameter checks still run (no nested skipping) and keep its name.
    X, y = mixed_frame
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter of VIANNClassifier"):
        importance_uncertainty(VIANNClassifier(**dict(FAST, max_iter=0)), X[["size"]], y, n_repeats=2)

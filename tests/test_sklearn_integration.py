"""The estimators inside scikit-learn's pipelines, selectors and model selection."""

import numpy as np
import pytest
from sklearn.feature_selection import RFE, RFECV, SelectFromModel
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from viann_sklearn import VIANNClassifier, VIANNRegressor

FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=0.1, max_iter=30, random_state=0)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def data():
    """Features 0 and 1 decide the class, in very different units; 2-7 are noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 8))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X[:, 1] *= 1000.0  # a column in millimetres: the scaler in the pipeline handles it
    return X, y


def test_pipeline_with_scaler(data):
    X, y = data
    pipeline = make_pipeline(StandardScaler(), VIANNClassifier(**FAST)).fit(X, y)
    assert pipeline.score(X, y) > 0.9
    assert set(np.argsort(pipeline[-1].feature_importances_)[-2:]) == {0, 1}


def test_select_from_model_keeps_the_informative_features(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    selector = SelectFromModel(VIANNClassifier(**FAST), threshold="mean").fit(X, y)
    support = selector.get_support()
    assert support[0] and support[1]
    assert support.sum() <= 4
    assert selector.transform(X).shape == (240, support.sum())


def test_rfe_finds_the_informative_pair(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    rfe = RFE(VIANNClassifier(**FAST), n_features_to_select=2).fit(X, y)
    assert set(np.flatnonzero(rfe.support_)) == {0, 1}


def test_rfecv_keeps_the_informative_features(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    rfecv = RFECV(VIANNClassifier(**FAST), step=2, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    assert rfecv.support_[0] and rfecv.support_[1]
    assert rfecv.n_features_ < 8


def test_cross_val_score_in_parallel_processes(data):
    X, y = data
    pipeline = make_pipeline(StandardScaler(), VIANNClassifier(**FAST))
    scores = cross_val_score(pipeline, X, y, cv=4, n_jobs=2)
    assert scores.shape == (4,)
    assert scores.mean() > 0.85


def test_grid_search_refits_the_best_and_exposes_importances(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    search = GridSearchCV(
        VIANNClassifier(**FAST),
        {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(8,), (16,)]},
        cv=3,
    ).fit(X, y)
    assert search.best_score_ > 0.85
    assert search.best_estimator_.feature_importances_.shape == (8,)


def test_regressor_in_pipeline_with_selection():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 6))
    y = X[:, 4] ** 2 + X[:, 2]
    model = make_pipeline(
        StandardScaler(),
        # VIANN scores are concentrated (variance times size, roughly cubic in
        # the weights): here X4 gets 0.93 and X2 0.07, so "mean" would drop X2.
        SelectFromModel(VIANNRegressor(**FAST), threshold="0.1*mean"),
        VIANNRegressor(**dict(FAST, max_iter=100)),
    ).fit(X, y)
    assert set(np.flatnonzero(model[1].get_support())) == {2, 4}
    assert model.score(X, y) > 0.8

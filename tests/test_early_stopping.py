"""Early stopping's validation score: the R² computed once per target side equals scikit-learn's to the last bit."""

import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import r2_score

from viann_sklearn import VIANNRegressor
from viann_sklearn.estimators.early_stopping import ValidationR2


def _targets(rng, dtype, n_outputs, constant_first):
    y = rng.normal(size=(40, n_outputs)) * 10 ** rng.uniform(-3, 3)
    if dtype == np.int64:
        y = np.round(y)
    y = y.astype(dtype)
    if constant_first:
        y[:, 0] = y[0, 0]
    return y.ravel() if n_outputs == 1 else y


@pytest.mark.parametrize("target_dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("prediction_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight_dtype", [None, np.float64, np.float32])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_equals_sklearns_r2_score_to_the_last_bit(target_dtype, prediction_dtype, weight_dtype, n_outputs):
    rng = np.random.default_rng([n_outputs, np.dtype(target_dtype).num, np.dtype(prediction_dtype).num])
    for constant_first in (False, True):
        y = _targets(rng, target_dtype, n_outputs, constant_first)
        weights = None if weight_dtype is None else rng.uniform(0, 3, size=len(y)).astype(weight_dtype)
        score = ValidationR2(y, weights)
        columns = y.reshape(len(y), -1).astype(np.float64)
        for noise in (0.0, 0.1, 1.0, 5.0):  # 0: a perfect fit, which force_finite scores 1
            predictions = (columns + noise * rng.normal(size=columns.shape)).astype(prediction_dtype)
            assert score(predictions) == r2_score(y, predictions, sample_weight=weights)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_every_epoch_of_a_fit_scores_what_r2_score_gives(loss, monkeypatch):
    calls = []
    fast_call = ValidationR2.__call__

    def checked_call(self, y_pred):
        fast = fast_call(self, y_pred)
        calls.append((fast, float(r2_score(self._y_true, y_pred, sample_weight=self._sample_weight))))
        return fast

    monkeypatch.setattr(ValidationR2, "__call__", checked_call)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 5))
    y = np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1] ** 2) + rng.uniform(size=300)
    weights = rng.uniform(0.5, 2, size=300)
    regressor = VIANNRegressor(hidden_layer_sizes=(16,), max_iter=15, early_stopping=True, loss=loss, random_state=0)
    regressor.fit(X, y, sample_weight=weights)
    assert len(calls) == regressor.n_iter_ == len(regressor.validation_scores_)
    assert [fast for fast, _ in calls] == [reference for _, reference in calls] == regressor.validation_scores_


def test_where_r2_score_warns_or_raises_it_still_does():
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(ValidationR2(np.array([1.0]))(np.array([1.0])))
    with pytest.raises(ValueError, match="at least one non-zero"):
        ValidationR2(np.array([1.0, 2.0, 3.0]), np.zeros(3))(np.array([1.0, 2.0, 2.0]))

"""Property-based tests: the estimators' contracts over random shapes, dtypes, labels and parameters."""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viann_sklearn import VIANNClassifier, VIANNRegressor

# Each example trains a network, so the examples are few and the deadline off.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LABELS = {
    "int": np.array([3, -1, 7]),
    "str": np.array(["cat", "dog", "emu"]),
    "bool": np.array([False, True]),
}


@st.composite
def datasets(draw):
    n_samples = draw(st.integers(4, 30))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    elements = st.integers(-10, 10) if dtype is np.int64 else st.floats(-10, 10, width=32)
    X = draw(arrays(dtype, (n_samples, n_features), elements=elements))
    return X


@st.composite
def parameters(draw):
    return dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(1, 8), min_size=1, max_size=2))),
        activation=draw(st.sampled_from(["identity", "logistic", "tanh", "relu"])),
        solver=draw(st.sampled_from(["adam", "sgd"])),
        batch_size=draw(st.one_of(st.just("auto"), st.integers(1, 16))),
        max_iter=draw(st.integers(1, 3)),
        importance_on=draw(st.sampled_from(["epoch", "batch"])),
        weight_init=draw(st.sampled_from(["glorot_uniform", 0.05])),
        random_state=draw(st.integers(0, 2**16)),
    )


def _check_importances(model, n_features):
    importances = model.feature_importances_
    assert importances.shape == (n_features,)
    assert np.all(np.isfinite(importances))
    assert np.all(importances >= 0)
    np.testing.assert_allclose(importances.sum(), 1.0, rtol=1e-9)


@SETTINGS
@given(X=datasets(), params=parameters(), label_kind=st.sampled_from(sorted(LABELS)), data=st.data())
def test_classifier_contracts(X, params, label_kind, data):
    classes = LABELS[label_kind][: data.draw(st.integers(2, len(LABELS[label_kind])))]
    n_classes = len(classes)
    # Every class present at least once (there are at least 4 rows), the rest at random.
    rest = data.draw(
        st.lists(st.sampled_from(classes.tolist()), min_size=len(X) - n_classes, max_size=len(X) - n_classes)
    )
    y = np.concatenate([classes, np.array(rest, dtype=classes.dtype)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, batch-size clipping
        model = VIANNClassifier(**params).fit(X, y)
    predictions = model.predict(X)
    assert predictions.shape == (len(X),)
    assert set(predictions.tolist()) <= set(model.classes_.tolist())
    assert sorted(model.classes_.tolist()) == sorted(classes.tolist())
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    _check_importances(model, X.shape[1])


@SETTINGS
@given(X=datasets(), params=parameters(), n_outputs=st.integers(1, 3), data=st.data())
def test_regressor_contracts(X, params, n_outputs, data):
    y = data.draw(arrays(np.float64, (len(X), n_outputs), elements=st.floats(-10, 10)))
    if n_outputs == 1:
        y = y.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = VIANNRegressor(**params).fit(X, y)
    predictions = model.predict(X)
    assert predictions.shape == y.shape
    assert np.all(np.isfinite(predictions))
    _check_importances(model, X.shape[1])

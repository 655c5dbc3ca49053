"""A fixed set of fits whose numbers must not change when code only moves.

``tests/test_unchanged_numbers.py`` compares them with ``tests/fixtures/fixed_fits.npz``,
recorded by ``python tests/_fixed_fits.py`` before the package was split into layers.
Only public names are used, so the same code runs on both sides of a move.
Everything trains on one thread: a second thread may sum a matrix product in
another order, and that is not what these numbers pin.
"""

import contextlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

FIXTURE = Path(__file__).parent / "fixtures" / "fixed_fits.npz"


@contextlib.contextmanager
def _one_quiet_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # few epochs on purpose
            yield
    finally:
        torch.set_num_threads(threads)


def _classification(n=240, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] - 0.8 * X[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _regression(n=240, d=5, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, 2 * X[:, 1] - X[:, 3] + 0.1 * rng.normal(size=n)


def _estimator_numbers(name, estimator, X, with_proba=False):
    numbers = {
        f"{name}.importances": estimator.feature_importances_,
        f"{name}.history": estimator.variance_importance_.importances_history_,
        f"{name}.n_iter": np.asarray(estimator.n_iter_),
        f"{name}.loss_curve": np.asarray(estimator.loss_curve_),
        f"{name}.predict": np.asarray(estimator.predict(X), dtype=float),
    }
    if with_proba:
        numbers[f"{name}.proba"] = estimator.predict_proba(X)
    return numbers


def fixed_fits():
    """name -> array for every fit of the set."""
    from viann_sklearn import (
        VarianceImportanceTorch,
        VIANNClassifier,
        VIANNRegressor,
        VIANNSelector,
        fit_stream,
    )

    numbers = {}
    with _one_quiet_thread():
        X, y = _classification()
        small = dict(hidden_layer_sizes=(12,), random_state=0)
        classifier = VIANNClassifier(**small, max_iter=40).fit(X, y)  # early_stopping="auto": a validation split
        numbers.update(_estimator_numbers("classifier", classifier, X, with_proba=True))
        adam = VIANNClassifier(**small, solver="adam", learning_rate_init=0.005, max_iter=15, early_stopping=False)
        adam.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(y)))
        numbers.update(_estimator_numbers("classifier_adam_weighted", adam, X, with_proba=True))
        incremental = VIANNClassifier(**small, learning_rate="invscaling")
        for _ in range(3):
            incremental.partial_fit(X, y, classes=[0, 1])
        numbers.update(_estimator_numbers("classifier_partial_fit", incremental, X))
        lbfgs = VIANNClassifier(**small, solver="lbfgs", max_iter=15).fit(X, y)
        numbers.update(_estimator_numbers("classifier_lbfgs", lbfgs, X, with_proba=True))
        sparse_X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
        sparse = VIANNClassifier(**small, max_iter=10, early_stopping=False).fit(sparse_X, y)
        numbers.update(_estimator_numbers("classifier_sparse", sparse, sparse_X))

        X, y = _regression()
        regressor = VIANNRegressor(hidden_layer_sizes=(10, 6), random_state=0, max_iter=30).fit(X, y)
        numbers.update(_estimator_numbers("regressor", regressor, X))
        float32 = VIANNRegressor(hidden_layer_sizes=(8,), random_state=3, max_iter=10, importance_on="batch")
        float32.fit(X.astype(np.float32), y)
        numbers.update(_estimator_numbers("regressor_float32_batch", float32, X.astype(np.float32)))
        chunks = [(X[start : start + 70], y[start : start + 70]) for start in range(0, len(X), 70)]
        streamed = fit_stream(VIANNRegressor(hidden_layer_sizes=(8,), random_state=0, max_iter=8), chunks)
        numbers.update(_estimator_numbers("regressor_streamed", streamed, X))

        X, y = _classification(n=200, d=8, seed=2)
        # control="per_feature", test="rank": the selector's default before FDR control (one fit, p <= alpha).
        selector = VIANNSelector(
            VIANNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
            control="per_feature",
            test="rank",
            # Each network fitted with the estimator's own fit, as when these numbers were recorded
            # (side by side, tests/test_side_by_side.py checks the networks against autograd's).
            fits_at_once=1,
            # The estimator's own early stopping at every size, as before epochs="auto" (on 200 rows
            # "auto" turns it off).
            epochs=None,
            # X's own dtype (float64), as before dtype="float32".
            dtype=None,
            random_state=0,
        ).fit(X, y)
        numbers["selector.importances"] = selector.feature_importances_
        numbers["selector.pvalues"] = selector.pvalues_
        numbers["selector.threshold"] = np.asarray(selector.threshold_)
        numbers["selector.support"] = selector.get_support().astype(float)

        numbers.update(_torch_tracker_numbers(VarianceImportanceTorch))
        numbers.update(_keras_numbers())
    return numbers


def _torch_tracker_numbers(VarianceImportanceTorch):
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(160, 5, generator=generator)
    y = (X[:, 0] + X[:, 4] > 0).long()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    tracker = VarianceImportanceTorch(model)
    tracker.on_train_begin()
    for _ in range(6):
        for batch in torch.split(torch.randperm(len(X), generator=generator), 32):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
        tracker.on_epoch_end()
    tracker.on_train_end()
    return {"torch_tracker.importances": tracker.feature_importances_, "torch_tracker.var_scores": tracker.var_scores}


def _keras_numbers():
    try:
        import keras
    except ImportError:
        return {}
    if keras.backend.backend() != "torch":
        return {}  # the fixture was recorded on Keras's torch backend
    from viann_sklearn.keras import VarianceImportanceKeras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 4)).astype("float32")
    y = (X[:, 1] > 0).astype("int64")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(True))
    viann = VarianceImportanceKeras()
    model.fit(X, y, epochs=4, batch_size=32, shuffle=False, verbose=0, callbacks=[viann])
    return {"keras.importances": viann.feature_importances_, "keras.var_scores": viann.var_scores}


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "torch")
    numbers = fixed_fits()
    FIXTURE.parent.mkdir(exist_ok=True)
    np.savez(FIXTURE, cpu_capability=np.asarray(torch.backends.cpu.get_cpu_capability()), **numbers)
    print(
        f"{len(numbers)} arrays from {len({key.split('.')[0] for key in numbers})} fits -> {FIXTURE}", file=sys.stderr
    )

"""fit_stream: a stream of chunks trains the network ``fit`` trains on all their rows at once."""

import pickle
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from viann_sklearn import VIANNClassifier, VIANNRegressor, dask_chunks, fit_stream, parquet_chunks
from viann_sklearn.training.batches import TrainingRows, batches_across_chunks

# Plain SGD epochs on every row in order: what a stream must reproduce.
IN_ORDER = dict(
    hidden_layer_sizes=(8,), max_iter=12, batch_size=20, shuffle=False, early_stopping=False, random_state=0
)
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.fixture(autouse=True)
def _few_epochs_on_purpose():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(dtype=np.float64, n_rows=200):
    """Columns of very different means and scales, rows sorted by the target.

    Sorted, every chunk's statistics differ from the whole data's: a stream
    that standardised with its first chunk's would not match ``fit``.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 5)) * [1.0, 10.0, 100.0, 0.1, 3.0] + [5.0, -20.0, 300.0, 0.0, 1.0]
    value = (X[:, 0] - 5.0) + (X[:, 1] + 20.0) / 10.0
    order = np.argsort(value)
    X, value = X[order].astype(dtype), value[order]
    labels = np.digitize(value, np.quantile(value, [1 / 3, 2 / 3]))
    return X, labels, 3.0 * value + 50.0


def _estimator_and_target(kind, dtype=np.float64, **params):
    X, labels, values = _data(dtype)
    if kind == "classifier":
        return VIANNClassifier(**{**IN_ORDER, **params}), X, labels, dict(classes=[0, 1, 2])
    return VIANNRegressor(**{**IN_ORDER, **params}), X, values, {}


def _chunks(arrays, bounds):
    return [tuple(array[start:end] for array in arrays) for start, end in zip(bounds[:-1], bounds[1:])]


def _assert_same_fit(streamed, fitted, dtype=np.float64):
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(streamed.feature_importances_, fitted.feature_importances_, rtol=rtol)
    for streamed_weights, fitted_weights in zip(streamed.coefs_, fitted.coefs_):
        np.testing.assert_allclose(streamed_weights, fitted_weights, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=rtol)
    assert (streamed.n_iter_, streamed.t_) == (fitted.n_iter_, fitted.t_)
    np.testing.assert_allclose(
        streamed.variance_importance_.importances_history_, fitted.variance_importance_.importances_history_, rtol=rtol
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("importance_on", ["epoch", "batch"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_stream_of_numpy_chunks_equals_fit_on_all_rows(kind, importance_on, dtype):
    estimator, X, y, extra = _estimator_and_target(kind, dtype, importance_on=importance_on)
    fitted = estimator.fit(X, y)
    chunks = _chunks((X, y), [0, 40, 100, 160, 200])  # multiples of batch_size=20
    streamed = fit_stream(estimator.__class__(**estimator.get_params()), chunks, **extra)
    _assert_same_fit(streamed, fitted, dtype)
    assert streamed.n_features_in_ == 5
    if kind == "classifier":
        np.testing.assert_array_equal(streamed.classes_, fitted.classes_)
        np.testing.assert_array_equal(streamed.predict(X), fitted.predict(X))
    else:
        np.testing.assert_allclose(streamed.predict(X), fitted.predict(X), rtol=TOLERANCE[dtype])


def test_chunks_of_any_size_give_the_same_batches_as_fit():
    """A batch spans a chunk boundary where a chunk ends mid-batch, so chunk sizes do not matter."""
    estimator, X, y, extra = _estimator_and_target("classifier")
    fitted = estimator.fit(X, y)
    chunks = _chunks((X, y), [0, 7, 8, 8, 51, 130, 200])  # an empty chunk too, skipped
    _assert_same_fit(fit_stream(VIANNClassifier(**IN_ORDER), chunks, **extra), fitted)


def test_sample_weights_as_third_element_equal_the_weighted_fit():
    estimator, X, y, _ = _estimator_and_target("regressor")
    weights = np.random.default_rng(1).uniform(0.0, 3.0, size=len(y))
    fitted = estimator.fit(X, y, sample_weight=weights)
    streamed = fit_stream(VIANNRegressor(**IN_ORDER), _chunks((X, y, weights), [0, 60, 120, 200]))
    _assert_same_fit(streamed, fitted)


def test_a_function_returning_fresh_iterators_is_a_stream():
    estimator, X, y, extra = _estimator_and_target("classifier")
    fitted = estimator.fit(X, y)

    def read():
        for start in range(0, len(X), 50):
            yield X[start : start + 50], y[start : start + 50]

    _assert_same_fit(fit_stream(VIANNClassifier(**IN_ORDER), read, **extra), fitted)


def test_convergence_rule_counts_passes_over_the_stream():
    # tol so large that no pass after the first improves (the first improves on no loss at all):
    # training stops once n_iter_no_change passes in a row did not, as fit does.
    estimator, X, y, extra = _estimator_and_target("classifier", tol=10.0, n_iter_no_change=2, max_iter=50)
    fitted = estimator.fit(X, y)
    streamed = fit_stream(VIANNClassifier(**estimator.get_params()), _chunks((X, y), [0, 100, 200]), **extra)
    assert streamed.n_iter_ == fitted.n_iter_ == 1 + 2 + 1
    _assert_same_fit(streamed, fitted)


def test_dask_arrays_stream_block_by_block_and_equal_fit():
    da = pytest.importorskip("dask.array", reason="dask[array] (stream extra) is not installed")
    estimator, X, y, extra = _estimator_and_target("classifier")
    fitted = estimator.fit(X, y)
    X_blocks, y_blocks = da.from_array(X, chunks=(60, 2)), da.from_array(y, chunks=45)
    assert [block.shape[0] for block, _ in dask_chunks(X_blocks, y_blocks)] == [60, 60, 60, 20]
    streamed = fit_stream(VIANNClassifier(**IN_ORDER), (X_blocks, y_blocks), **extra)
    _assert_same_fit(streamed, fitted)


def test_parquet_row_groups_stream_and_equal_fit(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow (stream extra) is not installed")
    parquet = pytest.importorskip("pyarrow.parquet")
    estimator, X, y, _ = _estimator_and_target("regressor", np.float32)
    fitted = estimator.fit(X, y)
    names = [f"x{column}" for column in range(X.shape[1])]
    for part, (start, end) in enumerate([(0, 80), (80, 200)]):
        table = pa.table({**{name: X[start:end, i] for i, name in enumerate(names)}, "target": y[start:end]})
        parquet.write_table(table, tmp_path / f"part-{part}.parquet", row_group_size=40)
    chunks = parquet_chunks(tmp_path, target="target")
    assert [chunk_X.shape for chunk_X, _ in chunks] == [(40, 5)] * 5
    assert next(iter(chunks))[0].dtype == np.float32
    streamed = fit_stream(VIANNRegressor(**IN_ORDER), chunks)
    _assert_same_fit(streamed, fitted, np.float32)


def test_parquet_file_with_other_columns_is_named(tmp_path):
    pa = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    parquet.write_table(pa.table({"a": [1.0, 2.0], "b": [0.0, 1.0], "y": [0, 1]}), tmp_path / "0.parquet")
    parquet.write_table(pa.table({"a": [1.0, 2.0], "y": [0, 1]}), tmp_path / "1.parquet")
    with pytest.raises(ValueError, match=r"1.parquet does not have the columns of the stream: missing \['b'\]"):
        fit_stream(VIANNClassifier(**IN_ORDER), parquet_chunks(tmp_path), classes=[0, 1])
    with pytest.raises(FileNotFoundError, match="No Parquet files"):
        parquet_chunks(tmp_path / "nowhere")


def test_missing_optional_reader_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"parquet_chunks needs pyarrow.*viann-sklearn\[stream\]"):
        parquet_chunks(".")


def test_shuffled_stream_is_reproducible_and_one_chunk_shuffles_as_fit():
    estimator, X, y, extra = _estimator_and_target("classifier", shuffle=True)
    chunks = _chunks((X, y), [0, 100, 200])
    first = fit_stream(VIANNClassifier(**estimator.get_params()), chunks, **extra)
    again = fit_stream(VIANNClassifier(**estimator.get_params()), chunks, **extra)
    other_seed = fit_stream(VIANNClassifier(**dict(estimator.get_params(), random_state=1)), chunks, **extra)
    np.testing.assert_array_equal(first.feature_importances_, again.feature_importances_)
    np.testing.assert_array_equal(first.coefs_[0], again.coefs_[0])
    assert not np.allclose(first.coefs_[0], other_seed.coefs_[0])
    # A single chunk is all the data: the same permutations as fit's.
    _assert_same_fit(fit_stream(VIANNClassifier(**estimator.get_params()), [(X, y)], **extra), estimator.fit(X, y))


def test_shuffling_mixes_rows_within_chunks_only():
    row_numbers = torch.arange(100)
    chunks = [
        TrainingRows(row_numbers[start:end, None].double(), row_numbers[start:end])
        for start, end in ((0, 30), (30, 100))
    ]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        batches = list(batches_across_chunks(chunks, batch_size=8, shuffle=True))
    order = torch.cat([targets for _, targets in batches])
    assert [len(targets) for _, targets in batches] == [8] * 12 + [4]
    assert sorted(order[:30].tolist()) == list(range(30)), "the first chunk's rows come first"
    assert sorted(order[30:].tolist()) == list(range(30, 100))
    assert order[:30].tolist() != list(range(30)), "and they are shuffled"


def test_batches_across_chunks_are_the_batches_of_the_concatenated_rows():
    rows = torch.arange(50.0)[:, None]
    weights = torch.linspace(0.0, 1.0, 50)
    bounds = [0, 3, 3, 17, 18, 50]
    chunks = [TrainingRows(rows[a:b], rows[a:b, 0], weights[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    batches = list(batches_across_chunks(chunks, batch_size=7))
    assert [len(X) for X, _ in batches] == [7] * 7 + [1]
    for number, (X, (y, w)) in enumerate(batches):
        expected = slice(7 * number, 7 * number + 7)
        torch.testing.assert_close(X, rows[expected])
        torch.testing.assert_close(y, rows[expected, 0])
        torch.testing.assert_close(w, weights[expected])


def _assert_unfitted(estimator):
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    assert not any(name.endswith("_") and not name.startswith("_") for name in vars(estimator))


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda X, y: (X[:, :4], y), r"Chunk 2 of the stream: X has 4 features, but VIANNClassifier is expecting 5"),
        (lambda X, y: (np.where(np.arange(len(X))[:, None] == 3, np.nan, X), y), "Chunk 2 of the stream.*NaN"),
        (lambda X, y: (np.where(np.arange(len(X))[:, None] == 3, np.inf, X), y), "Chunk 2 of the stream.*infinity"),
        (lambda X, y: (X, np.where(np.arange(len(y)) == 0, 7, y)), r"Chunk 2 of the stream: `y` has classes not in"),
        (lambda X, y: X, "Chunk 2 of the stream: a chunk must be a tuple"),
    ],
    ids=["columns", "nan", "inf", "unknown-class", "not-a-pair"],
)
def test_bad_chunk_is_named_and_leaves_nothing_fitted(spoil, message):
    X, y, _ = _data()
    chunks = _chunks((X, y), [0, 50, 100, 150, 200])
    chunks[2] = spoil(*chunks[2])
    clf = VIANNClassifier(**IN_ORDER).fit(X, y)  # an earlier fit does not survive a failed fresh one
    with pytest.raises((ValueError, TypeError), match=message):
        fit_stream(clf, chunks, classes=[0, 1, 2])
    _assert_unfitted(clf)


def test_stream_that_changes_between_passes_is_an_error():
    X, y, _ = _data()
    passes = []

    def shrinking():
        passes.append(None)
        stop = 200 if len(passes) == 1 else 150
        return iter(_chunks((X[:stop], y[:stop]), [0, 50, 100, 150, 200][: stop // 50 + 1]))

    clf = VIANNClassifier(**IN_ORDER)
    with pytest.raises(ValueError, match="150 rows in this pass but 200 when its statistics were gathered"):
        fit_stream(clf, shrinking, classes=[0, 1, 2])
    _assert_unfitted(clf)


@pytest.mark.parametrize(
    "estimator, chunks, classes, error, message",
    [
        (VIANNClassifier(**IN_ORDER), [], [0, 1], ValueError, "The stream has no rows"),
        (VIANNClassifier(**IN_ORDER), [(np.zeros((0, 3)), np.zeros(0))], [0, 1], ValueError, "no rows"),
        (VIANNClassifier(**IN_ORDER), [(np.ones((4, 3)), [0, 1, 0, 1])], None, ValueError, "needs classes="),
        (VIANNClassifier(**IN_ORDER), iter([(np.ones((4, 3)), [0, 1, 0, 1])]), [0, 1], TypeError, "one-shot"),
        (VIANNRegressor(solver="lbfgs"), [(np.ones((4, 3)), np.ones(4))], None, ValueError, "'lbfgs' takes every"),
        (VIANNRegressor(early_stopping=True), [(np.ones((4, 3)), np.ones(4))], None, ValueError, "early_stopping"),
        (VIANNRegressor(alpha=-1.0), [(np.ones((4, 3)), np.ones(4))], None, ValueError, "alpha"),
    ],
    ids=["empty", "only-empty-chunks", "no-classes", "generator", "lbfgs", "early-stopping", "bad-parameter"],
)
def test_unusable_stream_or_settings_say_why(estimator, chunks, classes, error, message):
    with pytest.raises(error, match=message):
        fit_stream(estimator, chunks, classes=classes)
    _assert_unfitted(estimator)


def test_only_viann_estimators_stream():
    from sklearn.neural_network import MLPClassifier

    with pytest.raises(TypeError, match="VIANNClassifier or VIANNRegressor; got MLPClassifier"):
        fit_stream(MLPClassifier(), [])


def test_pickling_between_partial_fit_chunks_continues_the_same_importances():
    X, y, _ = _data()
    chunks = _chunks((X, y), [0, 50, 100, 150, 200])
    uninterrupted = VIANNClassifier(**IN_ORDER)
    for chunk_X, chunk_y in chunks:
        uninterrupted.partial_fit(chunk_X, chunk_y, classes=[0, 1, 2])
    resumed = VIANNClassifier(**IN_ORDER)
    for number, (chunk_X, chunk_y) in enumerate(chunks):
        resumed.partial_fit(chunk_X, chunk_y, classes=[0, 1, 2])
        if number in (0, 2):  # as a job that checkpoints and restarts between chunks would
            resumed = pickle.loads(pickle.dumps(resumed))
    tracker, resumed_tracker = uninterrupted.variance_importance_.tracker_, resumed.variance_importance_.tracker_
    assert resumed_tracker.moments.count == tracker.moments.count == 5
    np.testing.assert_array_equal(resumed_tracker.moments.m2.numpy(), tracker.moments.m2.numpy())
    np.testing.assert_array_equal(resumed.feature_importances_, uninterrupted.feature_importances_)
    np.testing.assert_array_equal(resumed.coefs_[0], uninterrupted.coefs_[0])


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_stream_resumed_from_a_pickle_with_warm_start_continues_exactly(kind):
    estimator, X, y, extra = _estimator_and_target(kind, warm_start=True, max_iter=4)
    chunks = _chunks((X, y), [0, 100, 200])
    uninterrupted = fit_stream(fit_stream(estimator, chunks, **extra), chunks, **extra)
    first_sitting = fit_stream(estimator.__class__(**estimator.get_params()), chunks, **extra)
    resumed = fit_stream(pickle.loads(pickle.dumps(first_sitting)), chunks, **extra)
    assert resumed.variance_importance_.n_samples_ == 1 + 8
    np.testing.assert_array_equal(resumed.feature_importances_, uninterrupted.feature_importances_)
    np.testing.assert_array_equal(resumed.coefs_[0], uninterrupted.coefs_[0])
    assert resumed.t_ == uninterrupted.t_ == 8 * len(X)

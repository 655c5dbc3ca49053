"""Training on data that does not fit in memory: a stream of row chunks, read again on every pass.

:func:`fit_stream` trains a :class:`~viann_sklearn.VIANNClassifier` or
:class:`~viann_sklearn.VIANNRegressor` on chunks of rows that are read one at a
time, and gives the network and importances of ``fit`` on all the rows at
once. The chunks come from any re-iterable of ``(X, y)`` arrays, from
:func:`dask_chunks` (the row blocks of ``dask.array`` s, computed one at a
time, on a Dask cluster if a client is active) or from :func:`parquet_chunks`
(the row groups of a directory of Parquet files).

Why a function and not an estimator method: the estimators keep exactly
``MLPClassifier``'s methods, and the optional readers (Dask, pyarrow) live in
this one module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.base import _fit_context, is_classifier
from sklearn.utils.validation import _num_samples, validate_data

from ..method.moments import ColumnMoments
from ..training.batches import StreamedRows, batches_across_chunks
from ..training.loop import minibatch_epoch, train_epochs
from .base import _BaseVIANN
from .inputs import checked_sample_weight, column_ranges, mean_and_scale_from_moments

__all__ = ["dask_chunks", "fit_stream", "parquet_chunks"]

_STREAM_EXTRA = "pip install 'viann-sklearn[stream]'"


def fit_stream(estimator, chunks, *, classes=None):
    """Fit ``estimator`` on a stream of row chunks, as ``fit`` would on all their rows at once.

    The stream is read ``1 + n_iter_`` times, one chunk at a time, never
    concatenated: peak memory is a few chunks (about three, measured in
    ``benchmarks/streaming_memory.py``) and the model, whatever the number of rows.

    1. A statistics pass validates every chunk (the same checks as ``fit``)
       and gathers what ``fit`` computes from all rows: the number of rows
       (for ``batch_size="auto"``), each column's mean and standard
       deviation for ``standardize`` (merged chunk by chunk with Chan's
       pairwise update), the regressor's target statistics, and each
       column's range (for the zero importance of a constant column). A bad
       chunk fails here, before any training.
    2. Every epoch is one pass over all the chunks: one skorch epoch whose
       minibatches run through the chunks in order, a batch spanning a chunk
       boundary where one ends mid-batch. VIANN samples once per pass with
       ``importance_on="epoch"``, and ``max_iter``, ``tol`` and
       ``n_iter_no_change`` stop training as in ``fit`` (on the training
       loss).

    With ``shuffle=False`` the result equals ``fit`` on the concatenated
    rows, to rounding (the statistics are merged rather than summed in one
    go), whatever the chunk sizes. With ``shuffle=True`` the rows are shuffled
    within each chunk, not across chunks; a fixed ``random_state`` still
    gives identical fits. So shuffle the rows once when writing the chunks
    if their order is not random.

    Parameters
    ----------
    estimator : VIANNClassifier or VIANNRegressor
        Its parameters apply as in ``fit``, except: ``solver="lbfgs"`` (which
        needs every row at every step) and ``early_stopping=True`` (which
        needs a held-out set) are errors, and ``early_stopping="auto"`` holds
        nothing out (as ``partial_fit``). With ``warm_start=True`` a fitted
        estimator continues training, keeping its standardisation, classes
        and importances: a stream can be fitted in several sittings.
    chunks : iterable, callable, tuple of dask arrays, or the result of :func:`dask_chunks` or :func:`parquet_chunks`
        Chunks ``(X, y)`` or ``(X, y, sample_weight)`` of numpy arrays (or
        anything ``fit`` accepts, except sparse matrices). The stream is read
        several times, so it must be re-iterable: a list, an object whose
        ``__iter__`` starts over, or a function of no arguments that returns
        a fresh iterator; a one-shot generator is an error. A tuple
        ``(X, y)`` or ``(X, y, sample_weight)`` of ``dask.array`` s is read
        with :func:`dask_chunks`. Chunks without rows are skipped; every pass
        must yield the same rows.
    classes : array-like, default=None
        Every class there is; required for a classifier (the labels of a
        stream are not known before it is read), and checked against
        ``classes_`` when a warm start continues. A chunk with a label not in
        ``classes`` is an error.

    Returns
    -------
    estimator
        The fitted estimator. If the stream turns out bad (a chunk with
        other columns, NaN or infinity, an unknown class, no rows at all),
        the error names the chunk and the estimator is left unfitted (a
        warm start keeps its earlier fit).

    See Also
    --------
    dask_chunks, parquet_chunks : Chunks from Dask arrays and Parquet files.

    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn import VIANNRegressor
    >>> from viann_sklearn.streaming import fit_stream
    >>> def chunks():  # generated on the fly; a file reader would do the same
    ...     for seed in range(5):
    ...         rng = np.random.default_rng(seed)
    ...         X = rng.normal(size=(400, 4))
    ...         yield X, 3 * X[:, 1] + 0.1 * rng.normal(size=400)
    >>> reg = VIANNRegressor(hidden_layer_sizes=(16,), max_iter=10, random_state=0)
    >>> reg = fit_stream(reg, chunks)
    >>> int(reg.feature_importances_.argmax()), reg.t_
    (1, 20000)
    """
    if not isinstance(estimator, _BaseVIANN):
        raise TypeError(f"fit_stream trains a VIANNClassifier or VIANNRegressor; got {type(estimator).__name__}.")
    return _fit_stream(estimator, _reopenable(chunks), classes)


def dask_chunks(X, y, sample_weight=None):
    """The row blocks of Dask arrays, as chunks for :func:`fit_stream`.

    Each block is computed when the stream reaches it (on the cluster of an
    active ``distributed.Client``, else Dask's local scheduler) and let go
    before the next; the blocks' size is the chunk size. The columns of a
    block are always complete: X is rechunked to one block across the
    columns, and y and ``sample_weight`` to X's row blocks.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        With known chunk sizes (``X.compute_chunk_sizes()`` finds them).
    y : dask.array.Array or array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : dask.array.Array or array-like of shape (n_samples,), default=None

    Returns
    -------
    chunks : iterable
        Re-iterable: every iteration computes the blocks afresh.

    Examples
    --------
    >>> import dask.array as da
    >>> from viann_sklearn.streaming import dask_chunks
    >>> X = da.random.default_rng(0).normal(size=(1000, 3), chunks=(400, 3))
    >>> [block.shape for block, _ in dask_chunks(X, X[:, 0] > 0)]
    [(400, 3), (400, 3), (200, 3)]
    """
    da = _import_optional("dask.array", "dask_chunks", "dask[array]")
    import dask

    X = da.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"dask_chunks needs a two-dimensional X; got {X.ndim} dimension(s).")
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first.")
    X = X.rechunk({1: -1})
    arrays = [X]
    for name, values in (("y", y), ("sample_weight", sample_weight)):
        if values is None:
            continue
        values = da.asarray(values)
        if values.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but {name} has {values.shape[0]}.")
        arrays.append(values.rechunk({0: X.chunks[0], **{axis: -1 for axis in range(1, values.ndim)}}))

    def read():
        for index in range(X.numblocks[0]):
            # One compute for the block's X, y and weights: they share the graph.
            yield dask.compute(*(array.blocks[index] for array in arrays))

    return _Chunks(read, f"dask_chunks({X.numblocks[0]} blocks of {X.shape[0]} rows)")


def parquet_chunks(path, target="y", *, features=None, sample_weight=None):
    """The row groups of Parquet files, as chunks for :func:`fit_stream`.

    Each row group of each file is read when the stream reaches it, only
    its columns, and let go before the next: write the files with row groups
    of the chunk size you want (``pyarrow.parquet.write_table(...,
    row_group_size=...)``). Workers of a cluster can read such files from
    shared storage.

    Parameters
    ----------
    path : str or path-like
        A directory of ``*.parquet`` files, read in name order, or one file.
    target : str or list of str, default="y"
        The target column, or columns for several targets or labels.
    features : list of str, default=None
        The feature columns, in this order. By default every other column
        (but ``sample_weight``), in the order of the first file, and every
        file must have the same.
    sample_weight : str, default=None
        The column of sample weights, if any.

    Returns
    -------
    chunks : iterable
        Re-iterable: every iteration reads the files afresh.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> from viann_sklearn.streaming import parquet_chunks
    >>> directory = tempfile.mkdtemp()
    >>> table = pa.table({"a": np.arange(5.0), "b": np.ones(5), "y": [0, 1, 0, 1, 1]})
    >>> pq.write_table(table, f"{directory}/part-0.parquet", row_group_size=2)
    >>> [(X.shape, y.tolist()) for X, y in parquet_chunks(directory)]
    [((2, 2), [0, 1]), ((2, 2), [0, 1]), ((1, 2), [1])]
    """
    parquet = _import_optional("pyarrow.parquet", "parquet_chunks", "pyarrow")
    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise FileNotFoundError(f"No Parquet files at {str(path)!r} (a directory of *.parquet files, or one file).")
    targets = [target] if isinstance(target, str) else list(target)
    weights = [] if sample_weight is None else [sample_weight]
    # Features found in the first file define the stream: a later file with more is an error.
    features_from_first_file = features is None
    if features_from_first_file:
        first_columns = parquet.ParquetFile(files[0]).schema_arrow.names
        features = [name for name in first_columns if name not in targets + weights]
    features = list(features)

    def read():
        for file in files:
            reader = parquet.ParquetFile(file)
            columns = reader.schema_arrow.names
            missing = [name for name in features + targets + weights if name not in columns]
            extra = [name for name in columns if name not in features + targets + weights]
            if missing or (extra and features_from_first_file):
                raise ValueError(
                    f"{file.name} does not have the columns of the stream: missing {missing}, "
                    f"extra {extra}; the features are {features}."
                )
            for group in range(reader.num_row_groups):
                table = reader.read_row_group(group, columns=features + targets + weights)
                X = _columns_as_matrix(table, features)
                y = _columns_as_matrix(table, targets)
                chunk = (X, y[:, 0] if isinstance(target, str) else y)
                chunk += (table.column(sample_weight).to_numpy(),) if weights else ()
                del table, X, y  # the Arrow copy goes before the chunk is trained on
                yield chunk
                del chunk

    return _Chunks(read, f"parquet_chunks({str(path)!r}, {len(files)} file(s))")


def _columns_as_matrix(table, names):
    """Columns of a pyarrow table as one C-ordered array, without holding every column's copy at once."""
    columns = [table.column(name) for name in names]
    dtype = np.result_type(*(column.type.to_pandas_dtype() for column in columns))
    matrix = np.empty((table.num_rows, len(names)), dtype=dtype)
    for position, column in enumerate(columns):
        matrix[:, position] = column.to_numpy()  # nulls become NaN, which fit_stream reports
    return matrix


class _Chunks:
    """A re-iterable stream: every iteration calls ``read()`` afresh."""

    def __init__(self, read, description):
        self._read = read
        self._description = description

    def __iter__(self):
        return iter(self._read())

    def __repr__(self):
        return self._description


def _import_optional(module, user, extra):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise ImportError(f"{user} needs {extra}, which is not installed: {_STREAM_EXTRA}") from error


def _is_dask_array(value):
    return type(value).__module__.startswith("dask.") and hasattr(value, "blocks")


def _reopenable(chunks) -> Callable[[], Iterator]:
    """A function that opens the stream afresh for every pass."""
    if isinstance(chunks, tuple) and 2 <= len(chunks) <= 3 and _is_dask_array(chunks[0]):
        chunks = dask_chunks(*chunks)
    if callable(chunks):
        return lambda: iter(chunks())
    if not isinstance(chunks, Iterable):
        raise TypeError(f"chunks must be an iterable of (X, y) chunks or a function returning one; got {chunks!r}.")
    if iter(chunks) is chunks:
        raise TypeError(
            "chunks is a one-shot iterator, but fit_stream reads the stream once for its statistics and "
            "once per epoch: pass a list, a re-iterable object, or a function that returns a fresh iterator."
        )
    return lambda: iter(chunks)


@contextmanager
def _naming_chunk(index):
    """Errors about a chunk's contents say which chunk."""
    try:
        yield
    except (ValueError, TypeError) as error:
        raise type(error)(f"Chunk {index} of the stream: {error}") from error


def _unpacked(chunk):
    if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
        raise TypeError(f"a chunk must be a tuple (X, y) or (X, y, sample_weight); got {type(chunk).__name__}.")
    return chunk if len(chunk) == 3 else (*chunk, None)


def _checked_chunks(estimator, open_stream, *, reset_first):
    """Every chunk with rows, validated as ``fit`` validates its data: (index, X, y, sample_weight).

    ``reset_first``: the first chunk sets ``n_features_in_`` (and feature
    names); every other chunk is checked against them.
    """
    reset = reset_first
    for index, chunk in enumerate(open_stream()):
        with _naming_chunk(index):
            X, y, sample_weight = _unpacked(chunk)
            if _num_samples(X) == 0:
                continue
            X, y = validate_data(
                estimator,
                X,
                y,
                reset=reset,
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=not is_classifier(estimator),
            )
            sample_weight = checked_sample_weight(sample_weight, X)
        reset = False
        yield index, X, y, sample_weight
        del chunk, X, y, sample_weight  # before the stream reads the next chunk


@_fit_context(prefer_skip_nested_validation=True)
def _fit_stream(estimator, open_stream, classes):
    if estimator.solver == "lbfgs":
        raise ValueError(
            "fit_stream needs a minibatch solver ('sgd' or 'adam'): 'lbfgs' takes every row at every step."
        )
    if estimator.early_stopping is True:
        raise ValueError(
            "fit_stream does not support early_stopping=True: a stream has no held-out validation set. "
            "Use early_stopping=False (or 'auto', which holds nothing out here) and stop on the training loss."
        )
    continuing = hasattr(estimator, "net_") and estimator.warm_start
    if is_classifier(estimator) and classes is None and not continuing:
        raise ValueError(
            "fit_stream needs classes= for a classifier: every class of the stream, known before it is read."
        )
    try:
        return _train_on_stream(estimator, open_stream, classes, continuing)
    except BaseException:
        if not continuing:
            _forget_fit(estimator)
        raise


def _train_on_stream(estimator, open_stream, classes, continuing):
    hidden_layer_sizes = estimator._checked_hidden_layer_sizes()
    device = estimator._checked_device()
    statistics = _stream_statistics(estimator, open_stream, classes, continuing)
    n_rows = statistics["n_rows"]
    estimator._record_column_ranges(statistics["column_min"], statistics["column_max"], continuing)
    seed = statistics["seed"]
    input_statistics = None
    if not continuing:
        if estimator.standardize:
            input_statistics = mean_and_scale_from_moments(statistics["input_moments"])
        if statistics["target_moments"] is not None:
            estimator._use_target_statistics(*mean_and_scale_from_moments(statistics["target_moments"]))
    estimator._stopped_on_validation = False
    batch_size = estimator._checked_batch_size(n_rows)

    def training_chunks():
        n_seen = 0
        for index, X, y, sample_weight in _checked_chunks(estimator, open_stream, reset_first=False):
            with _naming_chunk(index):
                targets = estimator._encode_targets(y, continuing=True, incremental=True, classes=None)
            n_seen += X.shape[0]
            yield estimator._training_rows(X, targets, sample_weight, device)
            del X, y, sample_weight, targets  # before the stream reads the next chunk
        if n_seen != n_rows:
            raise ValueError(
                f"The stream yielded {n_seen} rows in this pass but {n_rows} when its statistics were "
                "gathered: every pass must read the same chunks."
            )

    dataset = StreamedRows(n_rows)

    def train(net):
        def batches_of_pass():  # an epoch is one pass over all the chunks
            return batches_across_chunks(training_chunks(), batch_size, estimator.shuffle)

        train_epochs(net, dataset, estimator.max_iter, minibatch_epoch(net, batches_of_pass))

    estimator._train_net(
        train,
        seed=seed,
        device=device,
        continuing=continuing,
        incremental=False,
        n_features=estimator.n_features_in_,
        input_statistics=input_statistics,
        hidden_layer_sizes=hidden_layer_sizes,
        n_samples=n_rows,
        batch_size=batch_size,
        validation=None,
    )
    return estimator


def _stream_statistics(estimator, open_stream, classes, continuing):
    """One pass over the stream: every chunk checked, and the statistics ``fit`` takes from all rows."""
    input_moments, target_moments = ColumnMoments(), None
    n_rows, seed, column_min, column_max = 0, None, None, None
    for index, X, y, sample_weight in _checked_chunks(estimator, open_stream, reset_first=not continuing):
        first = n_rows == 0
        if first:
            # As in fit, once the data's dtype (the network's) is known; the
            # targets of later chunks are encoded in it.
            seed = estimator._draw_seed(continuing, False, X.dtype)
        with _naming_chunk(index):
            estimator._encode_targets(
                y,
                continuing=continuing or not first,
                incremental=True,
                classes=classes if first or continuing else None,
                sample_weight=sample_weight,
            )
        n_rows += X.shape[0]
        if not continuing:
            if estimator.standardize:
                input_moments.update(X, sample_weight)
            target_columns = estimator._target_columns_to_standardize(y)
            if target_columns is not None:
                target_moments = (target_moments or ColumnMoments()).update(target_columns, sample_weight)
        low, high = column_ranges(X)
        column_min = low if column_min is None else np.minimum(column_min, low)
        column_max = high if column_max is None else np.maximum(column_max, high)
    if n_rows == 0:
        raise ValueError("The stream has no rows: fit_stream needs at least one chunk with rows.")
    if estimator.standardize and not continuing and input_moments.mean is None:
        raise ValueError("Every sample weight in the stream is zero: there is nothing to train on.")
    return dict(
        n_rows=n_rows,
        seed=seed,
        input_moments=input_moments,
        target_moments=target_moments,
        column_min=column_min,
        column_max=column_max,
    )


def _forget_fit(estimator):
    """Leave nothing that looks fitted after a failed fresh fit: scikit-learn's fitted attributes end in "_"."""
    for name in [name for name in vars(estimator) if name.endswith("_") and not name.startswith("__")]:
        delattr(estimator, name)

"""Minibatches of in-memory rows, and of a stream of chunks: one epoch permutation for both."""

import math

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import Dataset as TorchDataset

from .tensors import sparse_rows

__all__ = ["StreamedRows", "TensorBatches", "TrainingRows", "batches_across_chunks", "epoch_permutation"]


# The numpy dtype of sparse batches' values, from TrainingRows' torch dtype.
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


class TrainingRows(TorchDataset):
    """The training rows: features, targets and optional sample weights.

    ``X`` is a tensor on the training device, or a scipy CSR matrix that is
    never densified: each batch becomes a torch CSR tensor (see
    ``tensors.sparse_rows``).

    Parameters
    ----------
    X : torch.Tensor or scipy.sparse CSR matrix of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples, ...)
    sample_weight : torch.Tensor of shape (n_samples,), default=None
    dtype : torch.dtype, default=None
        The dtype of the values of sparse batches.
    positions : torch.Tensor of int64, default=None
        The rows of ``X``, ``y`` and ``sample_weight`` that are training rows,
        in this order (the others are a validation set); ``None``: all rows.
        Batches gather through it, so the training rows are never copied.
    """

    def __init__(self, X, y, sample_weight=None, dtype=None, positions=None):
        self.X, self.y, self.dtype, self.positions = X, y, dtype, positions
        self._all_sample_weight = sample_weight

    def __len__(self):
        return self.X.shape[0] if self.positions is None else len(self.positions)

    def __getitem__(self, index):
        return self.rows(index), self.targets(index)

    @property
    def sample_weight(self):
        """The training rows' sample weights (None without weights)."""
        if self._all_sample_weight is None or self.positions is None:
            return self._all_sample_weight
        return self._all_sample_weight[self.positions]

    def rows(self, index):
        """Features of the training rows ``index`` (a slice or a tensor of positions); sparse rows stay sparse."""
        if self.positions is not None:
            index = _take(self.positions, index)
        if torch.is_tensor(self.X):
            return _take(self.X, index)
        if torch.is_tensor(index):
            index = index.cpu().numpy()
        values_dtype = self.X.dtype if self.dtype is None else _NUMPY_DTYPES[self.dtype]
        return sparse_rows(self.X[index], values_dtype, self.y.device)

    def targets(self, index):
        """Targets of the training rows ``index``, with their sample weights when there are any."""
        if self.positions is not None:
            index = _take(self.positions, index)
        if self._all_sample_weight is None:
            return _take(self.y, index)
        return _take(self.y, index), _take(self._all_sample_weight, index)


def _take(values, index):
    """``values[index]`` for a slice (a view) or a tensor of positions (a gather).

    ``index_select`` rather than ``values[index]``: the same rows, but
    indexing with a tensor goes through advanced indexing, six times slower
    for a batch of 200 rows, and the largest cost of a fused step.
    """
    if torch.is_tensor(index) and index.dim() == 1:
        return values.index_select(0, index)
    return values[index]


class TensorBatches:
    """Minibatches sliced from in-memory tensors: a skorch ``iterator_train``.

    skorch's default, a ``DataLoader`` over a ``Dataset``, indexes one sample
    at a time and collates the samples back into a batch: Python work per
    sample, which dominates small networks. Here each batch is one gather
    from tensors that already live on the training device, after one
    permutation per epoch (from a sparse matrix: one row gather, then one
    CSR tensor).

    The permutation is :func:`epoch_permutation`, drawn exactly as
    ``DataLoader(shuffle=True)`` draws it, so a fixed ``random_state`` gives
    the very same batches, and so the same model and importances, as
    skorch's generic path.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or TrainingRows
        Holding tensors ``X`` and ``y`` of the same length (``X`` may be a
        sparse matrix in :class:`TrainingRows`).
    batch_size : int
    shuffle : bool, default=False
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        if isinstance(dataset, TrainingRows):
            self.rows = dataset
        elif isinstance(dataset, Dataset) and torch.is_tensor(dataset.X) and torch.is_tensor(dataset.y):
            self.rows = TrainingRows(dataset.X, dataset.y)
        else:
            raise TypeError("TensorBatches needs a skorch Dataset of tensors X and y, or TrainingRows.")
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)

    def __iter__(self):
        n_samples = len(self.rows)
        order = epoch_permutation(n_samples, self.rows.y.device, shuffle=self.shuffle)
        if order is None:
            for start in range(0, n_samples, self.batch_size):
                batch = slice(start, start + self.batch_size)
                yield self.rows.rows(batch), self.rows.targets(batch)
            return
        for batch in order.split(self.batch_size):
            yield self.rows.rows(batch), self.rows.targets(batch)


def epoch_permutation(n_rows, device, shuffle=True):
    """The order of one epoch's rows, drawn exactly as ``DataLoader(shuffle=True)`` draws it.

    Two draws from torch's global generator (seeded by the fit): one for the
    workers' base seed, which ``DataLoader`` draws even without shuffling, and
    one for the sampler's own generator. So a fixed ``random_state`` gives the
    same batches as skorch's generic path, and because in-memory batches and
    the chunks of a stream both draw here, a stream of one chunk trains as
    ``fit``.

    Returns
    -------
    order : torch.Tensor of int64 on ``device``, or None
        A permutation of ``range(n_rows)``; None without ``shuffle`` (in order).
    """
    torch.empty((), dtype=torch.int64).random_()  # the base seed: drawn, and unused, to keep the stream
    if not shuffle:
        return None
    seed = int(torch.empty((), dtype=torch.int64).random_().item())
    return torch.randperm(n_rows, generator=torch.Generator().manual_seed(seed)).to(device)


class StreamedRows:
    """What skorch's callbacks get as the training dataset of a stream: its number of rows.

    The learning-rate schedule counts samples with ``len(dataset_train)``;
    no callback of the estimators indexes the dataset.

    Parameters
    ----------
    n_rows : int
        Rows in one pass over the stream.
    """

    def __init__(self, n_rows):
        self.n_rows = n_rows

    def __len__(self):
        return self.n_rows


def batches_across_chunks(chunks, batch_size, shuffle=False):
    """Minibatches of ``batch_size`` rows from ``TrainingRows`` chunks, in stream order.

    A batch may span two (or more) chunks: the rows left at the end of one
    chunk are completed with the first rows of the next. Without shuffling
    the batches are therefore those of one dataset holding all the chunks'
    rows in order, whatever the chunk sizes, and only the last batch of the
    pass may be smaller. With ``shuffle``, the rows of each chunk are
    permuted (torch's global generator, seeded by the fit) before they are
    cut into batches: rows mix within a chunk, never across chunks, because
    that would need more than one chunk in memory. The permutation is
    :func:`epoch_permutation`, as for ``TensorBatches``, so a stream of one chunk trains
    exactly as ``fit``, shuffled or not.

    Parameters
    ----------
    chunks : iterable of TrainingRows
        Tensors already on the training device.
    batch_size : int
    shuffle : bool, default=False

    Yields
    ------
    batch : tuple
        ``(X, y)`` or ``(X, (y, sample_weight))``, as ``TensorBatches`` yields them.
    """
    pending, n_pending = [], 0  # the start of the next batch: < batch_size rows of earlier chunks
    for rows in chunks:
        n_rows = len(rows)
        order = epoch_permutation(n_rows, rows.y.device) if shuffle else None
        start = 0
        if pending:
            start = min(batch_size - n_pending, n_rows)
            pending.append(_piece(rows, order, 0, start, keep=True))
            n_pending += start
            if n_pending == batch_size:
                yield _joined(pending)
                pending, n_pending = [], 0
        for begin in range(start, n_rows, batch_size):
            end = min(begin + batch_size, n_rows)
            if end - begin < batch_size:
                pending, n_pending = [_piece(rows, order, begin, end, keep=True)], end - begin
            else:
                # The chunk's last batch is a copy: skorch holds on to the latest
                # batch while the stream reads the next chunk, and a view would
                # keep this whole chunk in memory beside it.
                yield _piece(rows, order, begin, end, keep=end == n_rows)
        del rows, order  # before the stream reads the next chunk
    if pending:
        yield _joined(pending)


def _piece(rows, order, begin, end, keep=False):
    """Rows ``begin:end`` of a chunk (in ``order`` if shuffled), as a batch.

    ``keep``: the piece outlives its chunk, so it must not be a view that
    keeps the whole chunk's tensors alive; a small copy instead.
    """
    index = slice(begin, end) if order is None else order[begin:end]
    X, targets = rows.rows(index), rows.targets(index)
    if keep and order is None:  # an index tensor already gathers a copy
        X = X.clone()
        targets = tuple(part.clone() for part in targets) if isinstance(targets, tuple) else targets.clone()
    return X, targets


def _joined(pieces):
    if len(pieces) == 1:
        return pieces[0]
    X = torch.cat([X for X, _ in pieces])
    targets = [targets for _, targets in pieces]
    if isinstance(targets[0], tuple):
        return X, tuple(torch.cat(parts) for parts in zip(*targets))
    return X, torch.cat(targets)

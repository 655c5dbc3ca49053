"""How a stream of chunks trains: minibatches across chunk boundaries, one skorch epoch per pass.

The in-memory fit hands skorch one dataset and lets ``NeuralNet.partial_fit``
run its epochs. A stream cannot be one dataset, so :func:`train_streamed_epochs`
runs skorch's loop itself, exactly as ``partial_fit`` and ``fit_loop`` do
(skorch 1.4), with each epoch's batches drawn from all chunks in turn:
callbacks see one ``on_epoch_begin`` and one ``on_epoch_end`` per pass over
the data, so VIANN's epoch samples, the stopping rule and the learning-rate
schedule behave as in ``fit``.
"""

import torch

__all__ = ["StreamedRows", "batches_across_chunks", "train_streamed_epochs"]


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
    that would need more than one chunk in memory. The permutation is drawn
    as ``TensorBatches`` draws an epoch's, so a stream of one chunk trains
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
        order = _chunk_order(n_rows, rows.y.device) if shuffle else None
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


def _chunk_order(n_rows, device):
    """A permutation of a chunk's rows, drawn exactly as ``TensorBatches`` draws an epoch's."""
    torch.empty((), dtype=torch.int64).random_()  # DataLoader's base seed, as TensorBatches draws it
    seed = int(torch.empty((), dtype=torch.int64).random_().item())
    return torch.randperm(n_rows, generator=torch.Generator().manual_seed(seed)).to(device)


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


def train_streamed_epochs(net, epoch_batches, dataset, epochs):
    """Train an initialized skorch net for ``epochs`` passes, each over ``epoch_batches()``.

    skorch's ``NeuralNet.partial_fit`` and ``fit_loop`` (skorch 1.4) with the
    training iterator of every epoch made afresh, and no validation split:
    ``on_train_begin``; per epoch ``on_epoch_begin`` (which opens the
    epoch's history row), the batches through ``run_single_epoch`` and
    ``train_step``, ``on_epoch_end``; then ``on_train_end``. A callback ends
    training early by raising ``KeyboardInterrupt``, as in skorch.

    Parameters
    ----------
    net : skorch.NeuralNet
        Initialized.
    epoch_batches : callable
        Returns a fresh iterable of batches, one pass over the data.
    dataset : sized
        What callbacks get as ``X`` and ``dataset_train`` (see :class:`StreamedRows`).
    epochs : int
    """
    net.check_training_readiness()
    net.notify("on_train_begin", X=dataset, y=None)
    try:
        for _ in range(epochs):
            net.notify("on_epoch_begin", dataset_train=dataset, dataset_valid=None)
            net.run_single_epoch(epoch_batches(), training=True, prefix="train", step_fn=net.train_step)
            net.notify("on_epoch_end", dataset_train=dataset, dataset_valid=None)
    except KeyboardInterrupt:
        pass
    net.notify("on_train_end", X=dataset, y=None)
    return net

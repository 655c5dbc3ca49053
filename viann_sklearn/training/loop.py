"""The epoch loop: skorch's events around each epoch, for in-memory, L-BFGS and streamed training.

skorch's ``NeuralNet.partial_fit`` runs its own loop over one dataset. The
estimators train in three ways, and all three go through :func:`train_epochs`
so that callbacks see the same events in the same order whatever the data:

- in memory: each epoch one pass of minibatches over the rows
  (:func:`train_in_memory`);
- L-BFGS: each epoch one L-BFGS iteration over all rows (``solvers.fit_lbfgs``);
- a stream of chunks: each epoch one pass of minibatches across all the chunks
  (``batches.batches_across_chunks``), with :func:`minibatch_epoch`.
"""

__all__ = ["minibatch_epoch", "train_epochs", "train_in_memory"]


def train_epochs(net, dataset, epochs, run_epoch, after_epoch=None):
    """Train an initialized skorch net for at most ``epochs`` epochs, with skorch's events around each.

    What ``NeuralNet.partial_fit`` and ``fit_loop`` do (skorch 1.4), without a
    validation split and with the epoch's work given: ``on_train_begin``; per
    epoch ``on_epoch_begin`` (which opens the epoch's history row),
    ``run_epoch()``, ``on_epoch_end``; then ``on_train_end``. A callback ends
    training early by raising ``KeyboardInterrupt``, as in skorch (so does
    Ctrl-C); ``after_epoch()`` returning True ends it too.

    Parameters
    ----------
    net : skorch.NeuralNet
        Initialized.
    dataset : sized
        What callbacks get as ``X`` and ``dataset_train``: the training rows,
        or a ``batches.StreamedRows`` that knows only their number.
    epochs : int
    run_epoch : callable
        One epoch's training, e.g. :func:`minibatch_epoch`.
    after_epoch : callable, default=None
        Called after each epoch's ``on_epoch_end``; True stops training.
    """
    net.check_training_readiness()
    net.notify("on_train_begin", X=dataset, y=None)
    try:
        for _ in range(epochs):
            net.notify("on_epoch_begin", dataset_train=dataset, dataset_valid=None)
            run_epoch()
            net.notify("on_epoch_end", dataset_train=dataset, dataset_valid=None)
            if after_epoch is not None and after_epoch():
                break
    except KeyboardInterrupt:
        pass
    net.notify("on_train_end", X=dataset, y=None)
    return net


def minibatch_epoch(net, batches_of_epoch):
    """An epoch of minibatch training: ``net.train_step`` on each batch of ``batches_of_epoch()``.

    ``batches_of_epoch`` returns the iterable of one epoch's batches, afresh for every epoch.
    """

    def run_epoch():
        net.run_single_epoch(batches_of_epoch(), training=True, prefix="train", step_fn=net.train_step)

    return run_epoch


def train_in_memory(net, rows, epochs):
    """Minibatch training on rows held in memory (a ``batches.TrainingRows``), as ``net.partial_fit`` would.

    The net's ``iterator_train`` (``TensorBatches``) makes the batches: one
    iterator, iterated once per epoch, as in skorch's ``fit_loop``.
    """
    batches = net.get_iterator(rows, training=True)
    return train_epochs(net, rows, epochs, minibatch_epoch(net, lambda: batches))

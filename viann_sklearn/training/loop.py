"""The epoch loop: skorch's events around each epoch, for in-memory, L-BFGS and streamed training."""

__all__ = ["train_streamed_epochs"]


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

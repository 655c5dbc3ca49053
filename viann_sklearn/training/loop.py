"""The epoch loop: skorch's events around each epoch, for in-memory, L-BFGS and streamed training.

skorch's ``NeuralNet.partial_fit`` runs its own loop over one dataset. The
estimators train in three ways, and all three go through :func:`train_epochs`
so that callbacks see the same events in the same order whatever the data:

- in memory: each epoch one pass of minibatches over the rows
  (:func:`train_in_memory`);
- L-BFGS: each epoch one L-BFGS iteration over all rows (``solvers.fit_lbfgs``);
- a stream of chunks: each epoch one pass of minibatches across all the chunks
  (``batches.batches_across_chunks``), with :func:`minibatch_epoch`.

A minibatch epoch of the built-in MLP takes the fused step (``fused.FusedStep``:
forward and backward written out, no autograd graph); any other net, and sparse
rows, train through skorch's ``train_step`` and autograd. ``net.training_path_``
says which path the last run took, and why.
"""

import torch

from .fused import AUTOGRAD, FUSED, fused_step_for

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


def minibatch_epoch(net, batches_of_epoch, sparse=False):
    """An epoch of minibatch training over the batches of ``batches_of_epoch()``, afresh for every epoch.

    The fused step trains the built-in MLP on dense rows when
    :func:`fused.fused_step_for` finds one for the net; otherwise, and for
    ``sparse`` rows, each batch goes through ``net.train_step`` (autograd)
    in skorch's ``run_single_epoch``. ``net.training_path_`` records the
    path: ``"fused"``, or ``"autograd: <why>"``.
    """
    step, reason = (None, "the rows are sparse") if sparse else fused_step_for(net)
    if step is None:
        net.training_path_ = f"{AUTOGRAD}: {reason}"

        def run_epoch():
            net.run_single_epoch(batches_of_epoch(), training=True, prefix="train", step_fn=net.train_step)

        return run_epoch
    net.training_path_ = FUSED
    return _fused_epoch(net, step, batches_of_epoch)


def _fused_epoch(net, step, batches_of_epoch):
    """An epoch of fused steps, with the events and the history skorch's ``run_single_epoch`` gives.

    Per batch, the callbacks that listen to ``on_batch_end`` hear it (VIANN
    samples the weights there in batch mode) with ``batch``, ``training``
    and ``loss``; nothing listens to ``on_batch_begin`` (``fused_step_for``
    checks). The batch rows of the history (the loss and size of each
    batch, which ``EpochLoss`` averages) are written when the epoch ends,
    from one read of all the batch losses: a ``loss.item()`` per batch
    waited for every step to finish.
    """

    def run_epoch():
        net._set_training(True)
        batch_end_listeners = net._listeners("on_batch_end")
        losses, sizes = [], []
        try:
            for batch in batches_of_epoch():
                X, targets = batch
                losses.append(step(X, targets))
                sizes.append(X.shape[0])
                for callback in batch_end_listeners:
                    callback.on_batch_end(net, batch=batch, training=True, loss=losses[-1])
        finally:  # an interrupted epoch keeps the batches it trained, as in skorch
            _record_batches(net.history, losses, sizes)

    return run_epoch


def _record_batches(history, losses, sizes):
    """The epoch's batch rows, as ``run_single_epoch`` records them: loss (a float), batch size, batch count."""
    values = torch.stack(losses).tolist() if losses else []
    # The rows new_batch and record_batch would append, in one go: each of
    # their calls looks the epoch up through History.__getitem__ again.
    history[-1]["batches"].extend({"train_loss": value, "train_batch_size": size} for value, size in zip(values, sizes))
    history.record("train_batch_count", len(values))


def train_in_memory(net, rows, epochs):
    """Minibatch training on rows held in memory (a ``batches.TrainingRows``), as ``net.partial_fit`` would.

    The net's ``iterator_train`` (``TensorBatches``) makes the batches: one
    iterator, iterated once per epoch, as in skorch's ``fit_loop``.
    """
    batches = net.get_iterator(rows, training=True)
    return train_epochs(net, rows, epochs, minibatch_epoch(net, lambda: batches, sparse=not torch.is_tensor(rows.X)))

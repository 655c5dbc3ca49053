"""VIANN for a hand-written PyTorch training loop."""

import torch

from ..method.layers import is_main_process
from ..method.tracker import ImportanceResultsMixin, check_tracking_options

__all__ = ["VarianceImportanceTorch"]


class VarianceImportanceTorch(ImportanceResultsMixin):
    """VIANN feature importances for a plain PyTorch training loop.

    The calls are those of the original VIANN helper, so existing loops keep
    working: ``on_train_begin()`` before training, ``on_epoch_end()`` after
    each epoch, ``on_train_end()`` at the end. In batch mode, also call
    ``on_batch_end()`` after every optimizer step. There is one score per
    *input feature*, whatever the first layer (the original helper summed over
    the wrong axis of ``nn.Linear.weight`` and gave one per hidden unit).

    Parameters
    ----------
    model : torch.nn.Module
        The model being trained, possibly wrapped in ``DataParallel``/DDP.
    on : {"epoch", "batch"}, default="epoch"
        Sample the weights after every epoch (the paper) or every batch.
    param_name : str, default=None
        Name of the parameter to track, e.g. ``"encoder.0.weight"``. By
        default, the first trainable weight that the forward pass runs.
    feature_axis : int, default=None
        Axis of that weight that indexes input features; by default from the
        layer type (see :class:`VarianceImportance`).

    Attributes
    ----------
    feature_importances_ : ndarray of shape (n_features,)
        Importances, >= 0 and summing to 1.
    var_scores : ndarray of shape (n_features,)
        Scores min-max scaled to [0, 1], as the original code reported them.
    scores_ : ndarray of shape (n_features,)
        Raw VIANN scores.
    variances_ : ndarray
        Variance of every element of the tracked weight.
    importances_history_ : ndarray of shape (n_epochs, n_features)
        Importances after each epoch.
    param_name_ : str
        Name of the tracked parameter.
    n_samples_ : int
        Number of weight snapshots.

    Notes
    -----
    Under ``torch.distributed`` (DDP), call it on every rank: only rank 0
    tracks and has importances.

    Without ``param_name``, the tracked layer is the first one that runs in
    the first forward pass after ``on_train_begin()``. That pass happens
    before the first optimizer step, so the first sample is the weights
    training starts from.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from viann_sklearn import VarianceImportanceTorch
    >>> _ = torch.manual_seed(0)
    >>> X = torch.randn(256, 5)
    >>> y = (X[:, 3] > 0).long()
    >>> model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> tracker = VarianceImportanceTorch(model)
    >>> tracker.on_train_begin()
    >>> for epoch in range(10):
    ...     for batch in torch.split(torch.randperm(256), 32):
    ...         optimizer.zero_grad()
    ...         nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
    ...         optimizer.step()
    ...     tracker.on_epoch_end()
    >>> tracker.on_train_end()
    >>> int(tracker.feature_importances_.argmax())
    3
    >>> float(tracker.var_scores.max())
    1.0
    """

    def __init__(
        self,
        model: torch.nn.Module,
        on: str = "epoch",
        param_name: str | None = None,
        feature_axis: int | None = None,
    ) -> None:
        check_tracking_options(on, param_name, feature_axis, type(self).__name__)
        self.model = model
        self.on = on
        self.param_name = param_name
        self.feature_axis = feature_axis

    def on_train_begin(self, continue_training: bool = False) -> None:
        """Call before training.

        Parameters
        ----------
        continue_training : bool, default=False
            Keep the variance of earlier runs and add to it, instead of
            starting over.
        """
        if not continue_training or not hasattr(self, "tracker_"):
            self._start_over(self.on, self.param_name, self.feature_axis)
        self.tracking_ = is_main_process()
        if self.tracking_:
            self.tracker_.begin(self.model)

    def on_batch_end(self) -> None:
        """Call after every optimizer step (needed in batch mode, harmless otherwise)."""
        if self._started("on_batch_end"):
            self.tracker_.after_step()

    def on_epoch_end(self) -> None:
        """Call after every epoch."""
        if self._started("on_epoch_end"):
            self.tracker_.after_epoch()

    def on_train_end(self) -> None:
        """Call after training; computes the importances from the final weights."""
        if self._started("on_train_end"):
            self._finish_tracking()

    def _started(self, method):
        """Whether this process tracks; an error if on_train_begin() was not called."""
        if not hasattr(self, "tracker_"):
            raise RuntimeError(f"Call on_train_begin() before {method}().")
        return self.tracking_

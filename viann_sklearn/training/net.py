"""The skorch net the estimators train, built in one place: ``NeuralNet`` without the per-batch work they do not use.

:func:`build_net` lists the net's callbacks, in the order they must run;
:class:`LeanNet` names them (``convergence_monitor``, ``variance_importance``,
``learning_rate_schedule``), so that neither the estimators nor the callbacks
look each other up by position or by string.
"""

import numpy as np
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog

from ..adapters.skorch_callbacks import VarianceImportance
from .batches import TensorBatches
from .monitors import ConvergenceMonitor, DivergenceGuard
from .solvers import LearningRateSchedule

__all__ = ["EpochLoss", "LeanNet", "QuietPrintLog", "build_net"]


def build_net(module, *, criterion, device, importance_on, schedule_settings, loop_settings, optimizer_settings):
    """The estimators' skorch net, initialized, with its callbacks in the order they must run.

    1. :class:`DivergenceGuard`: first, so that no other callback sees the
       weights of an epoch that diverged.
    2. :class:`~viann_sklearn.VarianceImportance` (unless ``importance_on`` is
       None), on the module's input weight: before the monitor, because it
       must see the epoch on which the monitor stops training.
    3. :class:`LearningRateSchedule` (unless ``schedule_settings`` is None, as
       for L-BFGS).
    4. :class:`ConvergenceMonitor`: last; it stops training and restores the
       best epoch.

    Parameters
    ----------
    module : MultiLayerPerceptron
        On ``device``, in the compute dtype.
    criterion : type
        The loss, a class of ``training.mlp.LOSSES``.
    device : torch.device
    importance_on : {"epoch", "batch"} or None
    schedule_settings : tuple or None
        ``LearningRateSchedule``'s ``(schedule, learning_rate_init, power_t)``.
    loop_settings, optimizer_settings : dict
        skorch's ``batch_size``, ``iterator_train__shuffle``, ``verbose``; its
        ``optimizer`` and ``optimizer__*`` arguments (see ``solvers.optimizer_settings``).

    Returns
    -------
    net : LeanNet
    """
    importance = None if importance_on is None else VarianceImportance(importance_on, module.input_weight_name)
    schedule = None if schedule_settings is None else LearningRateSchedule(*schedule_settings)
    callbacks = [
        ("divergence", DivergenceGuard()),
        ("variance_importance", importance),
        ("learning_rate", schedule),
        ("convergence", ConvergenceMonitor()),
    ]
    net = LeanNet(
        module,
        criterion=criterion,
        train_split=None,
        device=device,
        iterator_train=TensorBatches,
        callbacks=[(name, callback) for name, callback in callbacks if callback is not None],
        **loop_settings,
        **optimizer_settings,
    )
    return net.initialize()


class EpochLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring`` of the training loss, read straight from the epoch's batches.

    It records the same ``train_loss`` (the batch losses averaged with the
    batch sizes as weights, with ``np.average``'s arithmetic) and ``train_loss_best``;
    skorch's history slicing, which builds and checks its index at every
    epoch, cost more than the average itself on short epochs.
    """

    def __init__(self, name="train_loss", lower_is_better=True, on_train=True):
        super().__init__(name=name, lower_is_better=lower_is_better, on_train=on_train)

    def on_epoch_end(self, net, **kwargs):
        size_key = "train_batch_size" if self.on_train else "valid_batch_size"
        batches = [batch for batch in net.history[-1]["batches"] if self.name in batch]
        if not batches:
            return
        losses = np.array([batch[self.name] for batch in batches])
        sizes = np.array([batch[size_key] for batch in batches])
        # np.average's own arithmetic, without its argument checks: the same number to the last bit
        score = np.multiply(losses, sizes).sum() / sizes.sum(dtype=np.result_type(losses.dtype, sizes.dtype, "f8"))
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        net.history.record(self.name, score)
        if is_best is not None:
            net.history.record(self.name + "_best", bool(is_best))


class QuietPrintLog(PrintLog):
    """skorch's epoch table, built only when it will be printed.

    ``PrintLog`` formats the table every epoch and only then looks at
    ``verbose``: a tenth of a small network's training time, for nothing.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.verbose:
            super().on_epoch_end(net, **kwargs)


class LeanNet(NeuralNet):
    """skorch's ``NeuralNet`` without per-batch work the estimators do not use.

    - The optimizer steps directly: Adam and SGD need no closure, and no
      callback of ours listens to ``on_grad_computed``, whose generator of
      parameters skorch would otherwise build at every batch.
    - The default callbacks are those the estimators read: the training loss,
      and the epoch timer and log printed with ``verbose`` (and only then
      formatted). There is no skorch validation split, so no validation loss.
    - A batch event reaches only the callbacks that define a handler for it,
      and the module's train/eval mode is set only when it changes: both were
      per-batch Python work in skorch that showed up in profiles.

    Minibatch epochs of the built-in MLP do not call ``train_step`` at all:
    ``training.loop.minibatch_epoch`` trains them with the fused step
    (``training/fused.py``), and sets ``training_path_``: ``"fused"``, or
    ``"autograd: <why>"`` where the net trained through ``train_step``.
    """

    def notify(self, method_name, **cb_kwargs):
        getattr(self, method_name)(self, **cb_kwargs)
        for callback in self._listeners(method_name):
            getattr(callback, method_name)(self, **cb_kwargs)

    def _listeners(self, method_name):
        # Cached per callbacks_ list: skorch replaces the list whenever it
        # re-initializes the callbacks.
        cache = self.__dict__.get("_listener_cache")
        if cache is None or cache[0] is not self.callbacks_:
            cache = (self.callbacks_, {})
            self.__dict__["_listener_cache"] = cache
        listeners = cache[1].get(method_name)
        if listeners is None:
            base = getattr(Callback, method_name, None)
            listeners = [
                callback for _, callback in self.callbacks_ if getattr(type(callback), method_name, None) is not base
            ]
            cache[1][method_name] = listeners
        return listeners

    @property
    def convergence_monitor(self):
        """The :class:`ConvergenceMonitor` among the callbacks (None if there is none)."""
        return self._callback_of_type(ConvergenceMonitor)

    @property
    def variance_importance(self):
        """The :class:`~viann_sklearn.VarianceImportance` callback (None when importances are not tracked)."""
        return self._callback_of_type(VarianceImportance)

    @property
    def learning_rate_schedule(self):
        """The :class:`LearningRateSchedule` callback (None for L-BFGS)."""
        return self._callback_of_type(LearningRateSchedule)

    def _callback_of_type(self, callback_type):
        for _, callback in self.callbacks_:
            if isinstance(callback, callback_type):
                return callback
        return None

    def continue_with(self, loop_settings, optimizer_settings=None):
        """Apply the settings of a training run that continues this net: batches, shuffling, and a new optimizer.

        ``warm_start`` and ``partial_fit`` train on with the current
        parameters, as MLPClassifier does. Set directly rather than through
        ``set_params``: skorch's rejects some of these on an initialized net,
        and would re-initialize the callbacks (losing the VIANN variance) on others.

        Parameters
        ----------
        loop_settings : dict
            As for :func:`build_net`.
        optimizer_settings : dict, default=None
            A new optimizer with these settings (as for :func:`build_net`);
            None keeps the optimizer and its state.
        """
        for name, value in loop_settings.items():
            setattr(self, name, value)
        if optimizer_settings is None:
            return
        for name in [name for name in vars(self) if name.startswith("optimizer__")]:
            delattr(self, name)
        for name, value in optimizer_settings.items():
            setattr(self, name, value)
        self.initialize_optimizer()

    def _set_training(self, training=True):
        if self.module_.training != training or self.criterion_.training != training:
            super()._set_training(training)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_listener_cache", None)  # rebuilt on demand
        return state

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", EpochLoss()),
            ("print_log", QuietPrintLog()),
        ]

    def train_step(self, batch, **fit_params):
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        self.optimizer_.step()
        return step

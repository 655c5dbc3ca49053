"""How the estimators train: in-memory batches, a lean skorch net, the stopping rule."""

import contextvars
import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog
from skorch.dataset import Dataset
from torch.utils.data import Dataset as TorchDataset

from ._inputs import sparse_rows

__all__ = [
    "ConvergenceMonitor",
    "EpochLoss",
    "TensorBatches",
    "TrainingRows",
    "LeanNet",
    "QuietPrintLog",
    "fused_supported",
    "report_epochs",
]

# Who hears about finished epochs: the command line's progress bar. A context
# variable, not an estimator parameter, so that it never enters get_params,
# clones or pickles, and stays with the thread that set it.
_epoch_listener = contextvars.ContextVar("epoch_listener", default=None)


# The numpy dtype of sparse batches' values, from TrainingRows' torch dtype.
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


@contextmanager
def report_epochs(listener):
    """Call ``listener(epochs_done, epochs_planned, converged)`` after every epoch of the fits inside."""
    token = _epoch_listener.set(listener)
    try:
        yield
    finally:
        _epoch_listener.reset(token)


class TrainingRows(TorchDataset):
    """The training rows: features, targets and optional sample weights.

    ``X`` is a tensor on the training device, or a scipy CSR matrix that is
    never densified: each batch becomes a torch CSR tensor (see
    ``_inputs.sparse_rows``).

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
            index = self.positions[index]
        if torch.is_tensor(self.X):
            return self.X[index]
        if torch.is_tensor(index):
            index = index.cpu().numpy()
        values_dtype = self.X.dtype if self.dtype is None else _NUMPY_DTYPES[self.dtype]
        return sparse_rows(self.X[index], values_dtype, self.y.device)

    def targets(self, index):
        """Targets of the training rows ``index``, with their sample weights when there are any."""
        if self.positions is not None:
            index = self.positions[index]
        if self._all_sample_weight is None:
            return self.y[index]
        return self.y[index], self._all_sample_weight[index]


class TensorBatches:
    """Minibatches sliced from in-memory tensors: a skorch ``iterator_train``.

    skorch's default, a ``DataLoader`` over a ``Dataset``, indexes one sample
    at a time and collates the samples back into a batch: Python work per
    sample, which dominates small networks. Here each batch is one gather
    from tensors that already live on the training device, after one
    permutation per epoch (from a sparse matrix: one row gather, then one
    CSR tensor).

    The permutation is drawn exactly as ``DataLoader(shuffle=True)`` draws it
    (one global draw for the workers' base seed, one for the sampler's own
    generator), so a fixed ``random_state`` gives the very same batches, and
    so the same model and importances, as skorch's generic path.

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
        torch.empty((), dtype=torch.int64).random_()  # DataLoader's base seed, kept for the same stream
        if not self.shuffle:
            for start in range(0, n_samples, self.batch_size):
                batch = slice(start, start + self.batch_size)
                yield self.rows.rows(batch), self.rows.targets(batch)
            return
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        order = torch.randperm(n_samples, generator=torch.Generator().manual_seed(seed)).to(self.rows.y.device)
        for batch in order.split(self.batch_size):
            yield self.rows.rows(batch), self.rows.targets(batch)


class EpochLoss(PassthroughScoring):
    """skorch's ``PassthroughScoring`` of the training loss, read straight from the epoch's batches.

    It records the same ``train_loss`` (the batch losses averaged with the
    batch sizes as weights, by the same ``np.average``) and ``train_loss_best``;
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
        score = np.average([batch[self.name] for batch in batches], weights=[batch[size_key] for batch in batches])
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


@functools.cache
def fused_supported(optimizer, device_type):
    """Whether ``optimizer(..., fused=True)`` works on this device type in this torch.

    The fused kernels do the whole update in one pass instead of a chain of
    per-tensor operations: on a small network on the CPU, Adam's step was the
    largest cost after the backward pass.
    """
    try:
        optimizer([torch.zeros(1, device=device_type, requires_grad=True)], lr=0.1, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


class DivergenceGuard(Callback):
    """Catch a non-finite training loss before any other callback sees the epoch's weights.

    It comes first in the callbacks, so that VIANN never samples the
    diverged weights: :class:`ConvergenceMonitor` then raises scikit-learn's
    error, or (with a validation set) restores the best epoch.
    """

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        # The loss is computed before each step: the epoch's last step can leave
        # non-finite weights behind a finite loss, or weights whose squares (and
        # so VIANN's variance) overflow. One check over all parameters at once:
        # a check per tensor was a visible share of a short epoch.
        if math.isfinite(loss) and _squares_finite(list(net.module_.parameters())):
            return
        monitor = dict(net.callbacks_)["convergence"]
        monitor.epochs_run_ += 1  # the diverged epoch ran; the monitor will not see its end
        monitor._diverged(net, loss if not math.isfinite(loss) else float("nan"))


def _squares_finite(parameters):
    """Whether the squares of all parameters are finite: one host sync, not one per tensor.

    NaN and infinity in any entry propagate into its parameter's norm, and
    a square that overflows makes the squared norm overflow too. (So does
    a sum of squares that overflows, with weights that large diverged anyway.)
    """
    with torch.no_grad():
        norms = torch.stack(torch._foreach_norm(parameters))
        return bool(torch.isfinite(norms * norms).all())


class ConvergenceMonitor(Callback):
    """Stop training the way ``MLPClassifier`` does, and keep what it reports.

    Without a validation set, training stops once the training loss has not
    improved by at least ``tol`` for more than ``n_iter_no_change`` epochs in a
    row. With one (``early_stopping=True``), the validation score (accuracy or
    R²) is watched instead, and the weights of the best epoch are restored.

    The estimator calls :meth:`prepare` before every training run. The state
    (loss curve, best scores) lives until ``initialize``, i.e. a fresh fit.

    The restore happens inside ``on_epoch_end`` of the last epoch, not in
    ``on_train_end``: the VIANN callback sits before this one, so it sees
    every epoch's weights, and its ``on_train_end`` then sees the restored
    weights.
    """

    def initialize(self):
        self.loss_curve_ = []
        self.validation_scores_ = []
        self.best_loss_ = math.inf
        self.best_validation_score_ = -math.inf
        self.no_improvement_count_ = 0
        self.converged_ = False
        self.epochs_run_ = 0
        self._settings = None
        self._best_state = None
        self._live_state = None
        self._best_tracking = None
        self._tracker = None
        self._schedule = None
        self.diverged_ = False
        return self

    def prepare(
        self, *, epochs, tol, n_iter_no_change, may_stop, validation_score=None, baseline_score=None, verbose=False
    ):
        """Set the rule for the next training run.

        Parameters
        ----------
        epochs : int
            Epochs this run will train unless stopped.
        tol, n_iter_no_change : float, int
            As in ``MLPClassifier``.
        may_stop : bool
            False for ``partial_fit``, which always trains its one epoch.
        validation_score : callable, default=None
            Returns the current validation score (higher is better); ``None``
            watches the training loss.
        baseline_score : float, default=None
            The validation score of a constant prediction. While the network
            has not beaten it, epochs without improvement are not counted: a
            small network starting from small weights can sit on that
            plateau for dozens of epochs before it picks up the signal.
        verbose : bool, default=False
            Print scikit-learn's ``Iteration N, loss = ...`` line after every epoch.
        """
        self._settings = dict(
            epochs=epochs,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            may_stop=may_stop,
            validation_score=validation_score,
            baseline_score=baseline_score,
            verbose=verbose,
        )
        self.no_improvement_count_ = 0
        self.diverged_ = False
        self.converged_ = False
        self.epochs_run_ = 0
        self._best_state = None
        self._live_state = None
        self._best_tracking = None

    def on_train_begin(self, net, **kwargs):
        # The VIANN callback runs before this one; it tracks only on the
        # main process (see VarianceImportance).
        importance = dict(net.callbacks_).get("variance_importance")
        self._tracker = importance.tracker_ if getattr(importance, "tracking_", False) else None
        # "adaptive" learning rates decide whether a stop is a stop (see LearningRateSchedule)
        self._schedule = dict(net.callbacks_).get("learning_rate")

    def on_epoch_end(self, net, **kwargs):
        settings = self._settings
        loss = net.history[-1, "train_loss"]
        self.epochs_run_ += 1
        if not math.isfinite(loss):
            self._diverged(net, loss)
        self.loss_curve_.append(loss)
        if settings["verbose"]:
            print(f"Iteration {len(self.loss_curve_)}, loss = {loss:.8f}")
        tol = settings["tol"]
        if settings["validation_score"] is None:
            improved = loss <= self.best_loss_ - tol
            self.best_loss_ = min(self.best_loss_, loss)
        else:
            score = self._record_validation_score()
            improved = score >= self.best_validation_score_ + tol
            baseline = settings["baseline_score"]
            if baseline is not None and max(score, self.best_validation_score_) <= baseline:
                improved = True  # still on the constant-prediction plateau: not yet learning
            # Ties go to the later epoch: on a small validation set the score
            # plateaus within a few epochs (accuracy moves in steps of
            # 1 / n_validation), and the first epoch to reach the plateau
            # is often a barely trained network.
            if score >= self.best_validation_score_:
                self.best_validation_score_ = score
                self._keep_best(net)
        self.no_improvement_count_ = 0 if improved else self.no_improvement_count_ + 1

        stop = settings["may_stop"] and self.no_improvement_count_ > settings["n_iter_no_change"]
        if stop and self._schedule is not None and not self._schedule.trigger_stopping(settings["verbose"]):
            # "adaptive": a smaller learning rate, and the patience starts over
            stop, self.no_improvement_count_ = False, 0
        elif stop and settings["verbose"]:
            watched = "Training loss" if settings["validation_score"] is None else "Validation score"
            print(
                f"{watched} did not improve more than tol={tol:f} for "
                f"{settings['n_iter_no_change']} consecutive epochs. Stopping."
            )
        last_epoch = stop or self.epochs_run_ == settings["epochs"]
        if last_epoch:
            self._restore_best(net)
        listener = _epoch_listener.get()
        if listener is not None:
            listener(self.epochs_run_, settings["epochs"], stop)
        if stop:
            self.converged_ = True
            raise KeyboardInterrupt  # skorch's way to end training early

    def _record_validation_score(self):
        score = self._settings["validation_score"]()
        self.validation_scores_.append(score)
        if self._settings["verbose"]:
            print(f"Validation score: {score:f}")
        return score

    def _keep_best(self, net):
        # Copied into buffers allocated once per run: on a plateau every epoch
        # ties and is kept, and a fresh deep copy of the state each time cost
        # more than the epoch's own training on small data.
        if self._best_state is None:
            # state_dict's tensors share storage with the module's: copies into
            # them restore the module in place.
            self._live_state = list(net.module_.state_dict().values())
            self._best_state = [tensor.clone() for tensor in self._live_state]
        else:
            torch._foreach_copy_(self._best_state, self._live_state)
        if self._tracker is not None:
            self._best_tracking = self._tracker.checkpoint(reuse=self._best_tracking)

    def _restore_best(self, net):
        if self._best_state is None:
            return
        with torch.no_grad():
            torch._foreach_copy_(self._live_state, self._best_state)
        if self._best_tracking is not None:
            # The importances describe the network fit returns: the
            # variance ends at the restored epoch too.
            self._tracker.rollback(self._best_tracking)

    def _diverged(self, net, loss):
        """A non-finite training loss: restore the best epoch if there is one, else fail."""
        if self._settings["validation_score"] is not None:
            self._record_validation_score()
            if self._best_state is not None:
                # As MLPClassifier: the network of the best validation score survives a divergence.
                self._restore_best(net)
                self.diverged_ = True
                raise KeyboardInterrupt
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large values "
            f"and need to be preprocessed. (Training diverged: the training loss became {loss} at epoch "
            f"{self.epochs_run_}. Lower learning_rate_init or scale the inputs.)"
        )

    def on_train_end(self, net, **kwargs):
        # The closure holds validation tensors: do not keep them in a pickle.
        self._settings = None
        self._best_state = None
        self._live_state = None
        self._best_tracking = None
        self._tracker = None
        self._schedule = None

"""Solvers: the torch optimizer behind each ``solver``, learning-rate schedules, L-BFGS, seeding."""

import functools
from contextlib import contextmanager

import torch
from skorch.callbacks import Callback

from .fused import AUTOGRAD
from .loop import train_epochs

__all__ = [
    "LearningRateSchedule",
    "fit_lbfgs",
    "fused_supported",
    "lbfgs_settings",
    "optimizer_settings",
    "seeded_torch",
    "subnormals_flushed",
]


@contextmanager
def seeded_torch(seed, device):
    """Seed torch for one fit and give the caller back its own RNG state.

    Only the generators this fit draws from are seeded: the CPU's (initial
    weights, the permutations) and, on a GPU, that device's. ``torch.manual_seed``
    would also queue seeds for every other backend (CUDA, XPU, MTIA), each
    capturing a stack trace: milliseconds per fit, for nothing.
    """
    device = torch.device(device)
    forked = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked):
        torch.default_generator.manual_seed(seed)
        if device.type == "cuda":
            with torch.cuda.device(device.index or 0):
                torch.cuda.manual_seed(seed)
        yield


@contextmanager
def subnormals_flushed(device):
    """Flush subnormal numbers to zero on the CPU while a fit trains, then give the caller back its mode.

    Weights that only decay (a network that learns nothing under a strong L2
    penalty, such as Adam at ``alpha=1.0`` on the digits at batch 32) shrink
    towards 0, and they and Adam's moments fall below the smallest normal
    float32 (1.2e-38). Every operation on such subnormal numbers takes the
    CPU's slow path: that fit took five times as long as SGD's, in the
    matrix products and in the update alike. Flushed, as TensorFlow's CPU
    kernels flush them, numbers below that bound become 0 instead; no fit of
    ``tests/test_unchanged_numbers.py`` changed.

    The mode belongs to one thread, and a thread starts with its creator's.
    torch's worker threads are therefore started first, with the caller's
    mode, so that none of them is born flushing and keeps flushing after the
    fit: only the calling thread flushes. The network's operations are small
    enough (under torch's grain of 32,768 elements) to run on it.
    """
    if torch.device(device).type != "cpu":
        yield
        return
    # One operation above the grain size starts the worker threads, if they are not running yet.
    torch.ones(_PARALLEL_ELEMENTS).sum()
    was_flushing = _flushing_subnormals()
    if not torch.set_flush_denormal(True):  # a CPU without the instruction: nothing to do
        yield
        return
    try:
        yield
    finally:
        torch.set_flush_denormal(was_flushing)


# Above torch's intra-op grain size (32,768 elements), so that this many run on the worker threads.
_PARALLEL_ELEMENTS = 1 << 20


def _flushing_subnormals():
    # torch can set the mode but not read it: a result below the smallest normal float32 is 0 exactly when flushing.
    return float(torch.tensor(2e-38, dtype=torch.float32) / 100) == 0.0


def optimizer_settings(estimator, batch_size, device):
    """skorch's optimizer arguments for an estimator's ``solver`` and its settings."""
    if estimator.solver == "lbfgs":
        return lbfgs_settings(estimator)
    # alpha is MLPClassifier's L2 penalty, alpha / (2 * batch) * ||W||^2 on
    # weights only; its gradient is weight decay of alpha / batch, and
    # Adam's weight_decay is the same coupled L2 gradient (not AdamW).
    common = dict(
        lr=estimator.learning_rate_init,
        optimizer__weight_decay=estimator.alpha / batch_size,
        optimizer__param_groups=[("*bias", {"weight_decay": 0.0})],
    )
    if estimator.solver == "adam":
        settings = dict(
            common,
            optimizer=torch.optim.Adam,
            optimizer__betas=(estimator.beta_1, estimator.beta_2),
            optimizer__eps=estimator.epsilon,
        )
    else:
        settings = dict(
            common,
            optimizer=torch.optim.SGD,
            optimizer__momentum=estimator.momentum,
            optimizer__nesterov=bool(estimator.nesterovs_momentum and estimator.momentum > 0),
        )
    if fused_supported(settings["optimizer"], device.type):
        settings["optimizer__fused"] = True
    return settings


class LearningRateSchedule(Callback):
    """``MLPClassifier``'s ``learning_rate`` schedules for "sgd", applied to the torch optimizer.

    - "constant": ``learning_rate_init`` throughout.
    - "invscaling": after every epoch, ``learning_rate_init / (t + 1) ** power_t``,
      ``t`` the number of training samples seen so far (over ``warm_start``
      and ``partial_fit`` too).
    - "adaptive": when the stopping rule would stop training, the learning
      rate is divided by 5 instead, until it is at most 1e-6 (see
      :meth:`trigger_stopping`).

    Parameters
    ----------
    schedule : {"constant", "invscaling", "adaptive"}
    learning_rate_init : float
    power_t : float, default=0.5
    """

    def __init__(self, schedule, learning_rate_init, power_t=0.5):
        self.schedule = schedule
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t

    def initialize(self):
        self.samples_seen_ = 0
        self.restart()
        return self

    def restart(self, schedule=None, learning_rate_init=None, power_t=None):
        """Back to ``learning_rate_init``, as a new ``fit`` with ``warm_start`` starts, with that fit's settings.

        The settings given replace the schedule's own; the samples seen still count (for "invscaling").
        """
        if schedule is not None:
            self.schedule, self.learning_rate_init, self.power_t = schedule, learning_rate_init, power_t
        self.learning_rate_ = float(self.learning_rate_init)

    @property
    def learning_rate(self):
        """The current learning rate (the name scikit-learn's optimizers give it)."""
        return self.learning_rate_

    def on_train_begin(self, net, **kwargs):
        self._apply(net)

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        self.samples_seen_ += len(dataset_train)
        if self.schedule == "invscaling":
            self.learning_rate_ = float(self.learning_rate_init) / (self.samples_seen_ + 1) ** self.power_t
            self._apply(net)

    def trigger_stopping(self, verbose=False):
        """Whether training should stop now that the loss stopped improving; "adaptive" lowers the rate first."""
        if self.schedule != "adaptive":
            return True
        if self.learning_rate_ <= 1e-6:
            return True
        self.learning_rate_ /= 5.0
        if verbose:
            print(f"Setting learning rate to {self.learning_rate_:f}")
        for group in self._net_to_update.optimizer_.param_groups:
            group["lr"] = self.learning_rate_
        return False

    def _apply(self, net):
        self._net_to_update = net
        for group in net.optimizer_.param_groups:
            group["lr"] = self.learning_rate_

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_net_to_update", None)  # the net holds this callback: no cycle in pickles
        return state


def lbfgs_settings(estimator):
    """skorch's optimizer arguments for ``solver="lbfgs"``: torch's L-BFGS, stepped one iteration at a time."""
    return dict(
        optimizer=torch.optim.LBFGS,
        lr=1.0,
        optimizer__max_iter=1,
        # The evaluation budget (max_fun) is counted by fit_lbfgs across iterations.
        optimizer__max_eval=2**31 - 1,
        optimizer__tolerance_grad=estimator.tol,
        optimizer__tolerance_change=0.0,
        optimizer__history_size=10,
        optimizer__line_search_fn="strong_wolfe",
    )


def fit_lbfgs(net, rows, *, max_iter, max_fun, tol, alpha, chunk_rows=8192):
    """Full-batch L-BFGS on ``rows`` (a TrainingRows), through the net's callbacks.

    Each L-BFGS iteration is one "epoch" for the callbacks, so VIANN samples
    the weights after every iteration and ``ConvergenceMonitor`` records the
    loss. The loss is that of ``MLPClassifier``'s "lbfgs": the mean loss plus
    ``alpha / 2 * ||W||^2`` over the sample count (or weight sum), weights
    only. It is computed in row chunks (sparse rows stay sparse), with the
    gradients accumulated over chunks.

    Stops like scipy's L-BFGS-B in ``MLPClassifier``: at ``max_iter``
    iterations, at ``max_fun`` loss evaluations, when the largest gradient
    entry is at most ``tol``, or when the loss no longer changes (relative
    change below scipy's ``ftol``).

    Returns
    -------
    reason : str or None
        Why it stopped without converging ("max_iter" or "max_fun"), None if it converged.
    """
    module, optimizer, criterion = net.module_, net.optimizer_, net.criterion_
    parameters = [parameter for parameter in module.parameters() if parameter.requires_grad]
    weights = [parameter for name, parameter in module.named_parameters() if name.endswith("weight")]
    n_rows = len(rows)
    total_weight = float(n_rows if rows.sample_weight is None else rows.sample_weight.sum())
    total_weight = total_weight if total_weight > 0 else 1.0
    evaluations = 0
    cache = {}

    def loss_and_gradient():
        nonlocal evaluations
        point = torch.cat([parameter.detach().reshape(-1) for parameter in parameters])
        if "point" in cache and torch.equal(point, cache["point"]):
            # torch's L-BFGS evaluates at the start of each step() the point the
            # last line search ended on: the gradients are still in .grad.
            return cache["loss"]
        evaluations += 1
        optimizer.zero_grad()
        total = 0.0
        for start in range(0, n_rows, chunk_rows):
            chunk = slice(start, start + chunk_rows)
            targets = rows.targets(chunk)
            outputs = module(rows.rows(chunk))
            if rows.sample_weight is None:
                loss = criterion.per_sample(outputs, targets).sum() / total_weight
            else:
                loss = (criterion.per_sample(outputs, targets[0]) * targets[1]).sum() / total_weight
            loss.backward()
            total += float(loss.detach())
        penalty = 0.5 * alpha / total_weight * sum((weight**2).sum() for weight in weights)
        if alpha > 0:
            penalty.backward()
            total += float(penalty.detach())
        cache.update(point=point, loss=torch.tensor(total, dtype=torch.float64))
        return cache["loss"]

    outcome = {"reason": "max_iter", "iterations": 0, "loss_before": None, "loss_after": None}

    def lbfgs_iteration():
        net.notify("on_batch_begin", batch=None, training=True)
        outcome["loss_before"] = float(optimizer.step(loss_and_gradient))
        outcome["loss_after"] = current = float(loss_and_gradient())  # the loss where the iteration ended
        net.history.record_batch("train_loss", current)
        net.history.record_batch("train_batch_size", n_rows)
        net.notify("on_batch_end", batch=None, training=True)
        net.history.record("train_loss", current)

    def converged_or_out_of_budget():
        # The limits first, then convergence, in scipy's order (as MLPClassifier reports them).
        outcome["iterations"] += 1
        if outcome["iterations"] == max_iter:
            return True
        if evaluations > max_fun:
            outcome["reason"] = "max_fun"
            return True
        loss, current = outcome["loss_before"], outcome["loss_after"]
        largest_gradient = max(float(p.grad.abs().max()) for p in parameters if p.grad is not None)
        if largest_gradient <= tol or (loss - current) / max(abs(loss), abs(current), 1.0) <= _FTOL:
            outcome["reason"] = None
            return True
        return False

    net.training_path_ = f"{AUTOGRAD}: L-BFGS evaluates a closure of the loss over all rows"
    train_epochs(net, rows, max_iter, lbfgs_iteration, after_epoch=converged_or_out_of_budget)
    return outcome["reason"]


# scipy's L-BFGS-B default: stop when the loss's relative change is below this.
_FTOL = 2.220446049250313e-09


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

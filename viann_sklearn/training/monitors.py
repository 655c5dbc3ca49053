"""Watching training: divergence, MLPClassifier's stopping rule, and who hears about finished epochs."""

import contextvars
import math
from contextlib import contextmanager

import torch
from skorch.callbacks import Callback

__all__ = ["ConvergenceMonitor", "DivergenceGuard", "report_epochs"]


# Who hears about finished epochs: the command line's progress bar. A context
# variable, not an estimator parameter, so that it never enters get_params,
# clones or pickles, and stays with the thread that set it.
_epoch_listener = contextvars.ContextVar("epoch_listener", default=None)


@contextmanager
def report_epochs(listener):
    """Call ``listener(epochs_done, epochs_planned, converged)`` after every epoch of the fits inside."""
    token = _epoch_listener.set(listener)
    try:
        yield
    finally:
        _epoch_listener.reset(token)


class DivergenceGuard(Callback):
    """Catch a non-finite training loss before any other callback sees the epoch's weights.

    It comes first in the callbacks, so that VIANN never samples the
    diverged weights: :class:`ConvergenceMonitor` then raises scikit-learn's
    error, or (with a validation set) restores the best epoch.
    """

    def on_train_begin(self, net, **kwargs):
        # Listed once per run: walking the module for its parameters every
        # epoch took a twentieth of a small network's training time.
        self._parameters = list(net.module_.parameters())

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        # The loss is computed before each step: the epoch's last step can leave
        # non-finite weights behind a finite loss, or weights whose squares (and
        # so VIANN's variance) overflow. One check over all parameters at once:
        # a check per tensor was a visible share of a short epoch.
        if math.isfinite(loss) and _squares_finite(self._parameters):
            return
        net.convergence_monitor.end_diverged_epoch(net, loss if not math.isfinite(loss) else float("nan"))

    def on_train_end(self, net, **kwargs):
        self._parameters = None  # no second reference to the weights in a pickle


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
        importance = net.variance_importance
        self._tracker = importance.tracker_ if getattr(importance, "tracking_", False) else None
        # "adaptive" learning rates decide whether a stop is a stop (see LearningRateSchedule)
        self._schedule = net.learning_rate_schedule

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

    def end_diverged_epoch(self, net, loss):
        """End training on an epoch whose loss or weights are not finite, before this callback's ``on_epoch_end``.

        :class:`DivergenceGuard` calls it, so that no callback after the
        guard sees that epoch's weights.
        """
        self.epochs_run_ += 1  # the diverged epoch ran; on_epoch_end will not see it
        self._diverged(net, loss)

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

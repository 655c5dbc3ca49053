"""Stopping rule and training record of the estimators, as a skorch callback."""

import copy
import math

from skorch.callbacks import Callback

__all__ = ["ConvergenceMonitor"]


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
        return self

    def prepare(self, *, epochs, tol, n_iter_no_change, may_stop, validation_score=None):
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
        """
        self._settings = dict(epochs=epochs, tol=tol, n_iter_no_change=n_iter_no_change,
                              may_stop=may_stop, validation_score=validation_score)
        self.no_improvement_count_ = 0
        self.converged_ = False
        self.epochs_run_ = 0
        self._best_state = None

    def on_epoch_end(self, net, **kwargs):
        settings = self._settings
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            raise ValueError(
                f"Training diverged: the training loss became {loss} at epoch "
                f"{len(self.loss_curve_) + 1}. Lower learning_rate_init or scale the inputs."
            )
        self.loss_curve_.append(loss)
        self.epochs_run_ += 1
        tol = settings["tol"]
        if settings["validation_score"] is None:
            improved = loss <= self.best_loss_ - tol
            self.best_loss_ = min(self.best_loss_, loss)
        else:
            score = settings["validation_score"]()
            self.validation_scores_.append(score)
            improved = score >= self.best_validation_score_ + tol
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_state = copy.deepcopy(net.module_.state_dict())
        self.no_improvement_count_ = 0 if improved else self.no_improvement_count_ + 1

        stop = settings["may_stop"] and self.no_improvement_count_ > settings["n_iter_no_change"]
        last_epoch = stop or self.epochs_run_ == settings["epochs"]
        if last_epoch and self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
        if stop:
            self.converged_ = True
            raise KeyboardInterrupt  # skorch's way to end training early

    def on_train_end(self, net, **kwargs):
        # The closure holds validation tensors: do not keep them in a pickle.
        self._settings = None
        self._best_state = None

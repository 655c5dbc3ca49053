"""The one implementation of VIANN tracking that every adapter drives.

:class:`InputWeightVariance` knows torch modules but no training framework:
the skorch callback and the plain-PyTorch tracker call its methods at the right
moments of their training loops, and the Keras callback hands it its kernel
through :meth:`InputWeightVariance.track`.
"""

import copy
import math
import warnings

import numpy as np
import torch

from .layers import ForwardOrderProbe, first_input_weight, input_weight_by_name, unwrap_model
from .moments import RunningMoments
from .scores import _normalize, min_max_scale, viann_scores

__all__ = ["InputWeightVariance", "ImportanceResultsMixin", "TRACKING_MODES"]

TRACKING_MODES = ("epoch", "batch")


def check_tracking_options(on, param_name, feature_axis, owner):
    """Validate the options every adapter shares; errors name the parameter."""
    if on not in TRACKING_MODES:
        raise ValueError(f"{owner}: on must be 'epoch' or 'batch'; got {on!r}.")
    if param_name is not None and not isinstance(param_name, str):
        raise ValueError(f"{owner}: param_name must be a str or None; got {param_name!r}.")
    if feature_axis is not None and (isinstance(feature_axis, bool) or not isinstance(feature_axis, int)):
        raise ValueError(f"{owner}: feature_axis must be an int or None; got {feature_axis!r}.")


class InputWeightVariance:
    """Running variance of a model's input weights and the VIANN importances.

    Drive it from a training loop:

    - :meth:`begin` before training (again when training continues);
    - :meth:`after_step` after every optimizer step;
    - :meth:`after_epoch` after every epoch;
    - :meth:`end` after training; it returns the results.

    The weights training starts from count as the first sample: the move
    from the initial weights to the first update is part of how much a
    weight changed. (The original VIANN code dropped it.)

    Parameters
    ----------
    on : {"epoch", "batch"}, default="epoch"
        Take a sample after every epoch (the paper) or after every step.
    param_name : str, default=None
        Qualified name of the parameter to track. ``None`` tracks the first
        connection weight that the forward pass runs.
    feature_axis : int, default=None
        Axis of the tracked weight that indexes input features. ``None``
        infers it from the layer type.
    """

    def __init__(self, on="epoch", param_name=None, feature_axis=None):
        check_tracking_options(on, param_name, feature_axis, type(self).__name__)
        self.on = on
        self.param_name = param_name
        self.feature_axis = feature_axis
        self.moments = RunningMoments()
        self.history = []  # raw scores after each epoch (CPU, float64); normalised when read
        self.epochs = 0
        self._input_weight = None  # only held while training: never pickled with a model
        self._model = None
        self._probe = None
        self._stepped_since_sample = False

    @property
    def tracked(self):
        """The :class:`InputWeight` being tracked, or None outside training."""
        return self._input_weight

    def begin(self, model):
        """Start (or continue) tracking ``model`` before a training run."""
        model = unwrap_model(model)
        self._stepped_since_sample = False
        if self.param_name is not None:
            self.track(input_weight_by_name(model, self.param_name, self.feature_axis))
        else:
            self._probe = ForwardOrderProbe(model, self.track, self.feature_axis)
        self._model = model

    def track(self, input_weight):
        """Start (or continue) tracking an :class:`InputWeight` from any framework."""
        value = torch.as_tensor(input_weight.read())
        if self.moments.count and tuple(self.moments.mean.shape) != tuple(value.shape):
            raise ValueError(
                f"The tracked weight {input_weight.name!r} changed shape from "
                f"{tuple(self.moments.mean.shape)} to {tuple(value.shape)}; "
                "start a fresh fit instead of continuing this one."
            )
        self._input_weight = input_weight
        self.param_name = input_weight.name
        # Apple MPS has no float64: accumulate on the CPU there.
        self.moments.to("cpu" if value.device.type == "mps" else value.device)
        if self.moments.count == 0:
            self.moments.update(value)  # the weights training starts from

    def after_step(self):
        """Record that the weights changed; in batch mode, take a sample."""
        self._stepped_since_sample = True
        if self.on == "batch" and self._input_weight is not None:
            self._sample()

    def after_epoch(self):
        """Take the epoch's sample (epoch mode) and log the importances so far."""
        self.epochs += 1
        if self._input_weight is None:
            self._fall_back_to_registration_order()
        if self.on == "epoch" or self._stepped_since_sample:
            self._sample()
        if self.moments.count >= 2:
            # Raw scores from the unscaled sum of squares: the 1 / (n - 1) of
            # the variance cancels when a row is normalised, so a few small
            # operations and one copy to the host are all an epoch costs.
            tracked = self._input_weight
            scores = viann_scores(self.moments.m2, tracked.read(), tracked.feature_axis, tracked.groups).cpu()
            self._check_finite(scores)
            self.history.append(scores)

    def end(self):
        """Finish a training run and return its results.

        Returns
        -------
        results : dict or None
            ``variances``, ``scores`` and ``feature_importances`` as float64
            numpy arrays, computed from the weights the model ends with.
            ``None`` (with a warning) when no weight update happened at all.
        """
        if self._probe is not None:
            self._probe.remove()
            self._probe = None
        if self._input_weight is None and self._stepped_since_sample:
            self._fall_back_to_registration_order()
        if self.moments.count < 2 and self._stepped_since_sample:
            # Training stopped inside the first epoch: the weights it reached
            # are the only other sample there is.
            self._sample()
        results = None
        if self.moments.count < 2:
            warnings.warn(
                "VIANN has no importances: training stopped before the first weight "
                "update, so there is no change of weights to measure.",
                UserWarning,
                stacklevel=2,
            )
        else:
            self._check_finite(self.moments.m2)
            variances, scores, importances, all_zero = self._compute()
            if all_zero:
                warnings.warn(
                    f"All VIANN scores are zero: the tracked weight {self.param_name!r} "
                    "never changed during training. Importances are uniform.",
                    UserWarning,
                    stacklevel=2,
                )
            results = {
                "variances": variances.cpu().numpy(),
                "scores": scores.cpu().numpy(),
                "feature_importances": importances.cpu().numpy(),
            }
        self._input_weight = None
        self._model = None
        return results

    def checkpoint(self, reuse=None):
        """The statistics as they are now, for :meth:`rollback`.

        Early stopping restores the weights of its best epoch; rolling the
        statistics back to that epoch too keeps the importances those of the
        network that training returns, not of the epochs after it that were
        thrown away.

        Parameters
        ----------
        reuse : dict, default=None
            An earlier checkpoint that is no longer needed: it is overwritten
            and returned, so that keeping the best epoch allocates the
            statistics' memory (two float64 copies of the tracked weight)
            once per run, not once per improving epoch.
        """
        moments = self.moments.copy(into=None if reuse is None else reuse["moments"])
        return dict(moments=moments, n_history=len(self.history), epochs=self.epochs)

    def rollback(self, checkpoint):
        """Return to the statistics of an earlier :meth:`checkpoint` (of this training run).

        The checkpoint stays valid: it is copied into the running statistics' own memory.
        """
        checkpoint["moments"].copy(into=self.moments)
        del self.history[checkpoint["n_history"] :]
        self.epochs = checkpoint["epochs"]
        self._stepped_since_sample = False

    def _sample(self):
        self.moments.update(self._input_weight.read())
        self._stepped_since_sample = False

    def _compute(self):
        """Variances, scores, importances and whether all scores are zero."""
        variances = self.moments.variance()
        tracked = self._input_weight
        scores = viann_scores(variances, tracked.read(), tracked.feature_axis, tracked.groups)
        importances, all_zero = _normalize(scores)
        return variances, scores, importances, all_zero

    def _fall_back_to_registration_order(self):
        # The probe never fired (no forward pass, or a compiled model that
        # bypasses hooks): use the first weight in registration order and
        # start from the weights as they are now.
        if self._probe is not None:
            self._probe.remove()
            self._probe = None
        input_weight = first_input_weight(self._model, self.feature_axis)
        if input_weight is None:
            raise ValueError(
                f"{type(self._model).__name__} has no trainable weight to track; pass param_name to choose a parameter."
            )
        warnings.warn(
            f"VIANN could not observe a forward pass and tracks {input_weight.name!r}, "
            "the first weight in registration order, from the current epoch on. "
            "Pass param_name to choose the input layer explicitly.",
            UserWarning,
            stacklevel=3,
        )
        self.track(input_weight)

    def _check_finite(self, values):
        # NaN or infinity from any batch propagates into m2, from m2 into the
        # scores and from them into their sum: one scalar check per epoch.
        if not math.isfinite(values.sum().item()):
            raise ValueError(
                f"Training diverged: the tracked weight {self.param_name!r} became NaN "
                f"or infinite by epoch {self.epochs}. Lower the learning rate or scale "
                "the inputs."
            )

    def importances_history(self):
        """Importances after each epoch, shape (n_epochs, n_features), rows summing to 1."""
        if not self.history:
            return np.empty((0, 0))
        scores = torch.stack(self.history)
        totals = scores.sum(dim=1, keepdim=True)
        uniform = torch.full_like(scores, 1.0 / scores.shape[1])
        return torch.where(totals > 0, scores / totals.clamp_min(torch.finfo(scores.dtype).tiny), uniform).numpy()

    def __getstate__(self):
        # What only makes sense during a training run (hooks, a closure over
        # the live parameter, the model) stays out of pickles; the statistics
        # travel on the CPU, so a model trained on a GPU unpickles anywhere.
        # track() moves them back to the weights' device when training goes on.
        state = dict(self.__dict__, _input_weight=None, _model=None, _probe=None)
        moments = copy.copy(self.moments)
        state["moments"] = moments.to("cpu")
        return state


class ImportanceResultsMixin:
    """The results every adapter exposes, read from its ``tracker_``.

    ``finish_tracking`` ends the run and publishes ``variances_``, ``scores_``
    and ``feature_importances_``; they do not exist before the first run ends.
    """

    _RESULT_ATTRIBUTES = ("variances_", "scores_", "feature_importances_")

    def _start_over(self, on, param_name, feature_axis):
        self.tracker_ = InputWeightVariance(on, param_name, feature_axis)
        for name in self._RESULT_ATTRIBUTES:
            self.__dict__.pop(name, None)

    def _finish_tracking(self):
        results = self.tracker_.end()
        if results is not None:
            self.variances_ = results["variances"]
            self.scores_ = results["scores"]
            self.feature_importances_ = results["feature_importances"]

    @property
    def var_scores(self):
        """Scores min-max scaled to [0, 1], as the original VIANN code reported them."""
        return min_max_scale(self.scores_).numpy()

    @property
    def importances_history_(self):
        """Importances after each epoch, shape (n_epochs, n_features)."""
        return self.tracker_.importances_history()

    @property
    def param_name_(self):
        """Name of the tracked weight."""
        return self.tracker_.param_name

    @property
    def n_samples_(self):
        """Number of weight snapshots the variance is computed from."""
        return self.tracker_.moments.count

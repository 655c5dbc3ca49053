"""Several independent MLPs trained in one pass: stacked weights, batched matrix products, one loop.

``VIANNSelector`` trains a dozen small networks on the same rows, each with
its own shadow columns, initialisation and validation split. On the tables it
meets (tens to a few thousand rows, tens of columns) a step of one such
network is a handful of tiny matrix products, and the time goes to calling
them, not to their arithmetic. :func:`train_side_by_side` stacks ``K``
networks' weights along a leading axis and trains them together: each
operation of a step (``torch.baddbmm`` forward, ``torch.bmm`` backward, the
SGD update) runs once for all ``K``, so a step of ``K`` networks costs little
more than a step of one.

The networks do not interact: each has its own data, targets, weights,
momentum, batch order, early stopping and VIANN variance, and the loss of
each depends on its weights only, so its gradients are those it would get
alone. What they share is the loop: a network whose training has stopped
leaves the stack (its result is kept), and the loop ends when none is left.

The step is written out (forward, the loss's gradient, backward, update),
as :mod:`~viann_sklearn.training.fused` does for one network, with the
semantics of the estimators' defaults: SGD with (Nesterov) momentum at a
constant learning rate, L2 penalty as weight decay on the weights, half
squared error or softmax cross-entropy, early stopping on the validation
score (accuracy or R²) with the best epoch restored and the variance rolled
back to it, or on the training loss without validation rows. The variance
is :class:`~viann_sklearn.method.moments.RunningMoments`' and the scores
:func:`~viann_sklearn.method.scores.viann_scores`, the core every adapter
shares. ``tests/test_side_by_side.py`` checks a stack of networks against
the same networks trained one at a time, step for step.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..method.moments import RunningMoments
from ..method.scores import viann_scores
from .fused import ACTIVATE_IN_PLACE, ACTIVATION_BACKWARD

__all__ = ["SideBySideSettings", "MemberResult", "ACTIVATIONS", "train_side_by_side"]

#: Hidden activations the written-out step supports (the fused step's kernels, which take any shape).
ACTIVATIONS = tuple(ACTIVATE_IN_PLACE)
LOSSES = ("cross_entropy", "squared_error")


@dataclass(frozen=True)
class SideBySideSettings:
    """How every network of the stack trains: the estimators' parameters of the same names.

    ``weight_decay`` is the L2 penalty's gradient factor, ``alpha / batch_size``
    (see ``training.solvers.optimizer_settings``); ``patience`` the epochs
    without improvement that end training (``estimators.early_stopping.patience``);
    ``n_outputs`` the classes for ``"cross_entropy"``, 1 for ``"squared_error"``.
    """

    hidden_layer_sizes: tuple
    n_outputs: int
    loss: str = "squared_error"
    activation: str = "relu"
    weight_init: object = 0.05
    learning_rate: float = 0.01
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 0.0
    batch_size: int = 200
    max_iter: int = 200
    tol: float = 1e-4
    patience: int = 10
    shuffle: bool = True


@dataclass
class MemberResult:
    """What one network of the stack ends with.

    ``scores`` are the raw VIANN scores of its inputs (``sum_j var(w_ij) *
    |w_ij|``, in the standardised inputs' units, as the estimators compute
    them); ``converged``: its stopping rule ended it before ``max_iter``;
    ``diverged``: its outputs stopped being finite, and its best epoch was
    restored; ``best_validation_score`` and ``baseline_validation_score`` are
    None without validation rows.
    """

    scores: np.ndarray
    n_iter: int
    converged: bool
    diverged: bool = False
    best_validation_score: float | None = None
    baseline_validation_score: float | None = None


def train_side_by_side(inputs, targets, settings, seeds, validation=None, baselines=None):
    """Train ``K`` independent MLPs together and return each one's VIANN scores.

    Parameters
    ----------
    inputs : torch.Tensor of shape (K, n_rows, n_features)
        Each network's training rows, already standardised; float32 or float64
        (the networks train in that dtype, on that device).
    targets : torch.Tensor of shape (K, n_rows)
        Class indices (int64) for ``"cross_entropy"``; values for ``"squared_error"``.
    settings : SideBySideSettings
    seeds : sequence of int, length K
        Each network's initial weights and batch order.
    validation : tuple of two tensors, default=None
        ``(inputs, targets)`` of shapes (K, n_validation, n_features) and
        (K, n_validation): early stopping on the validation score, the best
        epoch restored. None stops on the training loss.
    baselines : sequence of float, default=None
        With ``validation``, each network's constant-prediction score: epochs
        on which the network is no better do not count against its patience
        (``early_stopping="auto"``). None counts every epoch.

    Returns
    -------
    results : list of MemberResult, one per network, in order

    Examples
    --------
    >>> import torch
    >>> generator = torch.Generator().manual_seed(0)
    >>> X = torch.randn(3, 100, 4, generator=generator, dtype=torch.float64)
    >>> y = X[:, :, 0] * 2.0  # each network's target depends on its first input only
    >>> settings = SideBySideSettings(hidden_layer_sizes=(16,), n_outputs=1, max_iter=30, batch_size=50)
    >>> results = train_side_by_side(X, y, settings, seeds=[0, 1, 2])
    >>> [int(result.scores.argmax()) for result in results]
    [0, 0, 0]
    """
    if settings.loss not in LOSSES:
        raise ValueError(f"train_side_by_side: loss must be one of {LOSSES}; got {settings.loss!r}.")
    if settings.activation not in ACTIVATIONS:
        raise ValueError(
            f"train_side_by_side: activation must be one of {tuple(ACTIVATIONS)}; got {settings.activation!r}."
        )
    n_members, n_rows, n_features = inputs.shape
    if len(seeds) != n_members or targets.shape[:2] != (n_members, n_rows):
        raise ValueError("train_side_by_side: inputs, targets and seeds must describe the same networks.")
    with torch.no_grad():  # the step is written out: no autograd graph
        stack = _Stack(inputs, targets, settings, seeds, validation, baselines)
        while stack.active.numel():
            stack.train_epoch()
            stack.end_epoch()
    return stack.results


def _rows_in_order(stacked, orders):
    """``stacked[k, orders[k]]`` for every network ``k``: its rows in its own order.

    One ``index_select`` on the rows of all the networks laid end to end. Indexing
    ``stacked[arange(K)[:, None], orders]`` gives the same tensor, but its general
    kernel took 3.5 ms where this takes 0.2 ms, for 8 networks of 1,800 rows and 48
    columns: about as long as the epoch's nine steps of 200 rows.
    """
    n_members, n_rows = orders.shape
    starts = torch.arange(n_members, device=orders.device)[:, None] * stacked.shape[1]
    rows = stacked.reshape(n_members * stacked.shape[1], *stacked.shape[2:])
    return rows.index_select(0, (orders + starts).flatten()).view(n_members, n_rows, *stacked.shape[2:])


def _output_layer(bias, rows, output_weight):
    """The output layer's ``rows @ W + bias`` of every network, from ``W`` laid out as (K, n_outputs, n_in).

    Computed as ``(W^T rows^T + bias^T)^T``, so that the product's last axis is
    the rows, not the one to ten outputs: batched products whose last axis is
    that narrow took 3 to 4 times as long (8 networks, 200 rows, 100 hidden
    units: 370 against 100 microseconds, the same for the weights' gradient),
    and were most of a step's time. The result is a (K, n_rows, n_outputs) view.
    """
    return torch.baddbmm(bias.transpose(1, 2), output_weight, rows.transpose(1, 2)).transpose(1, 2)


def _output_layer_upstream(gradient, output_weight):
    """``gradient @ W^T`` for the output layer's ``W`` laid out (K, n_outputs, n_in): the gradient at its inputs."""
    if output_weight.shape[1] == 1:
        # One output: an outer product, which a broadcast product computes exactly, in a third of bmm's time.
        return gradient * output_weight
    return torch.bmm(gradient, output_weight)


def _diverged():
    # The estimators' message (ConvergenceMonitor), for a network with no finite epoch to restore.
    return ValueError(
        "Solver produced non-finite parameter weights. The input data may contain large values and need to be "
        "preprocessed. (Training diverged: lower learning_rate_init or scale the inputs.)"
    )


class _Stack:
    """The networks still training: their weights, optimizer and stopping state, stacked on axis 0."""

    def __init__(self, inputs, targets, settings, seeds, validation, baselines):
        self.settings = settings
        self.inputs = inputs
        self.targets = self._loss_targets(targets)
        n_members, self.n_rows, n_features = inputs.shape
        options = dict(dtype=inputs.dtype, device=inputs.device)
        widths = [n_features, *settings.hidden_layer_sizes, settings.n_outputs]
        # Weights as (K, n_in, n_out): a layer is baddbmm(bias, X, W), with no transposes.
        self.weights = [torch.empty((n_members, n_in, n_out), **options) for n_in, n_out in zip(widths, widths[1:])]
        self.biases = [torch.zeros((n_members, 1, n_out), **options) for n_out in widths[1:]]
        for member, seed in enumerate(seeds):
            self._initialize(member, torch.Generator(device=inputs.device).manual_seed(int(seed)))
        self.parameters = [*self.weights, *self.biases]
        self.momentum_buffers = None
        # One batch order per network: its own generator, as each would shuffle alone.
        self.generators = [torch.Generator(device=inputs.device).manual_seed(int(seed) + 1) for seed in seeds]
        self.validation = None if validation is None else (validation[0], self._loss_targets(validation[1]))
        self.baselines = None if baselines is None else torch.as_tensor(baselines, dtype=torch.float64)
        # VIANN: the first layer's weights, as (K, n_hidden, n_features) like nn.Linear's weight.
        self.moments = RunningMoments().update(self._tracked_weight())
        self.active = torch.arange(n_members)
        self.epochs = 0
        self.best_score = torch.full((n_members,), -math.inf, dtype=torch.float64)
        self.best_loss = torch.full((n_members,), math.inf, dtype=torch.float64)
        self.waiting = torch.zeros(n_members, dtype=torch.long)
        self.best = None  # with validation: each network's best epoch (weights and moments)
        self.results = [None] * n_members
        self._epoch_losses = None
        self._minus_ones_buffer = None

    def _loss_targets(self, targets):
        if self.settings.loss == "cross_entropy":
            return targets.to(torch.long)
        return targets.reshape(targets.shape[0], targets.shape[1], 1).to(self.inputs.dtype)

    def _initialize(self, member, generator):
        # The estimators' MultiLayerPerceptron: a normal of that standard deviation with zero biases,
        # or MLPClassifier's Glorot-uniform for weights and biases.
        factor = 2.0 if self.settings.activation == "logistic" else 6.0
        for weight, bias in zip(self.weights, self.biases):
            n_in, n_out = weight.shape[1:]
            # Drawn in nn.Linear's (out, in) order, then laid out as (in, out).
            drawn = torch.empty((n_out, n_in), dtype=weight.dtype, device=weight.device)
            if self.settings.weight_init == "glorot_uniform":
                bound = math.sqrt(factor / (n_in + n_out))
                weight[member] = drawn.uniform_(-bound, bound, generator=generator).t()
                bias[member, 0] = torch.empty(n_out, dtype=bias.dtype, device=bias.device).uniform_(
                    -bound, bound, generator=generator
                )
            else:
                weight[member] = drawn.normal_(0.0, float(self.settings.weight_init), generator=generator).t()

    def _tracked_weight(self):
        return self.weights[0].transpose(1, 2)

    # -------------------------------------------------------------- training
    def train_epoch(self):
        settings = self.settings
        n_members = len(self.active)
        if settings.shuffle:
            orders = torch.stack(
                [torch.randperm(self.n_rows, generator=self.generators[int(member)]) for member in self.active]
            ).to(self.inputs.device)
        else:
            orders = torch.arange(self.n_rows, device=self.inputs.device).expand(n_members, -1)
        # Each network's rows in its order for this epoch, gathered once: its batches are then slices.
        inputs, targets = _rows_in_order(self.inputs, orders), _rows_in_order(self.targets, orders)
        # The training loss decides only without validation rows (with them, a diverged network
        # shows in its validation outputs): otherwise it is not computed.
        total = None if self.validation is not None else torch.zeros(n_members, dtype=self.inputs.dtype)
        for start in range(0, self.n_rows, settings.batch_size):
            stop = start + settings.batch_size
            batch_loss = self._step(inputs[:, start:stop], targets[:, start:stop], with_loss=total is not None)
            if total is not None:
                total.add_(batch_loss.cpu(), alpha=min(stop, self.n_rows) - start)
        self._epoch_losses = None if total is None else total.to(torch.float64) / self.n_rows
        self.epochs += 1

    def _step(self, X, y, with_loss):
        """One SGD step of every network on its batch; each network's mean batch loss (``with_loss``), else None."""
        activate = ACTIVATE_IN_PLACE[self.settings.activation]
        activation_backward = ACTIVATION_BACKWARD[self.settings.activation]
        layer_inputs = [X]
        last = len(self.weights) - 1
        for weight, bias in zip(self.weights[:last], self.biases[:last]):
            layer_inputs.append(activate(torch.baddbmm(bias, layer_inputs[-1], weight)))
        # The output layer's weights laid out (K, n_outputs, n_in) for this step: see _output_layer.
        output_weight = self.weights[last].transpose(1, 2).contiguous()
        outputs = _output_layer(self.biases[last], layer_inputs[-1], output_weight)
        n_rows = X.shape[1]
        loss = None
        if self.settings.loss == "cross_entropy":
            log_probabilities = torch.log_softmax(outputs, dim=2)
            if with_loss:
                loss = -log_probabilities.gather(2, y[:, :, None]).mean(dim=(1, 2))
            # d mean cross-entropy / d logits: (softmax - one-hot) / n_rows
            gradient = log_probabilities.exp_()
            gradient.scatter_add_(2, y[:, :, None], self._minus_ones(y))
            gradient.div_(n_rows)
        else:
            residuals = outputs.sub_(y)
            if with_loss:
                loss = 0.5 * (residuals * residuals).mean(dim=(1, 2))
            gradient = residuals.div_(n_rows * residuals.shape[2])
        weight_gradients, bias_gradients = [None] * len(self.weights), [None] * len(self.weights)
        for index in range(last, -1, -1):
            if index == last:
                # (gradient^T A)^T: the same products as A^T gradient, with the wide axis last (see
                # _output_layer); made contiguous, as the fused update reads a gradient in its weight's layout.
                weight_gradients[index] = (
                    torch.bmm(gradient.transpose(1, 2), layer_inputs[index]).transpose(1, 2).contiguous()
                )
            else:
                weight_gradients[index] = torch.bmm(layer_inputs[index].transpose(1, 2), gradient)
            bias_gradients[index] = gradient.sum(dim=1, keepdim=True)
            if index == 0:
                break
            if index == last:
                upstream = _output_layer_upstream(gradient, output_weight)
            else:
                upstream = torch.bmm(gradient, self.weights[index].transpose(1, 2))
            # layer_inputs[index] is the previous layer's activated output, which the activation's backward reads.
            gradient = activation_backward(upstream, layer_inputs[index])
        self._update(weight_gradients, bias_gradients)
        return loss

    def _minus_ones(self, y):
        shape = (*y.shape, 1)
        if self._minus_ones_buffer is None or self._minus_ones_buffer.shape != shape:
            self._minus_ones_buffer = torch.full(shape, -1.0, dtype=self.inputs.dtype, device=y.device)
        return self._minus_ones_buffer

    def _update(self, weight_gradients, bias_gradients):
        """torch.optim.SGD's update with its fused kernel: weight decay on the weights only, (Nesterov) momentum."""
        settings = self.settings
        first_step = self.momentum_buffers is None
        if first_step:
            self.momentum_buffers = [torch.zeros_like(parameter) for parameter in self.parameters]
        n_weights = len(self.weights)
        for parameters, gradients, buffers, weight_decay in (
            (self.weights, weight_gradients, self.momentum_buffers[:n_weights], settings.weight_decay),
            (self.biases, bias_gradients, self.momentum_buffers[n_weights:], 0.0),
        ):
            torch._fused_sgd_(
                parameters,
                gradients,
                buffers if settings.momentum else [],
                weight_decay=weight_decay,
                momentum=settings.momentum,
                lr=settings.learning_rate,
                dampening=0.0,
                nesterov=settings.nesterov,
                maximize=False,
                is_first_step=first_step,
            )

    # -------------------------------------------------------------- stopping
    def end_epoch(self):
        settings = self.settings
        losses = self._epoch_losses
        self.moments.update(self._tracked_weight())
        if self.validation is None:
            diverged = ~torch.isfinite(losses)
            improved = losses <= self.best_loss[self.active] - settings.tol
            self.best_loss[self.active] = torch.minimum(self.best_loss[self.active], losses)
            if diverged.any():
                raise _diverged()
        else:
            scores, diverged = self._validation_scores()
            best = self.best_score[self.active]
            improved = scores >= best + settings.tol
            if self.baselines is not None:
                # Still on the constant-prediction plateau: not yet learning, so not waiting either.
                improved |= torch.maximum(scores, best) <= self.baselines[self.active]
            # Ties go to the later epoch, as ConvergenceMonitor's: on a small validation set the
            # first epoch to reach a plateau is often a barely trained network.
            self._keep_best(scores >= best)
            self.best_score[self.active] = torch.where(scores >= best, scores, best)
        waiting = torch.where(improved, 0, self.waiting[self.active] + 1)
        self.waiting[self.active] = waiting
        stopped = (waiting > settings.patience) | diverged
        out_of_epochs = self.epochs >= settings.max_iter
        if out_of_epochs or stopped.any():
            self._finish(torch.ones_like(stopped) if out_of_epochs else stopped, stopped & ~diverged, diverged)

    def _validation_scores(self):
        """Each network's validation score this epoch (accuracy, or R² of its one target), and which diverged.

        A network whose outputs are not finite has diverged, and no score (NaN), as the estimators' scorer.
        """
        X, y = self.validation
        members = self.active.to(X.device)
        outputs = X[members]
        for weight, bias in zip(self.weights[:-1], self.biases[:-1]):
            outputs = ACTIVATE_IN_PLACE[self.settings.activation](torch.baddbmm(bias, outputs, weight))
        outputs = _output_layer(self.biases[-1], outputs, self.weights[-1].transpose(1, 2).contiguous())
        y = y[members]
        diverged = ~torch.isfinite(outputs).flatten(1).all(dim=1).cpu()
        if self.settings.loss == "cross_entropy":
            scores = (outputs.argmax(dim=2) == y).to(torch.float64).mean(dim=1).cpu()
            return scores.masked_fill_(diverged, math.nan), diverged
        residual = ((y - outputs) ** 2).sum(dim=(1, 2)).to(torch.float64)
        spread = ((y - y.mean(dim=1, keepdim=True)) ** 2).sum(dim=(1, 2)).to(torch.float64)
        # r2_score's force_finite: a perfect fit scores 1, a constant target otherwise 0
        r2 = torch.where(spread > 0, 1 - residual / torch.where(spread > 0, spread, 1.0), 0.0)
        return torch.where(residual == 0, 1.0, r2).cpu().masked_fill_(diverged, math.nan), diverged

    def _keep_best(self, better):
        """Copy the networks that improved (``better``, over the active ones) into their best-epoch state."""
        # What a network's result needs of its best epoch: the tracked weight, and the variance up to it.
        if self.best is None:
            self.best = dict(
                weight=self.weights[0].clone(),
                m2=self.moments.m2.clone(),
                count=torch.full((len(self.active),), self.moments.count, dtype=torch.long),
                seen=better.clone(),
            )
            return
        if not better.any():
            return
        if better.all():
            self.best["weight"].copy_(self.weights[0])
            self.best["m2"].copy_(self.moments.m2)
        else:
            where = better.to(self.weights[0].device)
            self.best["weight"][where] = self.weights[0][where]
            self.best["m2"][where] = self.moments.m2[where]
        self.best["count"][better] = self.moments.count
        self.best["seen"] |= better

    def _finish(self, leaving, converged, diverged):
        """Record the results of the networks in ``leaving`` (a mask over the active ones); drop them."""
        for position in torch.nonzero(leaving).flatten().tolist():
            member = int(self.active[position])
            weight, m2, count = self._tracked_weight()[position], self.moments.m2[position], self.moments.count
            best_score = None
            if self.validation is not None:
                if self.best is None or not bool(self.best["seen"][position]):
                    raise _diverged()  # no epoch with a finite score to fall back on
                # The best epoch's network, and the variance up to that epoch: what fit returns.
                weight = self.best["weight"][position].transpose(0, 1)
                m2, count = self.best["m2"][position], int(self.best["count"][position])
                best_score = float(self.best_score[member])
            # RunningMoments.variance(ddof=1), with this network's own count: it stops at its best epoch.
            variance = m2 / (count - 1)
            self.results[member] = MemberResult(
                scores=viann_scores(variance, weight, feature_axis=1).cpu().numpy(),
                n_iter=self.epochs,
                converged=bool(converged[position]),
                diverged=bool(diverged[position]),
                best_validation_score=best_score,
                baseline_validation_score=None if self.baselines is None else float(self.baselines[member]),
            )
        staying = ~leaving
        if not staying.any():
            self.active = self.active[:0]
            return
        keep = torch.nonzero(staying).flatten()
        device_keep = keep.to(self.inputs.device)
        self.active = self.active[keep]
        self.inputs, self.targets = self.inputs[device_keep], self.targets[device_keep]
        self.weights = [weight[device_keep] for weight in self.weights]
        self.biases = [bias[device_keep] for bias in self.biases]
        self.parameters = [*self.weights, *self.biases]
        if self.momentum_buffers is not None:
            self.momentum_buffers = [buffer[device_keep] for buffer in self.momentum_buffers]
        self.moments.mean, self.moments.m2 = self.moments.mean[device_keep], self.moments.m2[device_keep]
        if self.best is not None:
            self.best = dict(
                weight=self.best["weight"][device_keep],
                m2=self.best["m2"][device_keep],
                count=self.best["count"][keep],
                seen=self.best["seen"][keep],
            )

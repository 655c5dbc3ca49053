"""The built-in MLP's training step written out: forward, loss gradient, backward and update, with no autograd graph.

A step of :class:`~viann_sklearn.training.mlp.MultiLayerPerceptron` through
autograd records a graph of some thirty nodes per batch, frees it, allocates
every activation and gradient afresh, and steps the optimizer through its
Python bookkeeping; on the small networks the estimators train, that overhead,
not the arithmetic, sets the time. :class:`FusedStep` computes the same step
with the same ATen kernels autograd would call (``addmm`` forward, ``mm`` for
the weight and input gradients, the activations' and losses' own backward
kernels), under ``torch.no_grad``, into buffers allocated once per batch size,
and updates the parameters with the optimizer's own fused kernel
(``torch._fused_sgd_``, ``torch._fused_adam_``) on its own state.

The same kernels on the same numbers give the autograd path's results bit for
bit (the fits of ``tests/test_unchanged_numbers.py`` did not change);
``tests/test_fused_step.py`` compares the two paths' gradients, epochs and
whole fits within float32 rounding, which a BLAS that sums in another order
still meets. What this path does not cover trains through autograd:
:func:`fused_step_for` says why.
"""

import functools

import torch
from torch.optim import SGD, Adam

from .mlp import (
    _ACTIVATION_FUNCTIONS,
    BinaryCrossEntropy,
    CrossEntropy,
    HalfPoissonDeviance,
    HalfSquaredError,
    MultiLayerPerceptron,
)

__all__ = ["AUTOGRAD", "FUSED", "FusedStep", "fused_step_for"]

#: Names of the two training paths, as ``LeanNet.training_path_`` reports them.
FUSED = "fused"
AUTOGRAD = "autograd"

# ATen's reduction codes (at::Reduction), for the loss kernels called directly.
_REDUCTION_NONE, _REDUCTION_MEAN = 0, 1
# nll_loss's default: no class is ignored (targets are class indices >= 0).
_NO_IGNORED_CLASS = -100


def fused_step_for(net):
    """The fused step for a net's module, criterion and optimizer, or why the autograd path must train it.

    Parameters
    ----------
    net : LeanNet
        Initialized.

    Returns
    -------
    step : FusedStep or None
    reason : str or None
        Why there is no fused step (None when there is one), e.g.
        ``"L-BFGS evaluates a closure of the loss"``.
    """
    if not hasattr(net, "_listeners"):
        return None, f"the net is a {type(net).__name__}, not a LeanNet"
    module, criterion, optimizer = net.module_, net.criterion_, net.optimizer_
    if type(module) is not MultiLayerPerceptron:
        return None, f"the module is a {type(module).__name__}, not the built-in MultiLayerPerceptron"
    if type(criterion) not in _LOSS_GRADIENTS:
        return None, f"no written-out gradient for the loss {type(criterion).__name__}"
    if isinstance(optimizer, torch.optim.LBFGS):
        return None, "L-BFGS evaluates a closure of the loss"
    if _activation_name(module) is None:
        return None, "no written-out gradient for the module's activation"
    if _has_hooks(module):
        # The fused step never calls the module: its hooks would not run.
        return None, "the module has hooks"
    if net._listeners("on_batch_begin"):
        return None, "a callback listens to on_batch_begin"
    parameters = list(module.parameters())
    if not all(parameter.requires_grad for parameter in parameters):
        return None, "some parameters are frozen"
    if any(parameter.device.type != "cpu" for parameter in parameters):
        # Every kernel it calls exists on CUDA too, but it is not yet checked against autograd on a GPU.
        return None, "the fused step is checked against autograd on the CPU only"
    return FusedStep(module, criterion, optimizer), None


def _activation_name(module):
    # Read back from the function the module applies, which unpickled
    # modules of earlier versions hold too.
    for name, function in _ACTIVATION_FUNCTIONS.items():
        if module._activation is function:
            return name
    return None


def _has_hooks(module):
    """Whether a hook would see the autograd step: on the module, its parameters' gradients, or every module."""
    hook_dicts = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    if any(getattr(part, name, None) for part in module.modules() for name in hook_dicts):
        return True
    gradient_hooks = ("_backward_hooks", "_post_accumulate_grad_hooks")
    if any(getattr(parameter, name, None) for parameter in module.parameters() for name in gradient_hooks):
        return True
    # Global hooks (torch.nn.modules.module.register_module_forward_hook) apply to every module.
    from torch.nn.modules import module as module_internals

    return any(
        getattr(module_internals, name, None)
        for name in (
            "_global_forward_hooks",
            "_global_forward_pre_hooks",
            "_global_backward_hooks",
            "_global_backward_pre_hooks",
            "_global_forward_hooks_always_called",
            "_global_forward_hooks_with_kwargs",
        )
    )


class FusedStep:
    """One training step of a ``MultiLayerPerceptron``: the loss, the gradients, the optimizer's update.

    Called with a batch, it computes the forward pass with ``torch.addmm``
    into preallocated activations, the loss and its gradient with respect to
    the outputs (see ``_LOSS_GRADIENTS``), the backward pass with ``torch.mm``
    and the activation's backward kernel into preallocated gradients, and
    then updates the parameters (see :class:`_OptimizerUpdate`). The
    parameters' ``.grad`` are the gradient buffers, so after a step they
    hold that step's gradients, as after ``loss.backward()``.

    Parameters
    ----------
    module : MultiLayerPerceptron
    criterion : one of the losses of ``training.mlp.LOSSES``
    optimizer : torch.optim.Optimizer
        Over the module's parameters; any but L-BFGS.
    """

    def __init__(self, module, criterion, optimizer):
        linear = module._linear
        self.weights = [layer.weight for layer in linear]
        self.biases = [layer.bias for layer in linear]
        # W.t() is a view: it stays valid as the optimizer updates W in place.
        self.transposed_weights = [weight.t() for weight in self.weights]
        self.activation = _activation_name(module)
        self.input_shift, self.input_scale = module.input_shift, module.input_scale
        self.loss_and_gradient = _LOSS_GRADIENTS[type(criterion)]
        self.criterion = criterion
        self.weight_gradients = [_gradient_buffer(weight) for weight in self.weights]
        self.bias_gradients = [_gradient_buffer(bias) for bias in self.biases]
        self.update = _OptimizerUpdate(optimizer)
        self._buffers = {}  # batch size -> the activations of a batch of that size

    def __call__(self, X, targets):
        """Train on one batch and return its loss.

        Parameters
        ----------
        X : torch.Tensor of shape (n_rows, n_features)
            Dense rows, on the module's device, in its dtype.
        targets : torch.Tensor, or a (targets, sample_weight) pair
            What the criterion takes.

        Returns
        -------
        loss : torch.Tensor
            The batch's loss, a 0-dim tensor (not read, so no host sync).
        """
        with torch.no_grad():
            buffers = self._buffers_for(X)
            outputs, layer_inputs = self._forward(X, buffers)
            if isinstance(targets, (tuple, list)):
                y, sample_weight = targets
            else:
                y, sample_weight = targets, None
            loss, gradient = self.loss_and_gradient(self.criterion, outputs, y, sample_weight)
            self._backward(gradient, layer_inputs, buffers)
            self.update()
        return loss

    def _buffers_for(self, X):
        n_rows = X.shape[0]
        buffers = self._buffers.get(n_rows)
        if buffers is None:
            options = dict(dtype=self.weights[0].dtype, device=self.weights[0].device)
            buffers = dict(
                standardized=None
                if self.input_shift is None
                else torch.empty((n_rows, self.weights[0].shape[1]), **options),
                activations=[torch.empty((n_rows, weight.shape[0]), **options) for weight in self.weights],
                gradients=[torch.empty((n_rows, weight.shape[0]), **options) for weight in self.weights[:-1]],
            )
            self._buffers[n_rows] = buffers
        return buffers

    def _forward(self, X, buffers):
        """The network's outputs, and what each layer received (for the backward pass)."""
        if self.input_shift is not None:
            # MultiLayerPerceptron.forward computes (X - shift) / scale: the same two operations, into a buffer.
            X = torch.sub(X, self.input_shift, out=buffers["standardized"]).div_(self.input_scale)
        inputs = [X]
        activations = buffers["activations"]
        last = len(self.weights) - 1
        for index, (transposed, bias, output) in enumerate(zip(self.transposed_weights, self.biases, activations)):
            # F.linear(X, W, b) is at::addmm(b, X, W.t()) for 2-D rows.
            torch.addmm(bias, inputs[-1], transposed, out=output)
            if index < last:
                ACTIVATE_IN_PLACE[self.activation](output)
                inputs.append(output)
        return activations[-1], inputs

    def _backward(self, gradient, inputs, buffers):
        """Gradients of the weights and biases from ``gradient``, the loss's gradient with respect to the outputs.

        The kernels and argument layouts autograd uses for ``addmm``: the
        weight's gradient is ``grad.t().mm(input)`` (W.t() is column-major),
        the input's ``grad.mm(W)``, the bias's ``grad.sum(0)``.
        """
        for index in range(len(self.weights) - 1, -1, -1):
            layer_input = inputs[index]
            torch.mm(gradient.t(), layer_input, out=self.weight_gradients[index])
            torch.sum(gradient, 0, out=self.bias_gradients[index])
            if index == 0:
                break
            upstream = torch.mm(gradient, self.weights[index], out=buffers["gradients"][index - 1])
            # layer_input is the previous layer's activated output, which the activation's backward reads.
            ACTIVATION_BACKWARD[self.activation](upstream, layer_input)
            gradient = upstream


def _gradient_buffer(parameter):
    """The parameter's ``.grad``, allocated now if it has none: the fused step writes every gradient into it."""
    if parameter.grad is None or parameter.grad.shape != parameter.shape or not parameter.grad.is_contiguous():
        parameter.grad = torch.zeros_like(parameter, memory_format=torch.contiguous_format)
    return parameter.grad


def _identity(values, *_):
    return values


ACTIVATE_IN_PLACE = {
    "identity": _identity,
    "relu": torch.relu_,
    "tanh": torch.tanh_,
    "logistic": torch.sigmoid_,
}

# The backward kernels autograd calls for each activation, in place into the
# gradient (they read the activation's output): relu's threshold_backward, tanh's and sigmoid's.
ACTIVATION_BACKWARD = {
    "identity": _identity,
    "relu": lambda gradient, output: torch.ops.aten.threshold_backward.grad_input(
        gradient, output, 0, grad_input=gradient
    ),
    "tanh": lambda gradient, output: torch.ops.aten.tanh_backward.grad_input(gradient, output, grad_input=gradient),
    "logistic": lambda gradient, output: torch.ops.aten.sigmoid_backward.grad_input(
        gradient, output, grad_input=gradient
    ),
}


# ------------------------------------------------------------------ losses
# Each gives (loss, d loss / d outputs) for outputs (n_rows, n_outputs), targets y and
# optional sample weights; the loss is the value the criterion's forward returns, and the
# gradient is the one autograd computes from it, in the same order of operations.


@functools.cache
def _seed_of(dtype, device):
    return torch.ones((), dtype=dtype, device=device)


def _seed(like):
    """Autograd's seed of the backward pass, ``ones_like(loss)``: one constant per dtype and device, never written."""
    return _seed_of(like.dtype, like.device)


def _weighted_mean_gradient(sample_weight, like):
    """d loss / d per-sample loss for ``mlp._weighted_mean``: ``sample_weight / max(sum, or 1 when 0)``.

    Autograd's ``DivBackward`` gives ``1 / denominator`` and ``MulBackward``
    multiplies it by the weights.
    """
    total = sample_weight.sum()
    denominator = torch.where(total > 0, total, torch.ones_like(total))
    return torch.ones((), dtype=like.dtype, device=like.device).div_(denominator) * sample_weight


def _mean_gradient(n_rows, like):
    """d loss / d per-sample loss for the plain mean over rows: ``1 / n_rows`` for each row, as ``MeanBackward``."""
    return torch.ones((), dtype=like.dtype, device=like.device).div_(n_rows).expand(n_rows)


def _cross_entropy(criterion, outputs, y, sample_weight):
    # F.cross_entropy is log_softmax then nll_loss: computed once, and their backward kernels after.
    log_probabilities = torch._log_softmax(outputs, 1, False)
    if sample_weight is None:
        loss, total_weight = torch.ops.aten.nll_loss_forward(
            log_probabilities, y, None, _REDUCTION_MEAN, _NO_IGNORED_CLASS
        )
        upstream = _seed(outputs)
        reduction = _REDUCTION_MEAN
    else:
        per_sample, total_weight = torch.ops.aten.nll_loss_forward(
            log_probabilities, y, None, _REDUCTION_NONE, _NO_IGNORED_CLASS
        )
        loss = _weighted_loss(per_sample, sample_weight)
        upstream = _weighted_mean_gradient(sample_weight, outputs)
        reduction = _REDUCTION_NONE
    gradient = torch.ops.aten.nll_loss_backward(
        upstream, log_probabilities, y, None, reduction, _NO_IGNORED_CLASS, total_weight
    )
    return loss, torch._log_softmax_backward_data(gradient, log_probabilities, 1, outputs.dtype)


def _weighted_loss(per_sample, sample_weight):
    # mlp._weighted_mean's forward, the same operations.
    total = sample_weight.sum()
    return (per_sample * sample_weight).sum() / torch.where(total > 0, total, torch.ones_like(total))


def _per_sample_upstream(criterion, outputs, y, sample_weight):
    """The loss (the criterion's own forward) and d loss / d per-sample loss, shape (n_rows,)."""
    if sample_weight is None:
        return criterion.unweighted(outputs, y), _mean_gradient(outputs.shape[0], outputs)
    return _weighted_loss(criterion.per_sample(outputs, y), sample_weight), _weighted_mean_gradient(
        sample_weight, outputs
    )


def _binary_cross_entropy(criterion, outputs, y, sample_weight):
    # per sample: the logistic loss of every label, summed over labels (SumBackward expands the
    # row's gradient over its labels); binary_cross_entropy_with_logits' backward is
    # (sigmoid(x) - y) * grad.
    loss, upstream = _per_sample_upstream(criterion, outputs, y, sample_weight)
    return loss, (torch.sigmoid(outputs) - y).mul_(upstream[:, None])


def _half_squared_error(criterion, outputs, y, sample_weight):
    difference = outputs - y
    if sample_weight is None:
        # 0.5 * mean((p - y) ** 2) over all entries: MulBackward gives 0.5, MeanBackward
        # divides it by the number of entries, PowBackward multiplies by 2 (p - y).
        loss = 0.5 * torch.mean(difference**2)
        upstream = torch.full((), 0.5, dtype=outputs.dtype, device=outputs.device).div_(difference.numel())
        return loss, upstream * (2.0 * difference)
    # per sample 0.5 * mean over targets: the row's upstream times 0.5, over the number of targets.
    loss = _weighted_loss(criterion.per_sample(outputs, y), sample_weight)
    upstream = (_weighted_mean_gradient(sample_weight, outputs) * 0.5)[:, None] / outputs.shape[1]
    return loss, upstream * (2.0 * difference)


def _half_poisson_deviance(criterion, outputs, y, sample_weight):
    # per sample sum(xlogy(y, y) - y - y * p + exp(p)): the gradient of p is
    # grad * exp(p) + (-grad) * y, autograd's two branches, summed.
    loss, upstream = _per_sample_upstream(criterion, outputs, y, sample_weight)
    upstream = upstream[:, None]
    return loss, (upstream * torch.exp(outputs)).sub_(upstream * y)


_LOSS_GRADIENTS = {
    CrossEntropy: _cross_entropy,
    BinaryCrossEntropy: _binary_cross_entropy,
    HalfSquaredError: _half_squared_error,
    HalfPoissonDeviance: _half_poisson_deviance,
}


# --------------------------------------------------------------- optimizer
class _OptimizerUpdate:
    """The optimizer's step, as one call of its fused kernel per parameter group where torch has one.

    The first update goes through ``optimizer.step()``, which creates the
    optimizer's state as torch does (momentum buffers, Adam's moments and
    step counts) or continues the state a ``partial_fit`` or ``warm_start``
    left. Later updates of SGD and Adam built with ``fused=True`` call the
    very kernel ``step()`` would reach (``torch._fused_sgd_``,
    ``torch._fused_adam_``) on that same state, without ``step()``'s
    per-parameter Python bookkeeping; any other optimizer keeps calling
    ``step()``. The learning rate is read from the group at every update,
    where ``LearningRateSchedule`` sets it.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self._kernel_calls = None

    def __call__(self):
        if self._kernel_calls is None:
            self.optimizer.step()
            self._kernel_calls = self._direct_kernel_calls()
            return
        if not self._kernel_calls:
            self.optimizer.step()
            return
        for call in self._kernel_calls:
            call()

    def _direct_kernel_calls(self):
        """One callable per parameter group, or [] when ``step()`` must keep stepping."""
        optimizer = self.optimizer
        if _has_step_hooks(optimizer):
            return []  # step() runs them; the kernel alone would not
        calls = []
        for group in optimizer.param_groups:
            params = [parameter for parameter in group["params"] if parameter.grad is not None]
            if not params:
                continue
            if len({(parameter.device, parameter.dtype) for parameter in params}) != 1:
                return []
            if type(optimizer) is SGD and _plain_fused(group):
                call = _sgd_kernel_call(optimizer, group, params)
            elif type(optimizer) is Adam and _plain_fused(group) and not group["amsgrad"]:
                call = _adam_kernel_call(optimizer, group, params)
            else:
                call = None
            if call is None:
                return []
            calls.append(call)
        return calls


def _has_step_hooks(optimizer):
    from torch.optim import optimizer as optimizer_internals

    hooks = [
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
        getattr(optimizer_internals, "_global_optimizer_pre_hooks", None),
        getattr(optimizer_internals, "_global_optimizer_post_hooks", None),
    ]
    return any(hooks)


def _plain_fused(group):
    """A group stepped by the fused kernel, with none of the options that kernel call does not pass."""
    return (
        group.get("fused") is True
        and not group.get("maximize", False)
        and not group.get("differentiable", False)
        and not group.get("decoupled_weight_decay", False)
        and not torch.is_tensor(group["lr"])
    )


def _sgd_kernel_call(optimizer, group, params):
    momentum = group["momentum"]
    if momentum != 0:
        buffers = [optimizer.state[parameter].get("momentum_buffer") for parameter in params]
        if any(buffer is None for buffer in buffers):
            return None
    else:
        buffers = []
    grads = [parameter.grad for parameter in params]

    def call():
        torch._fused_sgd_(
            params,
            grads,
            buffers,
            weight_decay=group["weight_decay"],
            momentum=momentum,
            lr=group["lr"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            maximize=False,
            is_first_step=False,
            grad_scale=None,
            found_inf=None,
        )

    return call


def _adam_kernel_call(optimizer, group, params):
    states = [optimizer.state[parameter] for parameter in params]
    if not all({"step", "exp_avg", "exp_avg_sq"} <= set(state) for state in states):
        return None
    grads = [parameter.grad for parameter in params]
    exp_avgs = [state["exp_avg"] for state in states]
    exp_avg_sqs = [state["exp_avg_sq"] for state in states]
    steps = [state["step"] for state in states]
    beta1, beta2 = (float(beta) for beta in group["betas"])

    def call():
        # torch.optim.adam._fused_adam: the step counts first, then the kernel.
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )

    return call

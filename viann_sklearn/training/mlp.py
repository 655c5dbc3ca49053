"""The multi-layer perceptron the estimators train."""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "HalfPoissonDeviance",
    "HalfSquaredError",
    "MultiLayerPerceptron",
]

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}

# The same functions without a module around them, for the forward pass.
_ACTIVATION_FUNCTIONS = {
    "identity": None,
    "logistic": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}


class MultiLayerPerceptron(nn.Module):
    """Fully connected network: Linear layers with one activation between them.

    The output layer has no activation: the loss applies softmax (classes),
    the logistic function (labels), exp (Poisson) or nothing (regression).

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Width of the output: the number of classes, or of regression targets.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    weight_init : "glorot_uniform" or float, default="glorot_uniform"
        MLPClassifier's Glorot-uniform initialisation, or the standard
        deviation of a zero-mean normal one (with zero biases), such as the
        VIANN paper's 0.05.
    generator : torch.Generator, default=None
        Source of the initial weights; ``None`` uses torch's global one.
    input_shift, input_scale : torch.Tensor of shape (n_features,), default=None
        When given, inputs are standardised as ``(X - input_shift) /
        input_scale`` before the first layer (kept as buffers, so they move
        with the module). Doing it here, batch by batch, costs no copy of
        the data.

    ``forward`` takes dense rows, or sparse rows as a ``torch.sparse_csr``
    tensor, whose product with the first layer is computed without
    densifying them (see :meth:`forward`).
    """

    #: Name of the weight that receives the input, the one VIANN tracks.
    input_weight_name = "layers.0.weight"

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_outputs,
        activation="relu",
        weight_init="glorot_uniform",
        generator=None,
        input_shift=None,
        input_scale=None,
    ):
        super().__init__()
        if (input_shift is None) != (input_scale is None):
            raise ValueError("input_shift and input_scale go together: pass both or neither.")
        self.register_buffer("input_shift", input_shift)
        self.register_buffer("input_scale", input_scale)
        widths = [n_features, *hidden_layer_sizes, n_outputs]
        layers = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers.append(nn.Linear(n_in, n_out))
            layers.append(ACTIVATIONS[activation]())
        self.layers = nn.Sequential(*layers[:-1])  # no activation after the output layer
        self._linear = [layer for layer in self.layers if isinstance(layer, nn.Linear)]
        self._activation = _ACTIVATION_FUNCTIONS[activation]
        self._initialize(activation, weight_init, generator)

    @torch.no_grad()
    def _initialize(self, activation, weight_init, generator):
        factor = 2.0 if activation == "logistic" else 6.0
        for layer in self.layers:
            if not isinstance(layer, nn.Linear):
                continue
            if weight_init == "glorot_uniform":
                # MLPClassifier's initialisation (Glorot & Bengio 2010), so that
                # the same learning rate means the same thing in both.
                bound = math.sqrt(factor / (layer.in_features + layer.out_features))
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
            else:
                layer.weight.normal_(0.0, weight_init, generator=generator)
                layer.bias.zero_()

    def forward(self, X):
        """Outputs for rows ``X``: a dense tensor, or a ``torch.sparse_csr`` one.

        Sparse rows are multiplied by the first layer as they are, with the
        same arithmetic on their stored values as on dense ones; only when
        standardisation centres the columns (a net fit on dense data) are
        they densified, since centring makes every zero non-zero.
        """
        # The same arithmetic as self.layers(X), without seven trips through
        # nn.Module.__call__ per batch: that dispatch was a tenth of a small
        # network's training time. (Hooks on the inner layers do not fire.)
        first, *rest = self._linear
        if X.layout == torch.sparse_csr and not self._centres_input():
            X = self._sparse_input_product(X)
        else:
            if X.layout == torch.sparse_csr:
                X = X.to_dense()  # centring makes every zero non-zero
            if self.input_shift is not None:
                X = (X - self.input_shift) / self.input_scale
            X = F.linear(X, first.weight, first.bias)
        for layer in rest:
            if self._activation is not None:
                X = self._activation(X)
            X = F.linear(X, layer.weight, layer.bias)
        return X

    def _centres_input(self):
        return self.input_shift is not None and bool(self.input_shift.any())

    def _sparse_input_product(self, X):
        """The first layer's output (before its activation) for CSR rows, standardised by scaling.

        ``X @ W.T + b`` from the stored values only, forward and backward
        (see :class:`_SparseRowsProduct`). Dividing the stored values by
        ``input_scale`` is the whole standardisation of columns that are
        not centred.
        """
        first = self._linear[0]
        columns, values = X.col_indices(), X.values()
        if self.input_scale is not None:
            values = values / self.input_scale[columns]
        return _SparseRowsProduct.apply(first.weight, X.crow_indices(), columns, values) + first.bias


class _SparseRowsProduct(torch.autograd.Function):
    """``X @ weight.T`` for CSR rows ``X``, given as its index arrays and values.

    The forward pass is ``embedding_bag``: for each row, the weight columns
    of its stored entries times their values. Its own backward pass gives
    the gradient of ``weight.T``, (n_features, n_units), which torch then
    transposes into the weight's layout: for a 50,000-feature input layer
    that strided copy of the whole gradient took four times as long as the
    rest of the step. Here the gradient is summed over the columns the batch
    touches only, in a compact block, and written into those columns of a
    gradient laid out as the weight is. (The gradient is still dense, as
    MLPClassifier's is: every weight decays.)
    """

    @staticmethod
    def forward(ctx, weight, crow_indices, col_indices, values):
        ctx.save_for_backward(weight, crow_indices, col_indices, values)
        return F.embedding_bag(
            col_indices, weight.t(), crow_indices, mode="sum", per_sample_weights=values, include_last_offset=True
        )

    @staticmethod
    def backward(ctx, grad_output):
        weight, crow_indices, col_indices, values = ctx.saved_tensors
        row_of_value = torch.repeat_interleave(
            torch.arange(grad_output.shape[0], device=grad_output.device), crow_indices.diff().long()
        )
        grad_per_value = grad_output[row_of_value]  # (n_stored, n_units)
        grad_weight = grad_values = None
        if ctx.needs_input_grad[0]:
            touched, position = torch.unique(col_indices, return_inverse=True)
            compact = grad_output.new_zeros(touched.numel(), weight.shape[0])
            compact.index_add_(0, position, grad_per_value * values[:, None])
            grad_weight = torch.zeros_like(weight).index_copy_(1, touched.long(), compact.t())
        if ctx.needs_input_grad[3]:
            grad_values = (grad_per_value * weight.t()[col_indices]).sum(dim=1)
        return grad_weight, None, None, grad_values


def _weighted_mean(per_sample, sample_weight):
    """Mean of per-sample losses weighted by ``sample_weight``, as ``np.average`` computes it.

    A batch whose weights are all zero contributes a loss of 0 (and no
    gradient) instead of 0 / 0.
    """
    total = sample_weight.sum()
    return (per_sample * sample_weight).sum() / torch.where(total > 0, total, torch.ones_like(total))


class _Loss(nn.Module):
    """A loss of network outputs against a target, or a ``(target, sample_weight)`` pair.

    Subclasses give ``per_sample`` (one loss per row) and may give a faster
    ``unweighted`` mean.
    """

    def per_sample(self, y_pred, y_true):
        raise NotImplementedError

    def unweighted(self, y_pred, y_true):
        return self.per_sample(y_pred, y_true).mean()

    def forward(self, y_pred, y_true):
        if isinstance(y_true, (list, tuple)):
            y_true, sample_weight = y_true
            return _weighted_mean(self.per_sample(y_pred, y_true), sample_weight)
        return self.unweighted(y_pred, y_true)


class CrossEntropy(_Loss):
    """Softmax cross-entropy over classes, ``MLPClassifier``'s loss for one label per row."""

    def per_sample(self, y_pred, y_true):
        return F.cross_entropy(y_pred, y_true, reduction="none")

    def unweighted(self, y_pred, y_true):
        return F.cross_entropy(y_pred, y_true)


class BinaryCrossEntropy(_Loss):
    """Logistic loss of every label, summed over labels: ``MLPClassifier``'s multilabel loss."""

    def per_sample(self, y_pred, y_true):
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none").sum(dim=1)


class HalfSquaredError(_Loss):
    """Half the mean squared error, the loss ``MLPRegressor`` minimises.

    Using the same loss keeps ``learning_rate_init`` and ``loss_curve_`` on
    the same scale as scikit-learn's. With several targets, the mean runs
    over rows and targets alike, as in scikit-learn.
    """

    def per_sample(self, y_pred, y_true):
        return 0.5 * torch.mean((y_pred - y_true) ** 2, dim=1)

    def unweighted(self, y_pred, y_true):
        return 0.5 * torch.mean((y_pred - y_true) ** 2)


class HalfPoissonDeviance(_Loss):
    """Half the Poisson deviance of ``exp(y_pred)``, ``MLPRegressor(loss="poisson")``'s loss.

    The network's raw output is the log of the predicted mean (the log link),
    so the loss is finite for any output; summed over targets.
    """

    def per_sample(self, y_pred, y_true):
        return (torch.xlogy(y_true, y_true) - y_true - y_true * y_pred + torch.exp(y_pred)).sum(dim=1)


LOSSES = {
    "cross_entropy": CrossEntropy,
    "binary_cross_entropy": BinaryCrossEntropy,
    "squared_error": HalfSquaredError,
    "poisson": HalfPoissonDeviance,
}

"""Small torch models that several test modules train."""

import contextlib
import itertools

import torch
from torch import nn


class RegisteredBackwards(nn.Module):
    """Registers its output layer first, so registration order is not forward order.

    The forward pass starts with ``body`` (``n_features`` -> ``n_hidden``, in != out).
    """

    def __init__(self, n_features=6, n_hidden=3):
        super().__init__()
        self.head = nn.Linear(n_hidden, 2)
        self.body = nn.Linear(n_features, n_hidden)

    def forward(self, X):
        return self.head(torch.tanh(self.body(X)))


@contextlib.contextmanager
def ctrl_c_on_forward_call(call_number):
    """Raise KeyboardInterrupt, as a user's Ctrl-C would, in the estimators' n-th forward pass.

    Forward passes of both training paths count, in the order they run: the
    module's own (autograd training steps, validation scores) and the fused
    training step's.
    """
    from viann_sklearn.training.fused import FusedStep
    from viann_sklearn.training.mlp import MultiLayerPerceptron

    originals = [(MultiLayerPerceptron, "forward"), (FusedStep, "_forward")]
    calls = itertools.count(1)

    def interrupting(original):
        def forward_then_ctrl_c(self, *args):
            if next(calls) == call_number:
                raise KeyboardInterrupt
            return original(self, *args)

        return forward_then_ctrl_c

    saved = [(owner, name, getattr(owner, name)) for owner, name in originals]
    for owner, name, original in saved:
        setattr(owner, name, interrupting(original))
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)

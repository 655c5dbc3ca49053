"""Small torch models that several test modules train."""

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

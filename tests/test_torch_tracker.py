"""VarianceImportanceTorch in hand-written PyTorch loops, checked against numpy."""

import numpy as np
import pytest
import torch
from torch import nn

from viann_sklearn import VarianceImportanceTorch

from _models import RegisteredBackwards


@pytest.fixture
def data():
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(192, 6, generator=generator)
    y = (X[:, 0] - X[:, 2] > 0).long()
    return X, y


def _train(model, data, tracker, epochs, snapshot=None, batch_size=32):
    """A plain loop; `snapshot(kind)` records the reference weights."""
    X, y = data
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    generator = torch.Generator().manual_seed(1)
    tracker.on_train_begin()
    for _ in range(epochs):
        for batch in torch.split(torch.randperm(len(X), generator=generator), batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            if snapshot and not snapshot.taken:
                snapshot("start")  # before the first step: the initial weights
            optimizer.step()
            tracker.on_batch_end()
            if snapshot:
                snapshot("batch")
        tracker.on_epoch_end()
        if snapshot:
            snapshot("epoch")
    tracker.on_train_end()


class Snapshots:
    def __init__(self, weight, on):
        self.weight, self.on, self.values, self.taken = weight, on, [], False

    def __call__(self, kind):
        if kind == "start" or kind == self.on:
            self.taken = True
            self.values.append(self.weight.detach().double().numpy().copy())


@pytest.mark.parametrize("on", ["epoch", "batch"])
def test_matches_numpy_in_a_model_used_out_of_registration_order(data, on):
    torch.manual_seed(0)
    model = RegisteredBackwards()
    tracker = VarianceImportanceTorch(model, on=on)
    snapshots = Snapshots(model.body.weight, on)
    _train(model, data, tracker, epochs=4, snapshot=snapshots)

    assert tracker.param_name_ == "body.weight"
    reference = np.stack(snapshots.values)
    assert len(reference) == tracker.n_samples_ == (5 if on == "epoch" else 1 + 4 * 6)
    variances = np.var(reference, axis=0, ddof=1)
    np.testing.assert_allclose(tracker.variances_, variances, rtol=1e-10, atol=1e-15)
    scores = np.sum(variances * np.abs(model.body.weight.detach().double().numpy()), axis=0)
    np.testing.assert_allclose(tracker.scores_, scores, rtol=1e-10)
    assert tracker.feature_importances_.shape == (6,)  # one per input, not per hidden unit
    np.testing.assert_allclose(tracker.feature_importances_.sum(), 1.0)
    np.testing.assert_allclose(tracker.var_scores, (scores - scores.min()) / np.ptp(scores))


def test_ranks_the_informative_features_first(data):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    tracker = VarianceImportanceTorch(model)
    _train(model, data, tracker, epochs=10)
    assert set(np.argsort(tracker.feature_importances_)[-2:]) == {0, 2}


def test_one_epoch_is_finite(data):
    torch.manual_seed(0)
    tracker = VarianceImportanceTorch(nn.Sequential(nn.Linear(6, 3), nn.Linear(3, 2)))
    _train(tracker.model, data, tracker, epochs=1)
    assert tracker.n_samples_ == 2
    assert np.all(np.isfinite(tracker.feature_importances_))
    assert np.all(np.isfinite(tracker.var_scores))


def test_recurrent_first_layer_scores_input_features():
    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(input_size=4, hidden_size=7, batch_first=True)
            self.out = nn.Linear(7, 2)

        def forward(self, X):
            return self.out(self.rnn(X)[0][:, -1])

    torch.manual_seed(0)
    X = torch.randn(96, 5, 4)
    y = (X[:, :, 2].sum(dim=1) > 0).long()
    model = Sequence()
    tracker = VarianceImportanceTorch(model)
    _train(model, (X, y), tracker, epochs=6)
    assert tracker.param_name_ == "rnn.weight_ih_l0"
    assert tracker.feature_importances_.shape == (4,)
    assert np.argmax(tracker.feature_importances_) == 2


def test_continue_training_adds_to_the_variance(data):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 3), nn.ReLU(), nn.Linear(3, 2))
    tracker = VarianceImportanceTorch(model)
    _train(model, data, tracker, epochs=2)
    assert tracker.n_samples_ == 3
    tracker.on_train_begin(continue_training=True)
    tracker.on_epoch_end()
    tracker.on_train_end()
    assert tracker.n_samples_ == 4
    tracker.on_train_begin()  # a new run starts over
    assert tracker.n_samples_ == 0
    assert not hasattr(tracker, "feature_importances_")


def test_calls_out_of_order_and_bad_options_are_named():
    tracker = VarianceImportanceTorch(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match=r"Call on_train_begin\(\) before on_epoch_end\(\)"):
        tracker.on_epoch_end()
    with pytest.raises(ValueError, match="on must be 'epoch' or 'batch'"):
        VarianceImportanceTorch(nn.Linear(2, 2), on="always")

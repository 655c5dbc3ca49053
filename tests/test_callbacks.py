"""The skorch callback on users' own nets, checked against numpy."""

import numpy as np
import pytest
import torch
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping
from torch import nn

from viann_sklearn import MetricThreshold, VarianceImportance
from viann_sklearn.method.scores import viann_scores
from viann_sklearn.method.tracker import InputWeightVariance

from _models import RegisteredBackwards


class RecordWeights(Callback):
    """Copies a weight before training and after every epoch or batch: the reference."""

    def __init__(self, get_weight, on="epoch"):
        self.get_weight = get_weight
        self.on = on

    def initialize(self):
        self.snapshots_ = []
        return self

    def on_train_begin(self, net, **kwargs):
        if not self.snapshots_:
            self.snapshots_.append(self.get_weight(net.module_).detach().clone().double().numpy())

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self.on == "batch":
            self.snapshots_.append(self.get_weight(net.module_).detach().clone().double().numpy())

    def on_epoch_end(self, net, **kwargs):
        if self.on == "epoch":
            self.snapshots_.append(self.get_weight(net.module_).detach().clone().double().numpy())


@pytest.fixture
def informative_data():
    """Class depends on features 0 and 1 only; features 2-5 are noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def _classifier(module, callbacks, **kwargs):
    torch.manual_seed(0)
    params = dict(
        criterion=nn.CrossEntropyLoss,
        lr=0.1,
        max_epochs=8,
        batch_size=32,
        train_split=None,
        verbose=0,
        iterator_train__shuffle=True,
    )
    params.update(kwargs)
    return NeuralNetClassifier(module, callbacks=callbacks, **params)


@pytest.mark.parametrize("on", ["epoch", "batch"])
def test_matches_numpy_on_recorded_snapshots(informative_data, on):
    X, y = informative_data
    recorder = RecordWeights(lambda module: module.body.weight, on=on)
    net = _classifier(RegisteredBackwards(), [("viann", VarianceImportance(on=on)), ("recorder", recorder)])
    net.fit(X, y)
    viann = dict(net.callbacks_)["viann"]

    snapshots = np.stack(recorder.snapshots_)
    expected_samples = 1 + (8 if on == "epoch" else 8 * int(np.ceil(300 / 32)))
    assert len(snapshots) == expected_samples == viann.n_samples_
    variances = np.var(snapshots, axis=0, ddof=1)
    np.testing.assert_allclose(viann.variances_, variances, rtol=1e-10, atol=1e-15)
    final = net.module_.body.weight.detach().double().numpy()
    scores = np.sum(variances * np.abs(final), axis=0)  # Linear weight is (out, in)
    np.testing.assert_allclose(viann.scores_, scores, rtol=1e-10)
    np.testing.assert_allclose(viann.feature_importances_, scores / scores.sum(), rtol=1e-10)
    assert viann.param_name_ == "body.weight"


def test_one_score_per_input_feature_when_in_differs_from_out(informative_data):
    X, y = informative_data
    net = _classifier(RegisteredBackwards(n_features=6, n_hidden=3), [VarianceImportance()])
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.variances_.shape == (3, 6)
    assert viann.feature_importances_.shape == (6,)
    assert np.all(viann.feature_importances_ >= 0)
    np.testing.assert_allclose(viann.feature_importances_.sum(), 1.0)
    # The informative features lead the ranking.
    assert set(np.argsort(viann.feature_importances_)[-2:]) == {0, 1}


def test_one_epoch_gives_finite_importances(informative_data):
    X, y = informative_data
    net = _classifier(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)), [VarianceImportance()], max_epochs=1)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.n_samples_ == 2  # the starting weights and the first epoch's
    assert np.all(np.isfinite(viann.feature_importances_))
    assert viann.importances_history_.shape == (1, 6)


def test_history_tracks_each_epoch_and_ends_at_the_result(informative_data):
    X, y = informative_data
    net = _classifier(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)), [VarianceImportance()], max_epochs=5)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    history = viann.importances_history_
    assert history.shape == (5, 6)
    np.testing.assert_allclose(history.sum(axis=1), 1.0)
    np.testing.assert_allclose(history[-1], viann.feature_importances_)


def test_partial_fit_continues_and_fit_starts_over(informative_data):
    X, y = informative_data
    net = _classifier(nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)), [VarianceImportance()], max_epochs=2)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.n_samples_ == 3
    net.partial_fit(X, y)
    assert viann.n_samples_ == 5
    assert viann.importances_history_.shape == (4, 6)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.n_samples_ == 3


def test_importances_use_weights_restored_by_early_stopping(informative_data):
    X, y = informative_data
    stopper = EarlyStopping(monitor="valid_loss", patience=2, load_best=True)
    recorder = RecordWeights(lambda module: module[0].weight)
    net = _classifier(
        nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2)),
        [recorder, stopper, VarianceImportance()],
        max_epochs=60,
        lr=0.5,
        train_split=lambda ds, y=None: (ds, ds),
    )
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    final = net.module_[0].weight.detach()
    assert len(net.history) < 60, "early stopping must have stopped training"
    assert not np.allclose(final.double().numpy(), recorder.snapshots_[-1]), "best weights must be restored"
    expected = viann_scores(viann.variances_, final).numpy()
    np.testing.assert_allclose(viann.scores_, expected, rtol=1e-12)


def test_regressor_and_user_named_parameter():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    y = (3 * X[:, 2] + 0.1 * rng.normal(size=200)).astype(np.float32)[:, None]
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))
    net = NeuralNetRegressor(
        module,
        lr=0.05,
        max_epochs=10,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance(param_name="0.weight")],
    )
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert np.argmax(viann.feature_importances_) == 2


class TokenModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(12, 4, mode="mean")
        self.out = nn.Linear(4, 2)

    def forward(self, X):
        return self.out(self.embed(X))


def test_embedding_gives_one_score_per_token():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 12, size=(120, 5))
    y = (X == 3).any(axis=1).astype(np.int64)
    net = _classifier(TokenModel(), [VarianceImportance()], max_epochs=3)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.feature_importances_.shape == (12,)
    assert viann.param_name_ == "embed.weight"


class ConvModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, kernel_size=3)
        self.out = nn.Linear(4, 2)

    def forward(self, X):
        return self.out(self.conv(X).mean(dim=2))


def test_convolution_gives_one_score_per_input_channel():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3, 8)).astype(np.float32)
    y = (X[:, 1].mean(axis=1) > 0).astype(np.int64)
    net = _classifier(ConvModel(), [VarianceImportance()], max_epochs=4)
    net.fit(X, y)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.feature_importances_.shape == (3,)
    assert np.argmax(viann.feature_importances_) == 1


class PoisonWeights(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            with torch.no_grad():
                net.module_[0].weight[0, 0] = float("nan")


def test_diverged_training_raises_instead_of_nan(informative_data):
    X, y = informative_data
    net = _classifier(
        nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)),
        [PoisonWeights(), VarianceImportance()],
        max_epochs=4,
    )
    with pytest.raises(ValueError, match=r"diverged.*'0.weight'.*NaN"):
        net.fit(X, y)


def test_bad_options_are_named():
    net = _classifier(nn.Linear(6, 2), [VarianceImportance(on="sometimes")])
    with pytest.raises(ValueError, match="on must be 'epoch' or 'batch'"):
        net.initialize()
    net = _classifier(nn.Linear(6, 2), [VarianceImportance(param_name="missing.weight")])
    with pytest.raises(ValueError, match="param_name='missing.weight'"):
        net.fit(np.zeros((4, 6), np.float32), np.array([0, 1, 0, 1]))


def test_no_update_warns_and_leaves_no_importances():
    net = NeuralNet(
        nn.Linear(3, 1),
        criterion=nn.MSELoss,
        max_epochs=0,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance()],
    )
    with pytest.warns(UserWarning, match="no importances"):
        net.fit(np.zeros((4, 3), np.float32), np.zeros((4, 1), np.float32))
    assert not hasattr(dict(net.callbacks_)["VarianceImportance"], "feature_importances_")


def test_interrupted_first_epoch_still_gives_importances():
    # A KeyboardInterrupt inside the first epoch: skorch ends training there.
    class InterruptAfterTwoBatches(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if len(net.history[-1]["batches"]) == 2:
                raise KeyboardInterrupt

    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    net = NeuralNet(
        nn.Linear(3, 1),
        criterion=nn.MSELoss,
        max_epochs=3,
        batch_size=8,
        lr=0.1,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance(), InterruptAfterTwoBatches()],
    )
    net.fit(X, X[:, :1] * 2)
    viann = dict(net.callbacks_)["VarianceImportance"]
    assert viann.n_samples_ == 2
    assert np.all(np.isfinite(viann.feature_importances_))


def test_tracker_unwraps_data_parallel():
    inner = nn.Sequential(nn.Linear(3, 2))
    tracker = InputWeightVariance(param_name="0.weight")
    tracker.begin(nn.DataParallel(inner))
    assert tracker.tracked.read() is inner[0].weight


def test_metric_threshold_stops_once_reached_after_min_epochs(informative_data):
    X, y = informative_data
    net = _classifier(
        nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)),
        [VarianceImportance(), MetricThreshold("valid_acc", threshold=0.9, min_epochs=3)],
        max_epochs=200,
        train_split=lambda ds, y=None: (ds, ds),
    )
    net.fit(X, y)
    stopper = dict(net.callbacks_)["MetricThreshold"]
    epochs_run = len(net.history)
    assert stopper.stopped_epoch_ == epochs_run
    assert 3 <= epochs_run < 200
    assert net.history[-1, "valid_acc"] >= 0.9
    assert all(acc < 0.9 for acc in net.history[2:-1, "valid_acc"])  # stopped at the first chance
    assert dict(net.callbacks_)["VarianceImportance"].n_samples_ == epochs_run + 1


def test_metric_threshold_for_a_loss(informative_data):
    X, y = informative_data
    net = _classifier(
        nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)),
        [MetricThreshold("train_loss", threshold=0.3, min_epochs=1, lower_is_better=True)],
        max_epochs=200,
    )
    net.fit(X, y)
    assert net.history[-1, "train_loss"] <= 0.3
    assert len(net.history) < 200


def test_metric_threshold_names_what_is_wrong(informative_data):
    X, y = informative_data
    net = _classifier(nn.Linear(6, 2), [MetricThreshold("valid_acc")], max_epochs=2)  # no validation split
    with pytest.raises(ValueError, match=r"monitor='valid_acc' is not in the net's history.*train_loss"):
        net.fit(X, y)
    with pytest.raises(ValueError, match="threshold must be a number"):
        _classifier(nn.Linear(6, 2), [MetricThreshold(threshold="high")]).initialize()
    with pytest.raises(ValueError, match="lower_is_better must be True or False"):
        _classifier(nn.Linear(6, 2), [MetricThreshold(lower_is_better="yes")]).initialize()

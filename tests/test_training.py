"""The estimators' training machinery: in-memory batches, the lean net, the fast path."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, PassthroughScoring
from skorch.dataset import Dataset
from skorch.history import History
from torch import nn
from torch.utils.data import DataLoader

import viann_sklearn.training.net as net_module
from viann_sklearn import VIANNClassifier, VIANNRegressor
from viann_sklearn.training.batches import TensorBatches
from viann_sklearn.training.monitors import report_epochs
from viann_sklearn.training.net import LeanNet
from viann_sklearn.training.solvers import _flushing_subnormals, fused_supported, subnormals_flushed

FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=0.1, max_iter=8, random_state=0, early_stopping=False)

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def test_tensor_batches_cover_every_row_once_per_epoch():
    X = torch.arange(23.0).reshape(23, 1)
    batches = TensorBatches(Dataset(X, torch.arange(23)), batch_size=5, shuffle=True)
    assert len(batches) == 5
    epochs = []
    for _ in range(2):
        pairs = list(batches)  # one epoch
        rows = torch.cat([Xb for Xb, _ in pairs]).ravel()
        labels = torch.cat([yb for _, yb in pairs])
        assert sorted(rows.tolist()) == list(range(23))
        assert labels.tolist() == rows.long().tolist(), "each label stays with its row"
        epochs.append(rows)
    assert not torch.equal(epochs[0], epochs[1]), "a new permutation every epoch"
    in_order = TensorBatches(Dataset(X, torch.arange(23)), batch_size=5, shuffle=False)
    assert torch.cat([Xb for Xb, _ in in_order]).ravel().tolist() == list(range(23))
    with pytest.raises(TypeError, match="skorch Dataset of tensors"):
        TensorBatches(Dataset(np.zeros((3, 1)), np.zeros(3)), batch_size=2)


def test_tensor_batches_draw_the_same_permutation_as_a_dataloader():
    dataset = Dataset(torch.arange(50.0).reshape(50, 1), torch.arange(50))
    torch.manual_seed(3)
    fast = [Xb.ravel().tolist() for _ in range(3) for Xb, _ in TensorBatches(dataset, 8, shuffle=True)]
    torch.manual_seed(3)
    generic = [Xb.ravel().tolist() for _ in range(3) for Xb, _ in DataLoader(dataset, batch_size=8, shuffle=True)]
    assert fast == generic


@pytest.mark.parametrize("Estimator, target", [(VIANNClassifier, "class"), (VIANNRegressor, "value")])
@pytest.mark.parametrize("importance_on", ["epoch", "batch"])
def test_fast_path_gives_the_same_model_as_skorchs_generic_path(Estimator, target, importance_on, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 5))
    y = (X[:, 0] > 0).astype(int) if target == "class" else X[:, 0] - 2 * X[:, 3]
    params = dict(FAST, batch_size=16, importance_on=importance_on)
    fast = Estimator(**params).fit(X, y)
    monkeypatch.setattr(net_module, "TensorBatches", DataLoader)  # skorch's per-sample path
    generic = Estimator(**params).fit(X, y)
    assert isinstance(generic.net_.get_iterator(Dataset(torch.zeros(2, 5), torch.zeros(2)), training=True), DataLoader)
    np.testing.assert_array_equal(fast.feature_importances_, generic.feature_importances_)
    np.testing.assert_array_equal(fast.predict(X), generic.predict(X))
    np.testing.assert_array_equal(fast.loss_curve_, generic.loss_curve_)


@pytest.mark.parametrize("Estimator, target", [(VIANNClassifier, "class"), (VIANNRegressor, "value")])
def test_fast_path_with_early_stopping_gives_the_same_model_as_skorchs_generic_path(Estimator, target, monkeypatch):
    # The defaults' path: training rows gathered through positions into X (no
    # copy), the best epoch kept in reused buffers and restored, the
    # validation rows scored as one tensor; against skorch's per-sample
    # DataLoader over the same rows.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(160, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) if target == "class" else X[:, 0] - 2 * X[:, 3]
    params = dict(FAST, batch_size=16, max_iter=40, early_stopping=True, n_iter_no_change=4)
    fast = Estimator(**params).fit(X, y)
    assert fast.n_iter_ < 40, "the test needs an early stop, so that a best epoch is restored"
    monkeypatch.setattr(net_module, "TensorBatches", DataLoader)
    generic = Estimator(**params).fit(X, y)
    np.testing.assert_array_equal(fast.validation_scores_, generic.validation_scores_)
    np.testing.assert_array_equal(fast.loss_curve_, generic.loss_curve_)
    np.testing.assert_array_equal(fast.feature_importances_, generic.feature_importances_)
    np.testing.assert_array_equal(fast.predict(X), generic.predict(X))


def test_epoch_loss_records_what_skorchs_passthrough_scoring_records():
    net = LeanNet(nn.Linear(3, 1), criterion=nn.MSELoss, max_epochs=3, batch_size=3, train_split=None, verbose=0)
    rng = np.random.default_rng(0)
    net.fit(rng.normal(size=(10, 3)).astype(np.float32), rng.normal(size=(10, 1)).astype(np.float32))
    reference = PassthroughScoring(name="train_loss", on_train=True).initialize()
    for epoch in range(3):
        expected = reference.get_avg_score(History(net.history[: epoch + 1]))
        assert net.history[epoch, "train_loss"] == expected  # batches of 3, 3, 3 and 1: weights matter
        is_best = reference._is_best_score(expected)
        reference.best_score_ = expected if is_best else reference.best_score_
        assert net.history[epoch, "train_loss_best"] == is_best


def test_lean_net_notifies_only_the_callbacks_that_listen():
    class CountBatches(Callback):
        def initialize(self):
            self.calls_ = 0
            return self

        def on_batch_begin(self, net, **kwargs):
            self.calls_ += 1

    class EpochsOnly(Callback):
        def on_epoch_end(self, net, **kwargs):
            pass

    net = LeanNet(
        nn.Linear(3, 1),
        criterion=nn.MSELoss,
        max_epochs=2,
        batch_size=4,
        train_split=None,
        verbose=0,
        callbacks=[("count", CountBatches()), ("quiet", EpochsOnly())],
    )
    X = np.zeros((8, 3), np.float32)
    net.fit(X, np.zeros((8, 1), np.float32))
    assert dict(net.callbacks_)["count"].calls_ == 4
    assert dict(net.callbacks_)["quiet"] not in net._listeners("on_batch_begin")
    net.fit(X, np.zeros((8, 1), np.float32))  # a new fit re-initializes the callbacks: cache rebuilt
    assert dict(net.callbacks_)["count"].calls_ == 4


@pytest.mark.parametrize("solver, optimizer", [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam)])
def test_fused_optimizer_where_torch_supports_it(solver, optimizer):
    clf = VIANNClassifier(**FAST, solver=solver).fit(np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2)
    assert isinstance(clf.net_.optimizer_, optimizer)
    assert clf.net_.optimizer_.defaults.get("fused", False) == fused_supported(optimizer, "cpu")
    # alpha is the L2 penalty per batch, on weights only (biases are group 0)
    assert [group["weight_decay"] for group in clf.net_.optimizer_.param_groups] == [0.0, clf.alpha / 40]


def test_tracking_off_trains_without_importances():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    clf = VIANNClassifier(**FAST, importance_on=None).fit(X, y)
    assert clf.predict(X).shape == (60,)
    assert not hasattr(clf, "feature_importances_")
    with pytest.raises(AttributeError, match="importance_on=None"):
        clf.variance_importance_
    clf.set_params(warm_start=True, importance_on="epoch")
    with pytest.raises(ValueError, match="importance_on cannot switch between None"):
        clf.fit(X, y)


def test_report_epochs_hears_every_epoch_and_the_early_stop():
    heard = []
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    with report_epochs(lambda done, planned, converged: heard.append((done, planned, converged))):
        VIANNClassifier(**dict(FAST, max_iter=4)).fit(X, y)
    assert heard == [(1, 4, False), (2, 4, False), (3, 4, False), (4, 4, False)]
    VIANNClassifier(**dict(FAST, max_iter=2)).fit(X, y)  # outside the block: nobody hears
    assert len(heard) == 4
    heard.clear()
    with report_epochs(lambda *epoch: heard.append(epoch)):
        VIANNClassifier(**dict(FAST, max_iter=50, tol=10.0, n_iter_no_change=1)).fit(X, y)
    assert heard[-1][2] is True and len(heard) < 50


@pytest.mark.parametrize("caller_flushes", [False, True])
def test_a_fit_flushes_subnormals_while_it_trains_and_restores_the_callers_mode(caller_flushes):
    # Adam's second moments of weights that only decay fall below float32's smallest normal
    # number, and every operation on such numbers takes the CPU's slow path.
    modes_while_training = []
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    torch.set_flush_denormal(caller_flushes)
    try:
        with report_epochs(lambda *epoch: modes_while_training.append(_flushing_subnormals())):
            VIANNClassifier(**dict(FAST, max_iter=2, solver="adam")).fit(X, y)
        assert modes_while_training == [True, True]
        assert _flushing_subnormals() is caller_flushes
    finally:
        torch.set_flush_denormal(False)


def test_no_worker_thread_keeps_flushing_after_the_first_fit_of_a_process():
    # A thread starts with its creator's mode: torch's worker threads, if a fit started them while
    # flushing, would flush every later computation of the process. In a fresh process, as a user's.
    script = (
        "import numpy as np, torch, warnings; warnings.simplefilter('ignore'); torch.set_num_threads(2)\n"
        "from viann_sklearn import VIANNClassifier\n"
        "X = np.random.default_rng(0).normal(size=(60, 4)); y = (X[:, 0] > 0).astype(int)\n"
        "VIANNClassifier(max_iter=3, random_state=0).fit(X, y)\n"
        "print(int((torch.full((4_000_000,), 2e-38) / 100 == 0).sum()))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "0"  # not one of the 4 million subnormal results was flushed


def test_subnormals_flushed_turns_subnormal_results_into_zero_on_the_cpu_only():
    smallest_normal = torch.finfo(torch.float32).tiny
    with subnormals_flushed("cpu"):
        assert float(torch.tensor(smallest_normal) / 4) == 0.0
    assert float(torch.tensor(smallest_normal) / 4) > 0.0
    with subnormals_flushed("meta"):  # another device: the CPU's mode is left alone
        assert float(torch.tensor(smallest_normal) / 4) > 0.0

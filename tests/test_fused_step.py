"""The fused training step (``training/fused.py``) against the autograd path it replaces.

The fused step calls the kernels autograd calls, in the same order, so on one
machine the two paths agree bit for bit (``tests/test_unchanged_numbers.py``
pins that). The assertions here allow float32 rounding instead, so that they
state what a user relies on, the same model, and still hold where another BLAS
sums a product in another order:

- one step's loss and gradients: ``rtol=1e-6`` of float32 (``1e-12`` of
  float64), ``atol`` that times the largest gradient entry;
- one epoch's weights: ``rtol=1e-5``, ``atol=1e-7`` (float32 data);
- a full fit at the defaults (early stopping, best epoch restored):
  importances within ``atol=1e-5``, the same ``n_iter_``, the same predicted
  labels, probabilities within ``atol=1e-5``.
"""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from skorch.callbacks import Callback
from torch import nn

import viann_sklearn.training.loop as loop_module
from viann_sklearn import VIANNClassifier, VIANNRegressor, fit_stream
from viann_sklearn.training.fused import FUSED, FusedStep, fused_step_for
from viann_sklearn.training.mlp import LOSSES, MultiLayerPerceptron
from viann_sklearn.training.net import LeanNet

pytestmark = pytest.mark.usefixtures("quiet_convergence")

STEP_TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}
EPOCH = dict(rtol=1e-5, atol=1e-7)
FIT_ATOL = 1e-5


@pytest.fixture
def autograd_path(monkeypatch):
    """Within the test, every minibatch fit trains through skorch's train_step and autograd."""

    def train_with_autograd():
        monkeypatch.setattr(loop_module, "fused_step_for", lambda net: (None, "the reference"))

    return train_with_autograd


def _targets(loss_name, n_rows, n_outputs, dtype, generator):
    if loss_name == "cross_entropy":
        return torch.randint(0, n_outputs, (n_rows,), generator=generator)
    if loss_name == "binary_cross_entropy":
        return torch.randint(0, 2, (n_rows, n_outputs), generator=generator).to(dtype)
    if loss_name == "poisson":
        return torch.poisson(torch.full((n_rows, n_outputs), 2.0, dtype=dtype), generator=generator)
    return torch.randn(n_rows, n_outputs, dtype=dtype, generator=generator)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("weighted", [False, True])
def test_one_step_gives_autograds_loss_and_gradients(dtype, loss_name, activation, weighted):
    generator = torch.Generator().manual_seed(0)
    n_rows, n_features, n_outputs = 37, 6, 3
    X = torch.randn(n_rows, n_features, dtype=dtype, generator=generator) * 3 + 1
    module = MultiLayerPerceptron(
        n_features, (8, 5), n_outputs, activation, 0.3, generator=generator, input_shift=X.mean(0), input_scale=X.std(0)
    ).to(dtype)
    y = _targets(loss_name, n_rows, n_outputs, dtype, generator)
    targets = (y, torch.rand(n_rows, dtype=dtype, generator=generator)) if weighted else y
    criterion = LOSSES[loss_name]()

    reference = copy.deepcopy(module)
    expected_loss = criterion(reference(X), targets)
    expected_loss.backward()
    # lr=0: the step's update leaves the weights where the reference computed its gradients.
    loss = FusedStep(module, criterion, torch.optim.SGD(module.parameters(), lr=0.0))(X, targets)

    rtol = STEP_TOLERANCE[dtype]
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=rtol, atol=0.0)
    for (name, parameter), expected in zip(module.named_parameters(), reference.parameters()):
        scale = float(expected.grad.abs().max())
        torch.testing.assert_close(parameter.grad, expected.grad, rtol=rtol, atol=rtol * scale, msg=name)


def _problems():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 6)) * [1, 5, 0.2, 1, 3, 1] + [0, 10, 0, -2, 0, 1]).astype(np.float32)
    signal = X[:, 0] - 0.5 * (X[:, 1] - 10) / 5 + 0.3 * rng.normal(size=300)
    labels = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    multilabel = np.column_stack([signal > 0, X[:, 3] > -2, X[:, 4] > 1]).astype(int)
    counts = rng.poisson(np.exp(0.5 * np.tanh(signal)))
    weights = rng.uniform(0.2, 2.0, size=300)
    return {
        "sgd nesterov": (VIANNClassifier, dict(), X, labels, None),
        "sgd momentum, no nesterov": (VIANNClassifier, dict(nesterovs_momentum=False), X, labels, None),
        "sgd invscaling": (VIANNClassifier, dict(learning_rate="invscaling", momentum=0.0), X, labels, None),
        "adam": (VIANNClassifier, dict(solver="adam", learning_rate_init=0.003), X, labels, None),
        "sample_weight": (VIANNClassifier, dict(), X, labels, weights),
        "adam sample_weight": (VIANNClassifier, dict(solver="adam"), X, labels, weights),
        "multilabel": (VIANNClassifier, dict(), X, multilabel, None),
        "regression": (VIANNRegressor, dict(), X, 2 * signal + 3, None),
        "regression sample_weight": (VIANNRegressor, dict(activation="tanh"), X, 2 * signal + 3, weights),
        "poisson": (VIANNRegressor, dict(loss="poisson", learning_rate_init=0.003), X, counts, None),
    }


PROBLEMS = _problems()


def _fit(case, **params):
    Estimator, case_params, X, y, sample_weight = PROBLEMS[case]
    estimator = Estimator(**{**dict(hidden_layer_sizes=(12, 7), random_state=0), **case_params, **params})
    return estimator.fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_one_epoch_gives_autograds_weights(case, autograd_path):
    fused = _fit(case, max_iter=1, early_stopping=False, batch_size=32, importance_on="batch")
    autograd_path()
    reference = _fit(case, max_iter=1, early_stopping=False, batch_size=32, importance_on="batch")
    assert fused.net_.training_path_ == FUSED
    assert reference.net_.training_path_.startswith("autograd")
    for fused_weights, reference_weights in zip(
        fused.coefs_ + fused.intercepts_, reference.coefs_ + reference.intercepts_
    ):
        np.testing.assert_allclose(fused_weights, reference_weights, **EPOCH)
    # After training, .grad holds the last step's gradients, as after loss.backward().
    for parameter, expected in zip(fused.net_.module_.parameters(), reference.net_.module_.parameters()):
        np.testing.assert_allclose(parameter.grad.numpy(), expected.grad.numpy(), **EPOCH)
    # VIANN sampled the first layer after every step, the same weights on both paths.
    np.testing.assert_allclose(
        fused.variance_importance_.variances_, reference.variance_importance_.variances_, rtol=1e-4
    )
    assert fused.variance_importance_.n_samples_ == reference.variance_importance_.n_samples_
    np.testing.assert_allclose(fused.loss_curve_, reference.loss_curve_, rtol=1e-6)


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_a_full_fit_at_the_defaults_gives_autograds_model(case, autograd_path):
    # The defaults: early stopping on a validation split, the best epoch's weights and variance restored.
    fused = _fit(case, max_iter=40)
    autograd_path()
    reference = _fit(case, max_iter=40)
    X = PROBLEMS[case][2]
    assert (fused.net_.training_path_, reference.net_.training_path_) == (FUSED, "autograd: the reference")
    assert fused.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(fused.feature_importances_, reference.feature_importances_, atol=FIT_ATOL)
    np.testing.assert_allclose(
        fused.variance_importance_.importances_history_,
        reference.variance_importance_.importances_history_,
        atol=FIT_ATOL,
    )
    np.testing.assert_array_equal(fused.predict(X), reference.predict(X))
    if hasattr(fused, "predict_proba"):
        np.testing.assert_allclose(fused.predict_proba(X), reference.predict_proba(X), atol=FIT_ATOL)
    np.testing.assert_allclose(fused.loss_curve_, reference.loss_curve_, rtol=1e-5)


def test_partial_fit_and_warm_start_continue_the_optimizer_state_as_autograd_does(autograd_path):
    def train():
        X, y = PROBLEMS["sgd nesterov"][2:4]
        incremental = VIANNClassifier(hidden_layer_sizes=(9,), solver="adam", random_state=0)
        for _ in range(3):
            incremental.partial_fit(X, y, classes=[0, 1, 2])
        warm = VIANNClassifier(
            hidden_layer_sizes=(9,), max_iter=3, warm_start=True, random_state=0, early_stopping=False
        )
        warm.fit(X, y).set_params(learning_rate_init=0.002).fit(X, y)
        return incremental, warm

    fused = train()
    autograd_path()
    reference = train()
    for fused_model, reference_model in zip(fused, reference):
        for fused_weights, reference_weights in zip(fused_model.coefs_, reference_model.coefs_):
            np.testing.assert_allclose(fused_weights, reference_weights, **EPOCH)
        np.testing.assert_allclose(
            fused_model.feature_importances_, reference_model.feature_importances_, atol=FIT_ATOL
        )


def test_a_dense_stream_takes_the_fused_step_and_trains_as_autograd(autograd_path):
    X, y = PROBLEMS["regression"][2:4]
    chunks = [(X[start : start + 70], y[start : start + 70]) for start in range(0, len(X), 70)]
    params = dict(hidden_layer_sizes=(8,), max_iter=5, batch_size=32, random_state=0)
    fused = fit_stream(VIANNRegressor(**params), chunks)
    autograd_path()
    reference = fit_stream(VIANNRegressor(**params), chunks)
    assert fused.net_.training_path_ == FUSED
    np.testing.assert_allclose(fused.feature_importances_, reference.feature_importances_, atol=FIT_ATOL)
    np.testing.assert_allclose(fused.predict(X), reference.predict(X), rtol=1e-5, atol=1e-5)


def test_what_the_fused_step_does_not_cover_trains_through_autograd():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 4)), np.arange(80) % 2
    lbfgs = VIANNClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5).fit(X, y)
    assert lbfgs.net_.training_path_.startswith("autograd: L-BFGS")
    sparse = VIANNClassifier(hidden_layer_sizes=(5,), max_iter=2).fit(sp.csr_matrix(X), y)
    assert sparse.net_.training_path_ == "autograd: the rows are sparse"
    dense = VIANNClassifier(hidden_layer_sizes=(5,), max_iter=2).fit(X, y)
    assert dense.net_.training_path_ == FUSED


class _CountBatches(Callback):
    def on_batch_begin(self, net, **kwargs):
        pass


@pytest.mark.parametrize(
    "net_arguments, reason",
    [
        (dict(module=nn.Linear(4, 2), criterion=nn.CrossEntropyLoss), "not the built-in MultiLayerPerceptron"),
        (dict(module=MultiLayerPerceptron(4, (3,), 2), criterion=nn.CrossEntropyLoss), "no written-out gradient"),
        (
            dict(
                module=MultiLayerPerceptron(4, (3,), 2), criterion=LOSSES["cross_entropy"], optimizer=torch.optim.LBFGS
            ),
            "L-BFGS",
        ),
        (
            dict(
                module=MultiLayerPerceptron(4, (3,), 2),
                criterion=LOSSES["cross_entropy"],
                callbacks=[("begin", _CountBatches())],
            ),
            "on_batch_begin",
        ),
    ],
)
def test_fused_step_for_says_why_a_net_needs_autograd(net_arguments, reason):
    net = LeanNet(**net_arguments, train_split=None, verbose=0).initialize()
    step, why = fused_step_for(net)
    assert step is None and reason in why


def test_a_module_with_hooks_or_frozen_weights_needs_autograd():
    net = LeanNet(MultiLayerPerceptron(4, (3,), 2), criterion=LOSSES["cross_entropy"], train_split=None).initialize()
    assert fused_step_for(net)[0] is not None
    handle = net.module_.register_forward_hook(lambda *args: None)
    assert "hooks" in fused_step_for(net)[1]
    handle.remove()
    net.module_.layers[0].bias.requires_grad_(False)
    assert "frozen" in fused_step_for(net)[1]


def test_a_module_off_the_cpu_trains_through_autograd_until_a_gpu_has_checked_the_fused_step():
    net = LeanNet(MultiLayerPerceptron(4, (3,), 2), criterion=LOSSES["cross_entropy"], train_split=None).initialize()
    net.module_.to("meta")  # a device with every kernel's shapes and none of its numbers
    assert "on the CPU only" in fused_step_for(net)[1]


def test_parameter_gradient_hooks_need_autograd():
    net = LeanNet(MultiLayerPerceptron(4, (3,), 2), criterion=LOSSES["cross_entropy"], train_split=None).initialize()
    net.module_.layers[0].weight.register_hook(lambda gradient: gradient)
    assert "hooks" in fused_step_for(net)[1]


def test_optimizer_step_hooks_run_at_every_fused_step():
    module = MultiLayerPerceptron(4, (6,), 3)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1, momentum=0.9, fused=True)
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    step = FusedStep(module, LOSSES["cross_entropy"](), optimizer)
    for _ in range(4):
        step(torch.randn(10, 4), torch.arange(10) % 3)
    assert len(steps) == 4


def test_the_fused_step_never_builds_an_autograd_graph():
    module = MultiLayerPerceptron(4, (6,), 3)
    step = FusedStep(module, LOSSES["cross_entropy"](), torch.optim.SGD(module.parameters(), lr=0.1, momentum=0.9))
    X, y = torch.randn(10, 4), torch.arange(10) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            loss = step(X, y)
    assert loss.grad_fn is None and not loss.requires_grad

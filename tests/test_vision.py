"""kernel_importances: kernel positions and filters of a first convolution, through every adapter."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetClassifier
from torch import nn

from viann_sklearn import VarianceImportance, VarianceImportanceTorch
from viann_sklearn.vision import kernel_importances


@pytest.fixture(scope="module")
def images():
    """Two channels of 6x6: the class is the sign of channel 0's centre; channel 1 is noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 2, 6, 6)).astype(np.float32)
    y = (X[:, 0, 2:4, 2:4].mean(axis=(1, 2)) > 0).astype(np.int64)
    return X, y


def small_cnn(in_channels=2, filters=4, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, filters, 3, groups=groups), nn.ReLU(), nn.Flatten(), nn.Linear(filters * 4 * 4, 2)
    )


def fit_skorch(X, y, module, seed=0, epochs=8):
    torch.manual_seed(seed)
    net = NeuralNetClassifier(
        module,
        criterion=nn.CrossEntropyLoss,
        lr=0.1,
        max_epochs=epochs,
        batch_size=32,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance()],
    )
    return net.fit(X, y)


@pytest.fixture(scope="module")
def trained_net(images):
    return fit_skorch(*images, small_cnn())


def test_positions_and_filters_are_var_times_abs_weight_summed_the_right_way(trained_net):
    net = trained_net
    viann = dict(net.callbacks_)["VarianceImportance"]
    result = kernel_importances(net)

    # Reference in numpy from the callback's variances and the module's final kernel (out, in, kh, kw).
    weight = net.module_[0].weight.detach().double().numpy()
    scores = viann.variances_ * np.abs(weight)
    np.testing.assert_allclose(result.by_filter, scores / scores.sum(), rtol=1e-10)
    np.testing.assert_allclose(result.positions, scores.sum(axis=0) / scores.sum(), rtol=1e-10)
    np.testing.assert_allclose(result.filters, scores.sum(axis=(1, 2, 3)) / scores.sum(), rtol=1e-10)
    np.testing.assert_array_equal(result.weights, weight)
    assert result.positions.shape == (2, 3, 3) and result.filters.shape == (4,)
    # A channel's positions add up to the importance the callback gave the channel.
    np.testing.assert_allclose(result.positions.sum(axis=(1, 2)), viann.feature_importances_, rtol=1e-9)
    assert result.param_name == "0.weight"


def test_the_informative_channel_outweighs_the_noise_channel(trained_net):
    result = kernel_importances(trained_net)
    informative, noise = result.positions.sum(axis=(1, 2))
    assert informative > 3 * noise


def test_callback_alone_needs_the_module(images):
    X, y = images
    net = fit_skorch(X, y, small_cnn(), epochs=2)
    viann = dict(net.callbacks_)["VarianceImportance"]
    with pytest.raises(ValueError, match="needs the trained model"):
        kernel_importances(viann)
    np.testing.assert_allclose(
        kernel_importances(viann, model=net.module_).positions, kernel_importances(net).positions
    )


def test_grouped_convolution_expands_to_every_input_channel(images):
    X, y = images
    X4 = np.concatenate([X, X[:, ::-1]], axis=1)  # 4 channels, 2 groups of 2
    net = fit_skorch(X4, y, small_cnn(in_channels=4, filters=4, groups=2), epochs=3)
    viann = dict(net.callbacks_)["VarianceImportance"]
    result = kernel_importances(net)
    assert result.positions.shape == (4, 3, 3) and result.by_filter.shape == (4, 4, 3, 3)
    # Filters 0-1 read channels 0-1 only, filters 2-3 channels 2-3 only.
    assert not result.by_filter[:2, 2:].any() and not result.by_filter[2:, :2].any()
    # The core's own group split gives the same channel importances.
    np.testing.assert_allclose(result.positions.sum(axis=(1, 2)), viann.feature_importances_, rtol=1e-9)


def test_plain_torch_tracker(images):
    X, y = images
    torch.manual_seed(0)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    tracker = VarianceImportanceTorch(model)
    tracker.on_train_begin()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(4):
        for batch in torch.split(torch.randperm(len(X)), 32):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs[batch]), targets[batch]).backward()
            optimizer.step()
        tracker.on_epoch_end()
    tracker.on_train_end()
    result = kernel_importances(tracker)
    weight = model[0].weight.detach().double().numpy()
    scores = tracker.variances_ * np.abs(weight)
    np.testing.assert_allclose(result.positions, scores.sum(axis=0) / scores.sum(), rtol=1e-10)


def test_a_dense_first_layer_is_refused_with_the_reason(images):
    X, y = images
    module = nn.Sequential(nn.Flatten(), nn.Linear(72, 2))
    net = fit_skorch(X, y, module, epochs=2)
    with pytest.raises(ValueError, match="needs a tracked convolution.*Linear"):
        kernel_importances(net)


def test_a_model_trained_further_is_refused(images):
    X, y = images
    net = fit_skorch(X, y, small_cnn(), epochs=2)
    viann = dict(net.callbacks_)["VarianceImportance"]
    with torch.no_grad():
        net.module_[0].weight[0].mul_(5.0)  # as if trained on without the tracker
    with pytest.raises(ValueError, match="trained further"):
        kernel_importances(viann, model=net.module_)


def test_bad_arguments_name_the_problem(images):
    with pytest.raises(ValueError, match="expects a VIANN adapter"):
        kernel_importances(np.zeros(3))
    with pytest.raises(ValueError, match="has no importances yet"):
        kernel_importances(VarianceImportanceTorch(small_cnn()))
    X, y = images
    plain = NeuralNetClassifier(
        small_cnn(), criterion=nn.CrossEntropyLoss, max_epochs=1, train_split=None, verbose=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="exactly one VarianceImportance callback; this one has 0"):
        kernel_importances(plain)
    with pytest.raises(InvalidParameterError, match="'model' parameter of kernel_importances"):
        kernel_importances(plain, model="net.module_")  # checked before viann is


def test_keras_conv2d_channels_last():
    keras = pytest.importorskip("keras", reason="the optional Keras extra is not installed")
    from viann_sklearn.keras import VarianceImportanceKeras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 6, 6, 2)).astype("float32")  # channels last
    y = (X[:, 2:4, 2:4, 0].mean(axis=(1, 2)) > 0).astype("int64")
    model = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    viann = VarianceImportanceKeras()
    model.fit(X, y, epochs=6, batch_size=32, verbose=0, callbacks=[viann])
    result = kernel_importances(viann)

    kernel = keras.ops.convert_to_numpy(model.layers[0].kernel).astype(float)  # (kh, kw, in, out)
    scores = (viann.variances_ * np.abs(kernel)).transpose(3, 2, 0, 1)  # -> (out, in, kh, kw)
    np.testing.assert_allclose(result.by_filter, scores / scores.sum(), rtol=1e-6)
    assert result.positions.shape == (2, 3, 3)
    np.testing.assert_allclose(result.positions.sum(axis=(1, 2)), viann.feature_importances_, rtol=1e-6)
    informative, noise = result.positions.sum(axis=(1, 2))
    assert informative > 3 * noise


def test_keras_dense_first_layer_is_refused():
    keras = pytest.importorskip("keras", reason="the optional Keras extra is not installed")
    from viann_sklearn.keras import VarianceImportanceKeras

    X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    viann = VarianceImportanceKeras()
    model.fit(X, X[:, :2], epochs=2, verbose=0, callbacks=[viann])
    with pytest.raises(ValueError, match="needs a tracked Conv1D, Conv2D or Conv3D layer.*Dense"):
        kernel_importances(viann)

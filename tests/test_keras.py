"""The Keras 3 callbacks, on Keras's PyTorch backend (set in conftest.py)."""

import importlib
import sys

import numpy as np
import pytest


def test_without_keras_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)  # makes `import keras` fail
    monkeypatch.delitem(sys.modules, "viann_sklearn.keras", raising=False)
    monkeypatch.delitem(sys.modules, "viann_sklearn.adapters.keras_callbacks", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'viann-sklearn\[keras\]'"):
        importlib.import_module("viann_sklearn.keras")


def test_package_imports_without_touching_keras():
    import subprocess

    code = "import sys, viann_sklearn; assert 'keras' not in sys.modules, 'keras was imported'"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


keras = pytest.importorskip("keras", reason="the optional Keras extra is not installed")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(192, 6)).astype("float32")
    y = (X[:, 0] - X[:, 2] > 0).astype("int64")
    return X, y


class RecordKernel(keras.callbacks.Callback):
    """Reference: copies the kernel before training and after every epoch."""

    def __init__(self, get_kernel):
        super().__init__()
        self.get_kernel = get_kernel
        self.values = []

    def on_train_begin(self, logs=None):
        self.values.append(keras.ops.convert_to_numpy(self.get_kernel()).astype(np.float64))

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(keras.ops.convert_to_numpy(self.get_kernel()).astype(np.float64))


def _fit(model, X, y, callbacks, epochs):
    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(X, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks)


def test_matches_numpy_and_skips_layers_without_kernel(data):
    from viann_sklearn.keras import VarianceImportanceKeras

    X, y = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="tanh", name="first_dense"),  # in 6 != out 3
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    recorder = RecordKernel(lambda: model.get_layer("first_dense").kernel)
    viann = VarianceImportanceKeras()
    _fit(model, X, y, [recorder, viann], epochs=4)

    assert viann.param_name_ == "first_dense"
    reference = np.stack(recorder.values)
    assert len(reference) == viann.n_samples_ == 5
    variances = np.var(reference, axis=0, ddof=1)
    np.testing.assert_allclose(viann.variances_, variances, rtol=1e-6, atol=1e-12)
    scores = np.sum(variances * np.abs(reference[-1]), axis=1)  # Keras kernels are (in, out)
    np.testing.assert_allclose(viann.scores_, scores, rtol=1e-6)
    assert viann.feature_importances_.shape == (6,)
    np.testing.assert_allclose(viann.feature_importances_.sum(), 1.0)
    assert viann.var_scores.max() == 1.0 and viann.var_scores.min() == 0.0


def test_functional_model_built_out_of_creation_order(data):
    from viann_sklearn.keras import VarianceImportanceKeras

    X, y = data
    keras.utils.set_random_seed(0)
    head = keras.layers.Dense(2, activation="softmax", name="head")  # created first
    body = keras.layers.Dense(16, activation="relu", name="body")
    inputs = keras.Input((6,))
    model = keras.Model(inputs, head(body(inputs)))
    viann = VarianceImportanceKeras()
    _fit(model, X, y, [viann], epochs=10)
    assert viann.param_name_ == "body"
    assert set(np.argsort(viann.feature_importances_)[-2:]) == {0, 2}


def test_one_epoch_is_finite_and_batch_mode_samples_each_step(data):
    from viann_sklearn.keras import VarianceImportanceKeras

    X, y = data
    for on, expected_samples in (("epoch", 2), ("batch", 1 + 6)):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((6,)), keras.layers.Dense(4), keras.layers.Dense(2, activation="softmax")]
        )
        viann = VarianceImportanceKeras(on=on)
        _fit(model, X, y, [viann], epochs=1)
        assert viann.n_samples_ == expected_samples
        assert np.all(np.isfinite(viann.feature_importances_))


def test_convolution_and_embedding_give_one_score_per_channel_or_token():
    from viann_sklearn.keras import VarianceImportanceKeras

    rng = np.random.default_rng(1)
    images = rng.normal(size=(64, 8, 3)).astype("float32")  # 3 channels
    labels = (images[:, :, 1].mean(axis=1) > 0).astype("int64")
    keras.utils.set_random_seed(0)
    conv = keras.Sequential(
        [
            keras.Input((8, 3)),
            keras.layers.Conv1D(4, 3, groups=1),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    viann = VarianceImportanceKeras()
    _fit(conv, images, labels, [viann], epochs=3)
    assert viann.feature_importances_.shape == (3,)

    tokens = rng.integers(0, 10, size=(64, 5))
    keras.utils.set_random_seed(0)
    embed = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(10, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    viann = VarianceImportanceKeras()
    _fit(embed, tokens, (tokens == 3).any(axis=1).astype("int64"), [viann], epochs=2)
    assert viann.feature_importances_.shape == (10,)


def test_grouped_convolution_maps_groups_to_input_channels():
    from viann_sklearn.adapters.keras_callbacks import _input_weight

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 4)), keras.layers.Conv1D(6, 3, groups=2)])
    tracked = _input_weight(model, None, None)
    assert tracked.groups == 2 and tracked.feature_axis == 1
    assert tuple(tracked.read().shape) == (6, 2, 3)  # (out, in // groups, kernel)


def test_layer_name_and_errors():
    from viann_sklearn.adapters.keras_callbacks import VarianceImportanceKeras, _input_weight

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="a"), keras.layers.Dense(2, name="b")])
    assert _input_weight(model, "b", None).name == "b"
    with pytest.raises(ValueError, match=r"layer_name='c' is not a layer.*\['a', 'b'\]"):
        _input_weight(model, "c", None)
    with pytest.raises(ValueError, match="on must be 'epoch' or 'batch'"):
        VarianceImportanceKeras(on="never")


def test_metric_threshold_stops_after_min_epochs(data):
    from viann_sklearn.keras import MetricThreshold, VarianceImportanceKeras

    X, y = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )
    stopper = MetricThreshold(monitor="accuracy", threshold=0.9, min_epochs=3)
    viann = VarianceImportanceKeras()
    history = _fit(model, X, y, [stopper, viann], epochs=200)
    epochs_run = len(history.history["loss"])
    assert stopper.stopped_epoch_ == epochs_run
    assert 3 <= epochs_run < 200
    assert history.history["accuracy"][-1] >= 0.9
    assert viann.n_samples_ == epochs_run + 1  # VIANN saw the stopping epoch too

    stopper = MetricThreshold(monitor="val_accuracy")
    with pytest.raises(ValueError, match=r"monitor='val_accuracy' is not in the epoch logs"):
        _fit(model, X, y, [stopper], epochs=1)
    with pytest.raises(ValueError, match="min_epochs must be an int >= 1"):
        MetricThreshold(min_epochs=0)


def test_a_named_layer_without_kernel_or_a_model_without_one_is_an_error():
    from viann_sklearn.adapters.keras_callbacks import _input_weight

    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(name="norm"), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Layer 'norm' has no trainable kernel"):
        _input_weight(model, "norm", None)
    no_kernel = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    with pytest.raises(ValueError, match="no trainable layer with a kernel"):
        _input_weight(no_kernel, None, None)

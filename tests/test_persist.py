"""Models saved by viann rank --save: skops, no pickle, the same predictions after loading."""

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("skops", reason="skops (cli extra) is not installed")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from viann_sklearn import VIANNClassifier, VIANNRegressor  # noqa: E402
from viann_sklearn.cli import build_parser, main  # noqa: E402
from viann_sklearn.cli.persist import ModelFileError, load_model, save_model  # noqa: E402
from viann_sklearn.cli.rank import _pipeline  # noqa: E402
from viann_sklearn.cli.table import plan_columns, preprocessor  # noqa: E402

pytestmark = pytest.mark.usefixtures("quiet_convergence")


def _fitted(task, y):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=len(y)),
            "price": [f"{value:,.0f}" for value in rng.uniform(1000, 9000, len(y))],
            "when": pd.date_range("2021-03-01", periods=len(y), freq="D").strftime("%Y-%m-%d"),
            "kind": rng.choice(["a", "b", "c"], len(y)),
        }
    )
    args = build_parser().parse_args(
        ["rank", "data.csv", "--target", "y", "--max-iter", "5", "--hidden-layer-sizes", "6,4"]
    )
    args.hidden_layer_sizes = (6, 4)
    model = _pipeline(preprocessor(plan_columns(X)), task, args).fit(X, y)
    return model, X


@pytest.mark.parametrize(
    "task, y",
    [
        ("classification", np.array(["cat", "dog", "emu"] * 30)),
        ("regression", np.linspace(100, 900, 90)),  # standardised targets must be converted back
    ],
)
def test_loaded_model_predicts_exactly_as_the_saved_one(tmp_path, task, y):
    model, X = _fitted(task, y)
    path = tmp_path / "model.skops"
    save_model(model, path, target="y", task=task, unused=[])
    loaded = load_model(path)
    assert loaded["target"] == "y" and loaded["task"] == task
    np.testing.assert_array_equal(loaded["model"].predict(X), model.predict(X))
    if task == "classification":
        np.testing.assert_array_equal(loaded["model"].predict_proba(X), model.predict_proba(X))
        with pytest.raises(AttributeError, match="no importances"):
            loaded["model"][-1].feature_importances_  # not trained here: no made-up importances


def test_a_file_naming_other_types_is_refused(tmp_path):
    model, _ = _fitted("classification", np.array([0, 1] * 30))
    path = tmp_path / "model.skops"
    save_model(model, path, target="y", task="classification", unused=[])
    # Point one of the trusted functions at os.system, as a malicious file would.
    tampered = tmp_path / "tampered.skops"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "schema.json":
                data = data.replace(b'"viann_sklearn.cli.table"', b'"os"').replace(b'"parse_numbers"', b'"system"')
            target.writestr(item, data)
    with pytest.raises(ModelFileError, match="not trusted"):
        load_model(tampered)


@pytest.mark.parametrize("contents", [b"", b"x,y\n1,2\n", b"PK\x03\x04 not really a zip"])
def test_other_files_are_not_models(tmp_path, contents):
    path = tmp_path / "model.skops"
    path.write_bytes(contents)
    with pytest.raises(ModelFileError, match="not a model saved by viann rank"):
        load_model(path)


@pytest.mark.parametrize(
    "estimator, y_kind",
    [
        (VIANNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0), "multilabel"),
        (VIANNRegressor(hidden_layer_sizes=(8,), max_iter=5, loss="poisson", random_state=0), "counts"),
    ],
)
def test_multilabel_and_poisson_models_predict_the_same_after_loading(tmp_path, estimator, y_kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, :2] > 0).astype(int) if y_kind == "multilabel" else rng.poisson(np.exp(X[:, 0]), size=(2, 40)).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(StandardScaler(), estimator).fit(X, y)
    save_model(model, tmp_path / "model.skops")
    loaded = load_model(tmp_path / "model.skops")["model"]
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_model_saved_before_the_package_was_split_into_layers_still_predicts_the_same(tmp_path, capsys):
    # Saved by `viann rank tests/fixtures/shops.csv --target kind --cv 2 --max-iter 30
    # --hidden-layer-sizes 8 --noise-alpha 0 --save ...` with the single-folder package (0.1.0),
    # and its `viann predict --proba` output kept beside it. The file names the column treatments
    # by their old module path.
    saved, rows = FIXTURES / "shops_before_layers.skops", FIXTURES / "shops.csv"
    expected = pd.read_csv(FIXTURES / "shops_before_layers_predictions.csv")
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(saved), str(rows), "--proba", "--output", str(output)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(output), expected)
    loaded = load_model(saved)["model"]
    frame = pd.read_csv(rows).drop(columns="kind")
    # To the last bits or so: the matrix products' kernels differ between CPUs, and on one the
    # probabilities came out 1 ulp (2e-16) away from those recorded on another.
    np.testing.assert_allclose(
        loaded.predict_proba(frame), expected[["P(big)", "P(small)"]].to_numpy(), rtol=1e-12, atol=0
    )

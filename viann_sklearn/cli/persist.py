"""Saving a fitted ``viann rank`` model to a file, and loading it back, without pickle.

skops (``skops.io``) stores scikit-learn objects as data, and refuses on load
any type it was not told to trust, so a model file cannot run code. It cannot
hold torch tensors (``skops.io.dumps`` of a fitted VIANN estimator fails in
torch's ``TensorBase``), so the network is stored as data too: its class, its
parameters, and its weights as numpy arrays. Loading builds a network of the
same shape and copies the weights in; predictions are those of the saved model
(tests/test_persist.py checks this).
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from ..estimators.classifier import VIANNClassifier
from ..estimators.regressor import VIANNRegressor

__all__ = ["ModelFileError", "load_model", "save_model"]

FORMAT = "viann-sklearn model"
VERSION = 1
_ESTIMATORS = {"VIANNClassifier": VIANNClassifier, "VIANNRegressor": VIANNRegressor}
# Types of ours a model file may name, besides those skops trusts by default
# (numpy, scikit-learn...): the functions of viann rank's column treatments, and
# numpy's dtype objects (fitted imputers keep one), which hold no code.
_TRUSTED = [
    "numpy.dtype",
    "viann_sklearn.cli.table.date_part_names",
    "viann_sklearn.cli.table.date_parts",
    "viann_sklearn.cli.table.parse_numbers",
]
# Where the types a model file names have moved. Files saved by 0.1.0 name the
# column treatments by their module before the package was split into layers.
# Exactly these (module, name) pairs are read as their new home, before the
# trust check above, which then applies to the new names; nothing else moves.
_MOVED = {
    ("viann_sklearn._table", "date_part_names"): "viann_sklearn.cli.table",
    ("viann_sklearn._table", "date_parts"): "viann_sklearn.cli.table",
    ("viann_sklearn._table", "parse_numbers"): "viann_sklearn.cli.table",
}


class ModelFileError(ValueError):
    """The file is not a model saved by ``viann rank --save``, or names a type that is not trusted."""


def save_model(model: Pipeline, path: str | Path, **metadata: Any) -> None:
    """Write a fitted pipeline (preprocessing, then a VIANN estimator) and ``metadata`` to ``path``.

    ``metadata`` holds plain values (str, float, lists and dicts of them).
    """
    import skops.io

    network = model[-1]
    if type(network).__name__ not in _ESTIMATORS:
        raise TypeError(f"save_model saves pipelines ending in a VIANN estimator, not {type(network).__name__}.")
    state = {name: tensor.detach().cpu().numpy() for name, tensor in network.net_.module_.state_dict().items()}
    described = {
        "class": type(network).__name__,
        "params": network.get_params(),
        "state_names": list(state),
        "state": list(state.values()),
        "n_features_in": int(network.n_features_in_),
        "classes": getattr(network, "classes_", None),
        "multilabel": bool(getattr(network, "_multilabel", False)),
        "n_outputs": int(network.n_outputs_),
        # VIANNRegressor predicts in standard units and converts back with these
        "target_shift": getattr(network, "_target_shift", None),
        "target_scale": getattr(network, "_target_scale", None),
    }
    skops.io.dump(
        {"format": FORMAT, "version": VERSION, "preprocessing": model[:-1], "network": described, **metadata}, path
    )


def load_model(path: str | Path) -> dict[str, Any]:
    """Read a file written by :func:`save_model`: a dict with the fitted pipeline under ``"model"``.

    The pipeline predicts as the saved one did. Its network was not trained
    here, so it has no ``feature_importances_``: the ranking it was saved
    with is under ``"importances"``.

    Raises
    ------
    ModelFileError
        For a file that is missing, not a skops file, not a saved model, or
        that names a type outside scikit-learn's, numpy's and ours.
    """
    import skops.io

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such file: {path}")
    try:
        contents = _with_moved_types_renamed(path)
        untrusted = skops.io.get_untrusted_types(data=contents)
    except Exception as error:  # skops raises zipfile, json and key errors alike for a file it cannot read
        raise ModelFileError(
            f"{path.name} is not a model saved by viann rank --save ({type(error).__name__})"
        ) from None
    unknown = sorted(set(untrusted) - set(_TRUSTED))
    if unknown:
        raise ModelFileError(
            f"{path.name} names types that are not trusted, so it is not loaded: {', '.join(unknown[:3])}"
        )
    saved = skops.io.loads(contents, trusted=untrusted)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ModelFileError(f"{path.name} is not a model saved by viann rank --save")
    if saved.get("version") != VERSION:
        raise ModelFileError(
            f"{path.name} was saved in format version {saved.get('version')}; this viann-sklearn "
            f"reads version {VERSION}"
        )
    network = _rebuild(saved.pop("network"))
    preprocessing = saved.pop("preprocessing")
    saved["model"] = Pipeline([*preprocessing.steps, (type(network).__name__.lower(), network)])
    return saved


def _with_moved_types_renamed(path: Path) -> bytes:
    """The file's bytes, with the types listed in ``_MOVED`` named where they live now."""
    with zipfile.ZipFile(path) as source:
        schema = json.loads(source.read("schema.json"))
        if not _rename_moved(schema):
            return path.read_bytes()
        renamed = io.BytesIO()
        with zipfile.ZipFile(renamed, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = json.dumps(schema) if item.filename == "schema.json" else source.read(item)
                target.writestr(item, data)
    return renamed.getvalue()


def _rename_moved(node: Any) -> int:
    """Rename, in place, every node of a skops schema whose type is in ``_MOVED``; how many were."""
    if isinstance(node, list):
        return sum(_rename_moved(child) for child in node)
    if not isinstance(node, dict):
        return 0
    renamed = 0
    new_module = _MOVED.get((str(node.get("__module__")), str(node.get("__class__"))))
    if new_module is not None:
        node["__module__"] = new_module
        renamed = 1
    return renamed + sum(_rename_moved(child) for child in node.values())


def _rebuild(described: dict[str, Any]) -> Any:
    """A VIANN estimator with the saved weights.

    The network of the right shape comes from one epoch on placeholder rows
    (one per class), with importance tracking off; the saved weights then
    replace its weights, so nothing of that epoch remains but its shape.
    """
    estimator_class = _ESTIMATORS[described["class"]]
    params = dict(described["params"])
    estimator = estimator_class(
        **{**params, "max_iter": 1, "early_stopping": False, "importance_on": None, "random_state": 0}
    )
    n_features, classes = described["n_features_in"], described["classes"]
    y: np.ndarray
    if classes is not None and described.get("multilabel", False):
        y = np.eye(2, len(classes), dtype=int)  # two rows of a label-indicator matrix, one column per label
    elif classes is not None:
        y = np.asarray(classes)
    else:
        # Files saved before n_outputs was stored: the target statistics have one entry per target.
        n_outputs = described.get("n_outputs") or (
            1 if described["target_shift"] is None else np.size(described["target_shift"])
        )
        y = np.zeros((2, n_outputs)) if n_outputs > 1 else np.zeros(2)
    X = np.zeros((len(y), n_features))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch on placeholders: the ConvergenceWarning is expected
        estimator.fit(X, y)
    weights = {name: torch.as_tensor(array) for name, array in zip(described["state_names"], described["state"])}
    estimator.net_.module_.load_state_dict(weights)
    estimator.net_.module_.eval()
    if classes is None:
        estimator._target_shift, estimator._target_scale = described["target_shift"], described["target_scale"]
    # The parameters it was trained with, except importance_on: this network tracked nothing.
    estimator.set_params(**{**params, "importance_on": None})
    return estimator

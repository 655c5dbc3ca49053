"""The selector's networks trained side by side: an estimator's settings turned into one stacked training run.

``VIANNSelector`` trains many copies of one estimator on X plus fresh shadow
columns. Where the estimator is a ``VIANNClassifier`` or ``VIANNRegressor``
with settings the written-out stacked step covers (see
:func:`side_by_side_unsupported`), :func:`fit_side_by_side` prepares each
copy as its own ``fit`` would (targets encoded, validation rows split with
its seed, columns standardised on its training rows, its batch size,
patience and constant-prediction baseline) and trains them together with
:func:`viann_sklearn.training.side_by_side.train_side_by_side`.
"""

from dataclasses import dataclass

import numpy as np
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..estimators import VIANNClassifier, VIANNRegressor
from ..estimators.early_stopping import (
    baseline_score,
    patience,
    split_validation,
    validation_rows,
    wants_validation,
)
from ..estimators.inputs import column_mean_and_scale
from ..method.scores import normalize_scores
from ..training.side_by_side import ACTIVATIONS, SideBySideSettings, train_side_by_side

__all__ = ["SideBySideFit", "fit_side_by_side", "network_seed", "side_by_side_unsupported"]


@dataclass
class SideBySideFit:
    """What the selector reads from one fitted network, as the estimator's attributes of the same names."""

    feature_importances_: np.ndarray
    best_validation_score_: float | None
    baseline_validation_score_: float | None
    n_iter_: int
    converged: bool
    diverged: bool


def side_by_side_unsupported(estimator, X, y, fit_params):
    """Why these fits cannot train side by side (a short reason), or None when they can.

    The stacked step covers the estimators' defaults and their common
    variations: SGD with any momentum at a constant learning rate, any
    activation, depth, width, batch size, L2 penalty and early-stopping
    setting, on dense X and one target column, without sample weights.
    Everything else trains one network at a time, as before.
    """
    if type(estimator) not in (VIANNClassifier, VIANNRegressor):
        return f"the estimator is a {type(estimator).__name__}, not a VIANNClassifier or VIANNRegressor"
    params = estimator.get_params()
    checks = [
        (params["solver"] != "sgd", f"solver={params['solver']!r}"),
        (params["learning_rate"] != "constant", f"learning_rate={params['learning_rate']!r}"),
        (params["activation"] not in ACTIVATIONS, f"activation={params['activation']!r}"),
        (params["importance_on"] != "epoch", f"importance_on={params['importance_on']!r}"),
        (bool(params["verbose"]), "verbose=True"),
        (params.get("loss", "squared_error") != "squared_error", f"loss={params.get('loss')!r}"),
        (sparse.issparse(X), "X is sparse"),
        (bool(fit_params), "fit parameters were passed"),
        (np.ndim(y) != 1, "y has more than one column"),
        (isinstance(estimator, VIANNClassifier) and len(np.unique(y)) < 2, "y has one class"),
    ]
    return next((reason for failing, reason in checks if failing), None)


def network_seed(random_state):
    """The seed a fit of an estimator with this ``random_state`` draws (``_BaseVIANN._draw_seed``)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def fit_side_by_side(estimator, inputs, y, random_states, dtype=None):
    """Fit one copy of ``estimator`` to each of ``inputs`` (all with y as target), side by side.

    Parameters
    ----------
    estimator : VIANNClassifier or VIANNRegressor
        Unfitted; :func:`side_by_side_unsupported` must have returned None for it.
    inputs : list of ndarray of shape (n_samples, n_features)
        One design matrix per copy, all of one shape and dtype.
    y : ndarray of shape (n_samples,)
    random_states : list
        Each copy's ``random_state`` (an int, None or a RandomState).
    dtype : torch.dtype, default=None
        What the networks compute in. None: the inputs' dtype, float32 or
        float64, as the estimator's ``fit`` would. (float32 on float64 data
        took a fifth less time on the selection benchmark's tables and found
        slightly fewer of the informative columns, recall 0.465 and 0.672
        against 0.480 and 0.677 over three seeds: not the default.)

    Returns
    -------
    fits : list of SideBySideFit, one per copy
    """
    params = estimator.get_params()
    classifier = isinstance(estimator, VIANNClassifier)
    if dtype is None:
        dtype = torch.float32 if inputs[0].dtype == np.float32 else torch.float64
    # A clone stands in for every copy: it encodes the targets as their fit would (setting
    # classes_), and the functions of early_stopping.py read its parameters, which they share.
    stand_in = clone(estimator)
    targets = stand_in._encode_targets(np.asarray(y), continuing=False, incremental=False, classes=None)
    targets = np.asarray(targets).reshape(len(y))  # class indices, or the one target column standardised
    n_outputs = stand_in._n_network_outputs()
    validating = wants_validation(stand_in, targets)
    stand_in._stopped_on_validation = validating
    device = stand_in._checked_device()
    seeds = [network_seed(random_state) for random_state in random_states]
    n_samples, n_features = inputs[0].shape
    n_validation = validation_rows(stand_in, n_samples) if validating else 0
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    # Standardised straight into the stacks: one copy of the designs, not three.
    train_rows = np.empty((len(inputs), n_samples - n_validation, n_features), dtype=numpy_dtype)
    validation_inputs = np.empty((len(inputs), n_validation, n_features), dtype=numpy_dtype)
    train_targets, validation_targets, baselines = [], [], []
    for member, (X, seed) in enumerate(zip(inputs, seeds)):
        positions, X_validation = None, X[:0]
        if validating:
            positions, (X_validation, y_validation, _) = split_validation(stand_in, X, targets, None, seed)
            validation_targets.append(y_validation)
            baselines.append(baseline_score(stand_in, y_validation, None))
        # Each copy's columns standardised on its own training rows, as its fit would.
        shift, scale = column_mean_and_scale(X, rows=positions) if params["standardize"] else (0.0, 1.0)
        for rows, into in ((X if positions is None else X[positions], train_rows), (X_validation, validation_inputs)):
            np.subtract(rows, shift, out=into[member])
            into[member] /= scale
        train_targets.append(targets if positions is None else targets[positions])
    n_train = train_rows.shape[1]
    batch_size = stand_in._checked_batch_size(n_train)
    settings = SideBySideSettings(
        hidden_layer_sizes=tuple(stand_in._checked_hidden_layer_sizes()),
        n_outputs=n_outputs,
        loss="cross_entropy" if classifier else "squared_error",
        activation=params["activation"],
        weight_init=params["weight_init"],
        learning_rate=params["learning_rate_init"],
        momentum=params["momentum"],
        nesterov=bool(params["nesterovs_momentum"] and params["momentum"] > 0),
        weight_decay=params["alpha"] / batch_size,
        batch_size=batch_size,
        max_iter=params["max_iter"],
        tol=params["tol"],
        patience=patience(stand_in, n_train, batch_size),
        shuffle=params["shuffle"],
    )

    def stacked(arrays, as_dtype):
        return torch.as_tensor(
            arrays if isinstance(arrays, np.ndarray) else np.stack(arrays), dtype=as_dtype, device=device
        )

    target_dtype = torch.long if classifier else dtype
    validation = None
    if validating:
        validation = (stacked(validation_inputs, dtype), stacked(validation_targets, target_dtype))
    # early_stopping=True counts every epoch; "auto" waits out the constant-prediction plateau.
    plateau = baselines if validating and params["early_stopping"] is not True else None
    results = train_side_by_side(
        stacked(train_rows, dtype), stacked(train_targets, target_dtype), settings, seeds, validation, plateau
    )
    return [
        SideBySideFit(
            # As the estimator's: summing to 1 (uniform, with its warning, if every score is 0).
            feature_importances_=normalize_scores(torch.as_tensor(result.scores)).numpy(),
            best_validation_score_=result.best_validation_score,
            baseline_validation_score_=baseline if validating else None,
            n_iter_=result.n_iter,
            converged=result.converged,
            diverged=result.diverged,
        )
        for result, baseline in zip(results, baselines if validating else [None] * len(results))
    ]

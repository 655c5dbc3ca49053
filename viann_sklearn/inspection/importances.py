"""Importances per original column of a pipeline, and their spread over folds or seeds."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike
from sklearn import get_config
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_parameter_constraints, validate_params

__all__ = ["grouped_importances", "importance_uncertainty"]


@validate_params(
    {"model": [Pipeline], "importances": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def grouped_importances(model: Pipeline, importances: ArrayLike | None = None) -> Bunch:
    """Sum a pipeline's importances over the features made from each original column.

    A ``OneHotEncoder`` turns one column into one feature per category; the
    network's importances are then per category. This maps every feature the
    pipeline's last step sees back to the column it came from, using the
    pipeline's ``get_feature_names_out``, and adds up their importances.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline whose last step has ``feature_importances_``.
        Transformers that make one feature per input column (scalers) or
        name their outputs ``<column>_<suffix>`` (``OneHotEncoder``) can be
        mapped, inside a ``ColumnTransformer`` or not.
    importances : array-like of shape (n_features_out,), default=None
        Importances of the last step's input features; default: its
        ``feature_importances_``.

    Returns
    -------
    result : Bunch
        ``feature_names`` (the original columns, in input order),
        ``importances`` (their summed importances) and ``sources``, a dict
        from each original column to the names of its expanded features.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from viann_sklearn import VIANNClassifier, grouped_importances
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"size": rng.normal(size=200), "color": rng.choice(["red", "blue", "green"], 200)})
    >>> y = (X["color"] == "red").astype(int)
    >>> model = make_pipeline(
    ...     make_column_transformer((StandardScaler(), ["size"]), (OneHotEncoder(), ["color"])),
    ...     VIANNClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)).fit(X, y)
    >>> grouped = grouped_importances(model)
    >>> list(grouped.feature_names), grouped.sources["color"]
    (['size', 'color'], ['color_blue', 'color_green', 'color_red'])
    >>> str(grouped.feature_names[np.argmax(grouped.importances)])
    'color'
    """
    if importances is None:
        importances = model[-1].feature_importances_
    importances = np.asarray(importances, dtype=float)
    input_names, output_names, source_of_feature = _sources_of_features(model)
    if len(output_names) != len(importances):
        raise ValueError(
            f"The pipeline makes {len(output_names)} features, but {len(importances)} importances were given."
        )
    sources: dict[str, list[str]] = {name: [] for name in input_names}
    totals = dict.fromkeys(input_names, 0.0)
    for output_name, source, importance in zip(output_names, source_of_feature, importances):
        sources[source].append(str(output_name).split("__", 1)[-1])
        totals[source] += importance
    kept = [name for name in input_names if sources[name]]  # dropped columns make no feature
    return Bunch(
        feature_names=np.asarray(kept, dtype=object),
        importances=np.array([totals[name] for name in kept]),
        sources={name: sources[name] for name in kept},
    )


def _sources_of_features(model):
    """A pipeline's input columns, the features its last step sees, and the column each feature comes from."""
    preprocessing = model[:-1]
    output_names = np.asarray(preprocessing.get_feature_names_out(), dtype=object)
    input_names = [
        str(name)
        for name in getattr(preprocessing, "feature_names_in_", [f"x{i}" for i in range(model.n_features_in_)])
    ]
    column_transformer = _column_transformer(preprocessing)
    source_of_feature = [_source_column(str(name), input_names, column_transformer) for name in output_names]
    return input_names, output_names, source_of_feature


def _feature_columns(model: Pipeline) -> tuple[list[str], np.ndarray]:
    """The original columns that make features, and the position among them of each feature's column.

    For grouping anything else per column as :func:`grouped_importances` groups
    importances (a history over epochs, p-values): ``columns`` are in its
    order, and ``column_of_feature[j]`` is the position in ``columns`` of the
    column that feature ``j`` of the pipeline's last step comes from.
    """
    input_names, _, source_of_feature = _sources_of_features(model)
    used = set(source_of_feature)
    columns = [name for name in input_names if name in used]
    position = {name: i for i, name in enumerate(columns)}
    return columns, np.array([position[source] for source in source_of_feature], dtype=np.intp)


def _grouped_history(model: Pipeline, history: np.ndarray) -> np.ndarray:
    """Sum an (n_epochs, n_features) history over each column's features, as grouped_importances sums."""
    columns, column_of_feature = _feature_columns(model)
    grouped = np.zeros((len(history), len(columns)))
    np.add.at(grouped.T, column_of_feature, np.asarray(history, dtype=float).T)
    return grouped


def _column_transformer(preprocessing):
    transformers = [step for _, step in preprocessing.steps if isinstance(step, ColumnTransformer)]
    return transformers[0] if transformers else None


def _selected_columns(columns, input_names):
    """The names of the input columns a ColumnTransformer entry selects."""
    if callable(columns):  # a column selector: any column may be the source
        return input_names
    if isinstance(columns, slice):
        return input_names[columns]
    columns = np.atleast_1d(columns)
    if columns.dtype == bool:
        return [input_names[i] for i in np.flatnonzero(columns)]
    return [input_names[c] if isinstance(c, (int, np.integer)) else str(c) for c in columns]


def _source_column(output_name, input_names, column_transformer):
    candidates, name = input_names, output_name
    if column_transformer is not None and column_transformer.verbose_feature_names_out:
        prefix, _, name = output_name.partition("__")
        for transformer_name, _, columns in column_transformer.transformers_:
            if transformer_name == prefix:
                candidates = _selected_columns(columns, input_names)
                break
    # The longest column name that is the output's name or its prefix before
    # "_": "color_red" comes from "color", unless a column is "color_red".
    matches = [column for column in candidates if name == column or name.startswith(column + "_")]
    if not matches:
        raise ValueError(
            f"Cannot tell which input column the feature {output_name!r} comes from; "
            "group importances by hand for this transformer."
        )
    return max(matches, key=len)


# Checked with validate_parameter_constraints rather than the validate_params
# decorator: the decorator's prefer_skip_nested_validation=True would switch off
# the parameter checks of the estimator's own fit (run inside this function,
# with the estimator unchecked so far), and with False it would rename any
# error of those checks ("The 'max_iter' parameter of VIANNClassifier ...") as
# if it were this function's parameter.
_UNCERTAINTY_CONSTRAINTS: dict = {
    "estimator": [HasMethods(["fit"])],
    "X": ["array-like", "sparse matrix"],
    "y": ["array-like"],
    "cv": ["cv_object"],
    "n_repeats": [Interval(Integral, 1, None, closed="left"), None],
    "grouped": ["boolean"],
    "return_history": ["boolean"],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
}


def importance_uncertainty(
    estimator: Any,
    X: ArrayLike,
    y: ArrayLike,
    *,
    cv: Any = None,
    n_repeats: int | None = None,
    grouped: bool = False,
    return_history: bool = False,
    random_state: int | np.random.RandomState | None = None,
    n_jobs: int | None = None,
) -> Bunch:
    """VIANN importances over cross-validation folds or over seeds, with their spread.

    In the style of :func:`sklearn.inspection.permutation_importance`: each
    run refits a clone of ``estimator`` and reads its importances.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Unfitted; the model (or a pipeline's last step) must have
        ``feature_importances_`` once fitted.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    cv : int, cross-validation generator or iterable, default=None
        Refit on the training part of each fold (an int is a number of
        folds, stratified for classifiers, as in ``cross_validate``).
    n_repeats : int, default=None
        Refit on all the data with ``n_repeats`` different seeds (every
        ``random_state`` parameter of the estimator is set). Give ``cv`` or
        ``n_repeats``; with neither, 5 seeds.
    grouped : bool, default=False
        For a Pipeline, sum importances per original column
        (:func:`grouped_importances`).
    return_history : bool, default=False
        Also return each run's importances after every epoch (the
        network's ``importances_history_``, summed per column when
        ``grouped``), for :class:`viann_sklearn.plot.ImportanceReport`.
    random_state : int, RandomState instance or None, default=None
        Draws the seeds of the runs (and shuffles folds when ``cv`` is an int).
    n_jobs : int, default=None
        Runs in parallel with joblib; ``-1`` uses every core.

    Returns
    -------
    result : Bunch
        ``importances`` of shape (n_features, n_runs), ``importances_mean``
        and ``importances_std`` of shape (n_features,), and
        ``feature_names`` when known. With ``cv``, also ``scores`` of shape
        (n_runs,): each fold's model scored (``estimator.score``: accuracy
        or R²) on the rows it did not train on. With ``return_history``,
        ``histories``: one array of shape (n_epochs, n_features) per run
        (runs that stop early have fewer epochs).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from viann_sklearn import VIANNClassifier, importance_uncertainty
    >>> X, y = make_classification(n_samples=150, n_features=4, n_informative=2, n_redundant=0,
    ...                            shuffle=False, random_state=0)
    >>> result = importance_uncertainty(VIANNClassifier(hidden_layer_sizes=(8,), max_iter=20),
    ...                                 X, y, n_repeats=3, random_state=0)
    >>> result.importances.shape, result.importances_std.shape
    ((4, 3), (4,))
    """
    arguments = dict(locals())  # first: the locals are the arguments, and nothing else yet
    if not get_config()["skip_parameter_validation"]:  # as validate_params would
        validate_parameter_constraints(_UNCERTAINTY_CONSTRAINTS, arguments, caller_name="importance_uncertainty")
    # How the arguments go together is checked by hand: the constraints check each one alone.
    if cv is not None and n_repeats is not None:
        raise ValueError("importance_uncertainty: give either cv (folds) or n_repeats (seeds), not both.")
    if grouped and not isinstance(estimator, Pipeline):
        raise TypeError(
            f"importance_uncertainty: grouped=True sums per original column of a Pipeline; "
            f"got a {type(estimator).__name__}. Pass a Pipeline, or grouped=False."
        )
    rng = check_random_state(random_state)
    if cv is None:
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_repeats or 5)
        runs = [(seed, None, None) for seed in seeds]
    else:
        splitter = check_cv(cv, y, classifier=is_classifier(estimator))
        if hasattr(splitter, "shuffle") and hasattr(splitter, "random_state") and isinstance(cv, (int, np.integer)):
            splitter.shuffle, splitter.random_state = True, rng.randint(np.iinfo(np.int32).max)
        runs = [(rng.randint(np.iinfo(np.int32).max), train, test) for train, test in splitter.split(X, y)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_importances)(estimator, X, y, seed, train, test, grouped, return_history)
        for seed, train, test in runs
    )
    importances = np.column_stack([run.importances for run in results])
    result = Bunch(
        importances=importances,
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        feature_names=results[0].feature_names,
    )
    if cv is not None:
        result.scores = np.array([run.score for run in results])
    if return_history:
        result.histories = [run.history for run in results]
    return result


def _rows(data, rows):
    return data.iloc[rows] if hasattr(data, "iloc") else np.asarray(data)[rows]


def _fit_importances(estimator, X, y, seed, train_rows, test_rows, grouped, return_history):
    model = clone(estimator)
    seeded = {name: seed for name in model.get_params() if name == "random_state" or name.endswith("__random_state")}
    model.set_params(**seeded)
    X_fit, y_fit = (X, y) if train_rows is None else (_rows(X, train_rows), _rows(y, train_rows))
    model.fit(X_fit, y_fit)
    score = None if test_rows is None else float(model.score(_rows(X, test_rows), _rows(y, test_rows)))
    # Only the history goes back from a worker process, not the fitted model.
    history = _history(model, grouped) if return_history else None
    if grouped:
        result = grouped_importances(model)
        return Bunch(importances=result.importances, feature_names=result.feature_names, score=score, history=history)
    if isinstance(model, Pipeline):
        importances, names = model[-1].feature_importances_, model[:-1].get_feature_names_out()
    else:
        importances, names = model.feature_importances_, getattr(model, "feature_names_in_", None)
    return Bunch(importances=importances, feature_names=names, score=score, history=history)


def _history(model, grouped):
    final = model[-1] if isinstance(model, Pipeline) else model
    tracker = getattr(final, "variance_importance_", final)
    if not hasattr(tracker, "importances_history_"):
        raise ValueError(
            f"importance_uncertainty: return_history=True needs a model with importances_history_; "
            f"{type(final).__name__} has none."
        )
    history = np.asarray(tracker.importances_history_, dtype=float)
    return _grouped_history(model, history) if grouped else history

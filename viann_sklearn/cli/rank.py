"""``viann rank``: read the table, split off the target, fit the networks on cross-validation
folds, and measure the ranking against shuffled noise and the score against a baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..inspection.importances import importance_uncertainty
from ..training.monitors import report_epochs
from .parsing import PARALLEL_MIN_ROWS, UsageError, _check_options, _need_pandas
from .report import _format, _noise_fits, _Progress, _ranked_rows, _save_plot, _save_report, _say, _warn

#: Below this many rows a ranking is reported, but with a warning that it can say little.
FEW_ROWS = 50


def _rank(args: argparse.Namespace) -> int:
    _check_options(args)
    _need_pandas(args)
    from .table import TableError, plan_columns, preprocessor

    frame = _read(args)
    decimal_comma = frame.attrs.get("decimal") == ","
    if decimal_comma:
        _say(
            f"{Path(args.data).name}: numbers read with ',' as the decimal mark (--decimal . reads them otherwise)",
            args,
        )
    X, y, task = _split_target(frame, args.target, args.task)
    try:
        plan = plan_columns(
            X,
            drop=tuple(args.drop),
            keep=tuple(args.keep),
            as_numbers=tuple(args.as_numbers),
            as_categories=tuple(args.as_categories),
            decimal_comma=decimal_comma,
        )
    except TableError as error:
        raise UsageError(str(error)) from None
    for note in plan.notes:
        _say(note, args)
    for warning in plan.warnings:
        _warn(warning)
    folds = _folds(y, task, args)
    model = _pipeline(preprocessor(plan), task, args)
    if args.n_jobs == "auto":
        args.n_jobs = -1 if len(X) >= PARALLEL_MIN_ROWS else 1
    n_fits = (args.repeats + folds.get_n_splits() if args.repeats else folds.get_n_splits()) + bool(args.save)
    n_noise_fits = _noise_fits(args, len(plan.used))
    n_fits += n_noise_fits
    progress = _Progress(quiet=args.quiet, total_epochs=n_fits * args.max_iter)
    progress.say(f"Training {n_fits} network(s) on {len(X)} rows x {len(plan.used)} columns ({task}):")
    ranking_fits = f"{args.repeats} seeds on all rows" if args.repeats else f"{folds.get_n_splits()} folds"
    parallel = "" if args.n_jobs == 1 else f", in parallel (--n-jobs {args.n_jobs})"
    progress.say(f"- the ranking: {ranking_fits}{parallel}")
    try:
        with warnings.catch_warnings(), _warnings_ignored_in_workers(), report_epochs(progress.epoch_done):
            warnings.simplefilter("ignore")  # ConvergenceWarning and friends: the score says how good the fit is
            result = importance_uncertainty(
                model,
                X,
                y,
                cv=None if args.repeats else folds,
                n_repeats=args.repeats,
                grouped=True,
                return_history=bool(args.report),
                random_state=args.seed,
                n_jobs=args.n_jobs,
            )
            if args.repeats:
                progress.say(f"- the score: {folds.get_n_splits()} folds")
            scores = result.scores if not args.repeats else _cross_val_scores(model, X, y, folds, args)
            baseline = _baseline_scores(X, y, task, folds)
            if args.noise_alpha:
                progress.say(
                    f"- the noise baseline: up to {n_noise_fits} fit(s) on all rows, each with fresh shuffled "
                    "copies of the columns"
                )
            noise = _noise_pvalues(preprocessor(plan), task, X, y, args) if args.noise_alpha else None
            if args.save:
                progress.say(f"- the model to save: all rows, for {args.save}")
            final = model.fit(X, y) if args.save else None
    except ValueError as error:  # bad data found by the estimator: one class, too few rows...
        raise UsageError(str(error).splitlines()[0]) from None
    finally:
        progress.close()
    trust = _trust(scores, baseline, task, len(X), folds.get_n_splits())
    if noise is not None and args.noise_fits_beating_baseline == 0:
        trust["warnings"].append(
            f"no network of the noise check ({args.noise_fits} fit(s)) scored better on its validation rows "
            "than a constant prediction: a column marked no under 'beats noise' is not shown to matter, which "
            "does not show it is noise"
        )
    rows = _ranked_rows(result.feature_names, result.importances_mean, result.importances_std, args.top)
    cutoff: float | None = None  # the report needs it too
    if noise is not None:
        cutoff = _noise_cutoff(np.array(list(noise.values())), args)
        for row in rows:
            row["noise_p"] = noise[row["column"]]
            row["beats_noise"] = bool(noise[row["column"]] <= cutoff)
    print(_format(rows, trust, args, left_out=plan.dropped))
    for warning in trust["warnings"]:
        _warn(warning)
    if args.plot:
        _save_plot(result.feature_names, result.importances_mean, result.importances_std, args)
    if args.report:
        _save_report(args, result, scores, baseline, trust, noise, cutoff, plan, task, shape=frame.shape)
    if final is not None:
        from .persist import save_model

        save_model(
            final,
            args.save,
            target=args.target,
            task=task,
            importances=dict(zip(map(str, result.feature_names), map(float, result.importances_mean))),
            score=trust,
            unused=list(plan.dropped),
        )
        _say(f"Model saved to {args.save} (viann predict {args.save} DATA.csv)", args)
    return 0


@contextlib.contextmanager
def _warnings_ignored_in_workers() -> Iterator[None]:
    """Worker processes (``--n-jobs``) start with warnings ignored: they do not inherit this process's filters."""
    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = "ignore"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


def _read(args: argparse.Namespace) -> Any:
    from .table import TableError, read_table

    try:
        return read_table(Path(args.data), sep=args.sep, encoding=args.encoding, decimal=args.decimal)
    except TableError as error:
        raise UsageError(str(error)) from None


def _split_target(frame: Any, target: str, task: str) -> tuple[Any, Any, str]:
    if target not in frame.columns:
        known = ", ".join(map(str, frame.columns[:10])) + (", ..." if len(frame.columns) > 10 else "")
        raise UsageError(f"no column {target!r} in the data; columns: {known}")
    missing = frame[target].isna()
    if missing.any():
        # Rows without a target teach nothing; too few left is an error below (too few rows for the folds).
        frame = frame[~missing]
        _warn(f"{int(missing.sum())} row(s) with a missing {target!r} left out; {len(frame)} remain")
        if frame.empty:
            raise UsageError(f"every row's target {target!r} is missing")
    # Without its missing values, a column of True/False (or numbers) read as objects is bool (or numeric).
    y = frame[target].infer_objects()
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise UsageError("there are no columns besides the target")
    if task == "auto":
        task = _inferred_task(y)
    if task == "regression":
        if y.dtype.kind not in "fiu":
            raise UsageError(f"the target {target!r} is not numeric; use --task classification")
        y = y.astype(float)
    elif y.nunique() < 2:
        raise UsageError(f"the target {target!r} has only one class: {y.iloc[0]!r}")
    return X, y, task


#: A target of whole numbers with more distinct values than this is a quantity, not classes.
MAX_CLASSES = 20


def _inferred_task(y: Any) -> str:
    """Classification for text, booleans and few whole numbers that repeat; regression for other numbers.

    Whole numbers are classes only if there are at most ``MAX_CLASSES`` of
    them and each value has two rows on average: 18 distinct counts in 18 rows
    are a quantity. A float column of whole numbers (how pandas reads an
    integer column with missing values) counts as whole numbers.
    """
    if y.dtype.kind not in "fiu":
        return "classification"
    from .table import whole_numbers

    distinct = y.nunique()
    return "classification" if whole_numbers(y) and distinct <= MAX_CLASSES and 2 * distinct <= len(y) else "regression"


def _folds(y: Any, task: str, args: argparse.Namespace) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    if len(y) < 2 * args.cv:
        raise UsageError(
            f"{len(y)} rows are too few to say anything: --cv {args.cv} needs at least {2 * args.cv} (2 a fold)"
        )
    if task == "classification":
        smallest = int(y.value_counts().min())
        if smallest < args.cv:
            quantity = (
                f"; if {args.target!r} is a quantity, not classes, --task regression" if y.dtype.kind in "fiu" else ""
            )
            raise UsageError(
                f"the rarest class of {args.target!r} has {smallest} row(s), fewer than the "
                f"{args.cv} folds of --cv; lower --cv or add rows{quantity}"
            )
        return StratifiedKFold(args.cv, shuffle=True, random_state=args.seed)
    return KFold(args.cv, shuffle=True, random_state=args.seed)


def _estimator(task: str, args: argparse.Namespace) -> Any:
    from ..estimators.classifier import VIANNClassifier
    from ..estimators.regressor import VIANNRegressor

    estimator_class = VIANNClassifier if task == "classification" else VIANNRegressor
    return estimator_class(
        hidden_layer_sizes=args.hidden_layer_sizes,
        max_iter=args.max_iter,
        importance_on=args.importance_on,
        random_state=args.seed,
    )


def _pipeline(columns: Any, task: str, args: argparse.Namespace) -> Any:
    from sklearn.pipeline import make_pipeline

    return make_pipeline(columns, _estimator(task, args))


def _noise_pvalues(columns: Any, task: str, X: Any, y: Any, args: argparse.Namespace) -> dict[str, float]:
    """Each original column's p-value against shadow columns, from the selector's fits on all the rows.

    A column made of several features (a one-hot block) gets their Simes
    combination (:func:`~viann_sklearn.selection.noise.simes_within_groups`):
    it beats noise when its features do, and its many chances do not make it
    beat noise more often than a numeric column.
    """
    from sklearn.pipeline import make_pipeline

    from ..inspection.importances import grouped_importances
    from ..selection.noise import simes_within_groups
    from ..selection.selector import VIANNSelector

    selector = VIANNSelector(
        _estimator(task, args),
        alpha=args.noise_alpha,
        control=args.noise_control,
        test=args.noise_test,
        drop_rejected=False if args.noise_keep_rejected else "auto",
        shadows="joint" if args.noise_joint_shadows else "independent",
        random_state=args.seed,
    )
    model = make_pipeline(columns, selector).fit(X, y)
    # Named as grouped_importances names a column's features: without the transformer's prefix.
    names = [str(name).split("__", 1)[-1] for name in model[:-1].get_feature_names_out()]
    position = {name: index for index, name in enumerate(names)}
    sources = grouped_importances(model).sources
    groups = [[position[feature] for feature in features] for features in sources.values()]
    column_pvalues = simes_within_groups(model[-1].pvalues_, groups)
    args.noise_fits = model[-1].n_fits_  # what the footer reports
    args.noise_fits_beating_baseline = model[-1].fits_beating_baseline_  # 0: a warning; None: not known
    return {str(column): float(pvalue) for column, pvalue in zip(sources, column_pvalues)}


def _noise_cutoff(column_pvalues: np.ndarray, args: argparse.Namespace) -> float:
    """The largest column p-value that beats noise under ``--noise-control`` at ``--noise-alpha``."""
    from ..selection.noise import kept_pvalue_cutoff

    return kept_pvalue_cutoff(column_pvalues, args.noise_alpha, args.noise_control)


def _cross_val_scores(model: Any, X: Any, y: Any, folds: Any, args: argparse.Namespace) -> np.ndarray:
    from sklearn.model_selection import cross_val_score

    # "raise": a fold that fails is an error to report, not a NaN score to average.
    return cross_val_score(model, X, y, cv=folds, n_jobs=args.n_jobs, error_score="raise")


def _baseline_scores(X: Any, y: Any, task: str, folds: Any) -> np.ndarray:
    """The score of always predicting the most frequent class, or the mean, on the same folds."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_val_score

    dummy = DummyClassifier(strategy="most_frequent") if task == "classification" else DummyRegressor()
    return cross_val_score(dummy, X, y, cv=folds, error_score="raise")


def _trust(scores: np.ndarray, baseline: np.ndarray, task: str, n_rows: int, n_folds: int) -> dict[str, Any]:
    """The score against the baseline, and warnings when the ranking cannot be trusted.

    The model beats the baseline clearly when its gain, fold by fold, is
    more than twice its standard error: a rough one-sided 97.5 % test
    (folds overlap in their training rows, so the error is, if anything,
    too small, which makes the check lenient rather than alarmist).
    """
    gain = np.asarray(scores) - np.asarray(baseline)
    standard_error = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    metric = "accuracy" if task == "classification" else "R²"
    baseline_name = "always the most frequent class" if task == "classification" else "always the mean target"
    found: list[str] = []
    if gain.mean() <= 0:
        found.append(
            f"the network does no better than the baseline, {baseline_name} ({metric} "
            f"{np.mean(scores):.3f} vs {np.mean(baseline):.3f}): these importances say nothing about "
            "the target"
        )
    elif gain.mean() <= 2 * standard_error:
        found.append(
            f"the network is not clearly better than the baseline, {baseline_name} ({metric} "
            f"{np.mean(scores):.3f} ± {np.std(scores):.3f} vs {np.mean(baseline):.3f} over {n_folds} "
            "folds): read the ranking with care"
        )
    if n_rows < FEW_ROWS:
        found.append(f"only {n_rows} rows: the ranking can change with a few rows more or less (see its ± std)")
    return {
        "metric": metric,
        "score": float(np.mean(scores)),
        "score_std": float(np.std(scores)),
        "baseline": float(np.mean(baseline)),
        "baseline_name": baseline_name,
        "folds": n_folds,
        "warnings": found,
    }

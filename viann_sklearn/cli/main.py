"""The ``viann`` command line: rank the columns of a table, predict with a saved model, or run the demo.

User mistakes (a missing file or column, an empty file, one class, text
where numbers belong, an unwritable output path...) end with a one-line
message on stderr and exit code 2, never a traceback. Options and output
paths are checked before any training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..inspection.importances import importance_uncertainty
from ..training.monitors import report_epochs
from .demo import rank_breast_cancer

__all__ = ["main"]

USAGE_ERROR = 2
#: Below this many rows a ranking is reported, but with a warning that it can say little.
FEW_ROWS = 50


class UsageError(Exception):
    """A mistake of the user's, reported in one line."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (and exit code 2), without the usage."""

    def error(self, message: str) -> Any:
        self.exit(USAGE_ERROR, f"viann: error: {message} (see viann {self._subcommand()}--help)\n")

    def _subcommand(self) -> str:
        return "" if self.prog == "viann" else self.prog.split()[-1] + " "


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``viann`` and its subcommands ``rank``, ``predict`` and ``demo``."""
    parser = _OneLineParser(
        prog="viann",
        description="Rank the columns of a table by VIANN feature importance.",
        epilog="Start with: viann rank DATA.csv --target COLUMN (viann rank --help lists its options).",
    )
    commands = parser.add_subparsers(dest="command", metavar="{rank,predict,demo}", parser_class=_OneLineParser)

    rank = commands.add_parser(
        "rank",
        help="rank the columns of a CSV (or Parquet) file",
        description="Train a network to predict --target from the other columns, "
        "and rank those columns by VIANN importance.",
    )
    rank.add_argument("data", help="a .csv/.tsv file (or .parquet when pyarrow is installed)")
    rank.add_argument("--target", required=True, help="the column to predict")
    rank.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="default: inferred from the target",
    )
    columns = rank.add_argument_group("columns")
    columns.add_argument(
        "--drop", action="append", default=[], metavar="COLUMN", help="leave this column out (repeatable)"
    )
    columns.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="rank this column even if it looks like an identifier or free text (repeatable)",
    )
    _add_reading_options(columns)
    output = rank.add_argument_group("output")
    formats = output.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    formats.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    output.add_argument("--top", type=int, metavar="K", help="show only the K most important columns")
    output.add_argument("--plot", metavar="FILE.png", help="also save a bar chart (.png, .svg, .pdf...)")
    output.add_argument(
        "--save",
        metavar="MODEL.skops",
        help="also fit on all the rows and save the model, for viann predict (needs skops)",
    )
    output.add_argument("--quiet", action="store_true", help="no progress bar or notes (warnings still show)")
    fits = rank.add_argument_group("fits")
    fits.add_argument(
        "--cv",
        type=int,
        default=5,
        metavar="K",
        help="fit on K cross-validation folds: the ranking is the mean over folds (± std), and "
        "the score is measured on the held-out rows (default: 5)",
    )
    fits.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="rank from N fits on all the rows with different seeds instead (the score still comes from --cv folds)",
    )
    fits.add_argument("--n-jobs", type=int, default=None, help="parallel fits (-1: every core)")
    fits.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    fits.add_argument(
        "--hidden-layer-sizes",
        default="100",
        metavar="64,32",
        help="comma-separated widths of the hidden layers (default: 100)",
    )
    fits.add_argument("--max-iter", type=int, default=200, help="maximum number of epochs (default: 200)")
    fits.add_argument(
        "--noise-alpha",
        type=float,
        default=0.05,
        metavar="ALPHA",
        help="one more fit, with a shuffled 'shadow' copy of the columns, tells which columns beat noise: "
        "those with a p-value at most ALPHA (default: 0.05); 0 skips that fit",
    )
    fits.add_argument(
        "--importance-on",
        choices=["epoch", "batch"],
        default="epoch",
        help="sample the first-layer weights after every epoch (the paper's choice, default) "
        "or after every batch (smoother on few epochs, a little slower)",
    )

    predict = commands.add_parser(
        "predict",
        help="predict with a model saved by viann rank --save",
        description="Write one prediction per row of DATA, as CSV.",
    )
    predict.add_argument("model", help="a file written by viann rank --save")
    predict.add_argument("data", help="a .csv/.tsv or .parquet file with the columns the model was trained on")
    predict.add_argument("--output", "-o", metavar="FILE.csv", help="write here instead of stdout")
    predict.add_argument("--proba", action="store_true", help="also write each class's probability")
    _add_reading_options(predict)

    demo = commands.add_parser("demo", help="rank scikit-learn's breast-cancer features (no file needed)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--top", type=int, default=None, help="show only the top K features")
    return parser


def _add_reading_options(group: Any) -> None:
    group.add_argument("--sep", help="the CSV separator (default: sniffed among , ; tab |)")
    group.add_argument("--encoding", help="the file's text encoding (default: utf-8)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    if argv[0].startswith(("--seed", "--top")):
        argv = ["demo", *argv]  # `python -m viann_sklearn --seed 1` ran the demo before subcommands existed
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            if args.top is not None and args.top < 1:
                raise UsageError("--top must be at least 1")
            rank_breast_cancer(seed=args.seed, top=args.top)
            return 0
        if args.command == "predict":
            return _predict(args)
        return _rank(args)
    except UsageError as error:
        print(f"viann: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("viann: interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------- rank


def _rank(args: argparse.Namespace) -> int:
    _check_options(args)
    _need_pandas(args)
    from .table import TableError, plan_columns, preprocessor

    frame = _read(args)
    X, y, task = _split_target(frame, args.target, args.task)
    try:
        plan = plan_columns(
            X, drop=tuple(args.drop), keep=tuple(args.keep), decimal_comma=frame.attrs.get("sep") == ";"
        )
    except TableError as error:
        raise UsageError(str(error)) from None
    for note in plan.notes:
        _say(note, args)
    for warning in plan.warnings:
        _warn(warning)
    folds = _folds(y, task, args)
    model = _pipeline(preprocessor(plan), task, args)
    n_fits = (args.repeats + folds.get_n_splits() if args.repeats else folds.get_n_splits()) + bool(args.save)
    n_fits += bool(args.noise_alpha)
    progress = _Progress(quiet=args.quiet, total_epochs=n_fits * args.max_iter)
    progress.say(f"Training {n_fits} network(s) on {len(X)} rows x {len(plan.used)} columns ({task})...")
    try:
        with warnings.catch_warnings(), report_epochs(progress.epoch_done):
            warnings.simplefilter("ignore")  # ConvergenceWarning and friends: the score says how good the fit is
            result = importance_uncertainty(
                model,
                X,
                y,
                cv=None if args.repeats else folds,
                n_repeats=args.repeats,
                grouped=True,
                random_state=args.seed,
                n_jobs=args.n_jobs,
            )
            scores = result.scores if not args.repeats else _cross_val_scores(model, X, y, folds, args)
            baseline = _baseline_scores(X, y, task, folds)
            noise = _noise_pvalues(preprocessor(plan), task, X, y, args) if args.noise_alpha else None
            final = model.fit(X, y) if args.save else None
    except ValueError as error:  # bad data found by the estimator: one class, too few rows...
        raise UsageError(str(error).splitlines()[0]) from None
    finally:
        progress.close()
    trust = _trust(scores, baseline, task, len(X), folds.get_n_splits())
    rows = _ranked_rows(result.feature_names, result.importances_mean, result.importances_std, args.top)
    if noise is not None:
        for row in rows:
            row["noise_p"] = noise[row["column"]]
            row["beats_noise"] = bool(noise[row["column"]] <= args.noise_alpha)
    print(_format(rows, trust, args))
    for warning in trust["warnings"]:
        _warn(warning)
    if args.plot:
        _save_plot(result.feature_names, result.importances_mean, result.importances_std, args)
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


def _check_options(args: argparse.Namespace) -> None:
    """Every option and output path, before any work."""
    for name, value, least in (
        ("--top", args.top, 1),
        ("--repeats", args.repeats, 2),
        ("--cv", args.cv, 2),
        ("--max-iter", args.max_iter, 1),
    ):
        if value is not None and value < least:
            raise UsageError(f"{name} must be at least {least}")
    try:
        sizes = tuple(int(width) for width in args.hidden_layer_sizes.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise UsageError(
            f"--hidden-layer-sizes must be positive integers separated by commas, got {args.hidden_layer_sizes!r}"
        )
    args.hidden_layer_sizes = sizes
    if args.target in args.drop:
        raise UsageError(f"--drop {args.target}: that is the target")
    if not 0 <= args.noise_alpha < 1:
        raise UsageError(
            f"--noise-alpha must be at least 0 (0 skips the noise baseline) and below 1, got {args.noise_alpha}"
        )
    if args.plot:
        _check_output_path(args.plot, "--plot")
        formats = _plot_formats()
        suffix = Path(args.plot).suffix.lower().lstrip(".")
        if suffix not in formats:
            raise UsageError(
                f"--plot {args.plot}: unknown image format {suffix!r}; use one of {', '.join(sorted(formats))}"
            )
    if args.save:
        _check_output_path(args.save, "--save")
        _skops()


def _check_output_path(path: str, option: str) -> None:
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"{option} {path}: that is a folder; give a file name")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: no such folder: {folder}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"{option} {path}: not allowed to write there")


def _plot_formats() -> dict[str, str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'viann-sklearn[cli]'") from None
    return FigureCanvasBase.get_supported_filetypes()


def _skops() -> Any:
    try:
        import skops.io
    except ImportError:
        raise UsageError("--save and viann predict need skops: pip install 'viann-sklearn[cli]'") from None
    return skops.io


def _need_pandas(args: argparse.Namespace) -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise UsageError(f"viann {args.command} needs pandas: pip install 'viann-sklearn[cli]'") from None


def _read(args: argparse.Namespace) -> Any:
    from .table import TableError, read_table

    try:
        return read_table(Path(args.data), sep=args.sep, encoding=args.encoding)
    except TableError as error:
        raise UsageError(str(error)) from None


def _split_target(frame: Any, target: str, task: str) -> tuple[Any, Any, str]:
    if target not in frame.columns:
        known = ", ".join(map(str, frame.columns[:10])) + (", ..." if len(frame.columns) > 10 else "")
        raise UsageError(f"no column {target!r} in the data; columns: {known}")
    y = frame[target]
    if y.isna().any():
        raise UsageError(f"the target {target!r} has {int(y.isna().sum())} missing values")
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise UsageError("there are no columns besides the target")
    if task == "auto":
        numeric = y.dtype.kind in "fiu"
        task = "regression" if numeric and (y.dtype.kind == "f" or y.nunique() > 20) else "classification"
    if task == "regression":
        if y.dtype.kind not in "fiu":
            raise UsageError(f"the target {target!r} is not numeric; use --task classification")
        y = y.astype(float)
    elif y.nunique() < 2:
        raise UsageError(f"the target {target!r} has only one class: {y.iloc[0]!r}")
    return X, y, task


def _folds(y: Any, task: str, args: argparse.Namespace) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    if len(y) < 2 * args.cv:
        raise UsageError(
            f"{len(y)} rows are too few to say anything: --cv {args.cv} needs at least {2 * args.cv} (2 a fold)"
        )
    if task == "classification":
        smallest = int(y.value_counts().min())
        if smallest < args.cv:
            raise UsageError(
                f"the rarest class of {args.target!r} has {smallest} row(s), fewer than the "
                f"{args.cv} folds of --cv; lower --cv or add rows"
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
    """Each original column's p-value against shadow columns, from one fit on all the rows.

    A column made of several features (a one-hot block) gets the smallest
    p-value of its features: it beats noise when any of them does.
    """
    from sklearn.pipeline import make_pipeline

    from ..inspection.importances import grouped_importances
    from ..selection.selector import VIANNSelector

    selector = VIANNSelector(_estimator(task, args), alpha=args.noise_alpha, random_state=args.seed)
    model = make_pipeline(columns, selector).fit(X, y)
    # Named as grouped_importances names a column's features: without the transformer's prefix.
    names = [str(name).split("__", 1)[-1] for name in model[:-1].get_feature_names_out()]
    pvalue_of = dict(zip(names, model[-1].pvalues_))
    sources = grouped_importances(model).sources
    return {str(column): float(min(pvalue_of[feature] for feature in features)) for column, features in sources.items()}


def _cross_val_scores(model: Any, X: Any, y: Any, folds: Any, args: argparse.Namespace) -> np.ndarray:
    from sklearn.model_selection import cross_val_score

    return cross_val_score(model, X, y, cv=folds, n_jobs=args.n_jobs)


def _baseline_scores(X: Any, y: Any, task: str, folds: Any) -> np.ndarray:
    """The score of always predicting the most frequent class, or the mean, on the same folds."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.model_selection import cross_val_score

    dummy = DummyClassifier(strategy="most_frequent") if task == "classification" else DummyRegressor()
    return cross_val_score(dummy, X, y, cv=folds)


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


def _ranked_rows(names: Any, mean: np.ndarray, std: np.ndarray | None, top: int | None) -> list[dict[str, Any]]:
    order = np.argsort(-mean, kind="stable")[:top]
    total = mean.sum()
    return [
        {
            "rank": rank,
            "column": str(names[i]),
            "importance": float(mean[i]),
            "share": float(mean[i] / total) if total > 0 else 0.0,
            **({"std": float(std[i])} if std is not None else {}),
        }
        for rank, i in enumerate(order, start=1)
    ]


def _score_line(trust: dict[str, Any]) -> str:
    return (
        f"Cross-validated {trust['metric']}: {trust['score']:.3f} ± {trust['score_std']:.3f} over "
        f"{trust['folds']} folds; baseline ({trust['baseline_name']}): {trust['baseline']:.3f}"
    )


def _format(rows: list[dict[str, Any]], trust: dict[str, Any], args: argparse.Namespace) -> str:
    if args.json:
        return json.dumps({"columns": rows, "score": {key: value for key, value in trust.items()}}, indent=2)
    keys = list(rows[0])
    if args.csv:
        # CSV holds one table: the score goes to stderr with the messages
        print(_score_line(trust), file=sys.stderr)
        return "\n".join([",".join(keys), *(",".join(_csv_cell(row[key]) for key in keys) for row in rows)])
    width = max(len("column"), *(len(row["column"]) for row in rows))
    header = (
        f"{'rank':>4}  {'column':<{width}}  {'importance':>10}  {'share':>6}"
        + ("  ± std " if "std" in keys else "")
        + ("  noise p  beats noise" if "noise_p" in keys else "")
    )
    lines = [header]
    for row in rows:
        line = f"{row['rank']:>4}  {row['column']:<{width}}  {row['importance']:>10.4f}  {row['share']:>6.1%}"
        if "std" in row:
            line += f"  ± {row['std']:.4f}"
        if "noise_p" in row:
            line += f"  {row['noise_p']:>7.3f}  {'yes' if row['beats_noise'] else 'no':>11}"
        lines.append(line)
    footer = [_score_line(trust)]
    if "noise_p" in keys:
        footer.append(
            f"beats noise: the column's importance is above that of shuffled copies of the columns "
            f"(p <= {args.noise_alpha}, one fit on all rows)"
        )
    return "\n".join([*lines, "", *footer])


def _csv_cell(value: Any) -> str:
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    return f'"{text}"' if any(char in text for char in ',"\n') else text


def _save_plot(names: Any, mean: np.ndarray, std: np.ndarray | None, args: argparse.Namespace) -> None:
    from ..inspection.plot import ImportanceDisplay

    display = ImportanceDisplay(mean, names, importances_std=std, top=args.top).plot()
    try:
        display.figure_.savefig(args.plot, dpi=120)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot save the plot to {args.plot}: {error}") from None
    _say(f"Chart saved to {args.plot}", args)


def _say(message: str, args: argparse.Namespace) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    print(f"viann: warning: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------- predict


def _predict(args: argparse.Namespace) -> int:
    _need_pandas(args)
    _skops()
    from .persist import ModelFileError, load_model

    if args.output:
        _check_output_path(args.output, "--output")
    try:
        saved = load_model(args.model)
    except ModelFileError as error:
        raise UsageError(str(error)) from None
    frame = _read(args)
    model, target = saved["model"], saved["target"]
    expected = [str(column) for column in model.feature_names_in_]
    missing = [column for column in expected if column not in frame.columns and column not in saved["unused"]]
    if missing:
        raise UsageError(f"{Path(args.data).name} lacks the column(s) the model uses: {', '.join(missing)}")
    X = frame.reindex(columns=expected)  # columns the model left out may be missing: they are not read
    if args.proba and saved["task"] != "classification":
        raise UsageError("--proba: the model is a regression; it has no class probabilities")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictions = {target: model.predict(X)}
            if args.proba:
                for label, column in zip(model.classes_, model.predict_proba(X).T):
                    predictions[f"P({label})"] = column
    except ValueError as error:
        raise UsageError(f"cannot predict: {str(error).splitlines()[0]}") from None
    import pandas as pd

    table = pd.DataFrame(predictions, index=frame.index)
    if args.output:
        table.to_csv(args.output, index=False)
    else:
        print(table.to_csv(index=False), end="")
    return 0


class _Progress:
    """A progress bar over epochs on a terminal, once work takes a few seconds; silent with --quiet.

    Everything goes to stderr, so that stdout stays machine-readable. Fits
    run in other processes (``--n-jobs``) do not report their epochs.
    """

    def __init__(self, quiet: bool, total_epochs: int) -> None:
        self.quiet = quiet
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm.auto import tqdm  # a dependency of skorch

            # delay: a bar only for work that lasts; quick runs print their table and nothing else
            self.bar = tqdm(total=total_epochs, unit="epoch", file=sys.stderr, leave=False, delay=2)

    def say(self, message: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def epoch_done(self, epochs_done: int, epochs_planned: int, converged: bool) -> None:
        if self.bar is not None:
            # a fit that converges early skips the rest of its planned epochs
            self.bar.update(1 + (epochs_planned - epochs_done if converged else 0))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

"""The ``viann`` command line: rank the columns of a CSV file, or run the demo.

User mistakes (a missing file or column, an empty file, one class, text
where numbers belong...) end with a one-line message on stderr and exit code
2, never a traceback.
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from ._demo import rank_breast_cancer
from ._training import report_epochs
from .inspection import grouped_importances, importance_uncertainty

__all__ = ["main"]

USAGE_ERROR = 2


class UsageError(Exception):
    """A mistake of the user's, reported in one line."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (and exit code 2), without the usage."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"viann: error: {message} (see viann {self._subcommand()}--help)\n")

    def _subcommand(self):
        return "" if self.prog == "viann" else self.prog.split()[-1] + " "


def build_parser():
    parser = _OneLineParser(
        prog="viann", description="Rank the columns of a table by VIANN feature importance."
    )
    commands = parser.add_subparsers(dest="command", metavar="{rank,demo}", parser_class=_OneLineParser)

    rank = commands.add_parser("rank", help="rank the columns of a CSV (or Parquet) file")
    rank.add_argument("data", help="a .csv file (or .parquet when pyarrow is installed)")
    rank.add_argument("--target", required=True, help="the column to predict")
    rank.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                      help="default: inferred from the target")
    output = rank.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of a table")
    output.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    rank.add_argument("--plot", metavar="FILE.png", help="also save a bar chart (needs matplotlib)")
    rank.add_argument("--top", type=int, help="show only the K most important columns")
    spread = rank.add_mutually_exclusive_group()
    spread.add_argument("--repeats", type=int, help="refit with N seeds and report mean ± std")
    spread.add_argument("--cv", type=int, help="refit on K cross-validation folds and report mean ± std")
    rank.add_argument("--n-jobs", type=int, default=None, help="parallel fits for --repeats/--cv")
    rank.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    rank.add_argument("--hidden-layer-sizes", default="100",
                      help="comma-separated widths of the hidden layers (default: 100)")
    rank.add_argument("--max-iter", type=int, default=200, help="maximum number of epochs (default: 200)")
    rank.add_argument("--importance-on", choices=["epoch", "batch"], default="epoch")
    rank.add_argument("--quiet", action="store_true", help="no progress messages")

    demo = commands.add_parser("demo", help="rank scikit-learn's breast-cancer features (no file needed)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--top", type=int, default=None, help="show only the top K features")
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in ("rank", "demo", "-h", "--help"):
        argv = ["demo", *argv]  # `python -m viann_sklearn --seed 1` ran the demo before subcommands existed
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            if args.top is not None and args.top < 1:
                raise UsageError("--top must be at least 1")
            rank_breast_cancer(seed=args.seed, top=args.top)
            return 0
        return _rank(args)
    except UsageError as error:
        print(f"viann: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("viann: interrupted", file=sys.stderr)
        return 130


def _rank(args):
    _check_options(args)
    frame = _read_table(Path(args.data))
    X, y, task = _split_target(frame, args.target, args.task)
    model = _pipeline(X, task, args)
    n_fits = args.repeats or args.cv or 1
    progress = _Progress(quiet=args.quiet, total_epochs=n_fits * args.max_iter)
    progress.say(f"Training {n_fits} network(s) on {len(X)} rows x {X.shape[1]} columns ({task})...")
    try:
        with warnings.catch_warnings(), report_epochs(progress.epoch_done):
            warnings.simplefilter("ignore")  # ConvergenceWarning and friends: the table says what it can
            if args.repeats or args.cv:
                result = importance_uncertainty(model, X, y, cv=args.cv, n_repeats=args.repeats, grouped=True,
                                                random_state=args.seed, n_jobs=args.n_jobs)
                names, mean, std = result.feature_names, result.importances_mean, result.importances_std
            else:
                grouped = grouped_importances(model.fit(X, y))
                names, mean, std = grouped.feature_names, grouped.importances, None
    except ValueError as error:  # bad data found by the estimator: one class, too few rows...
        raise UsageError(str(error).splitlines()[0]) from None
    finally:
        progress.close()
    rows = _ranked_rows(names, mean, std, args.top)
    print(_format(rows, args))
    if args.plot:
        _save_plot(names, mean, std, args)
    return 0


def _check_options(args):
    if args.top is not None and args.top < 1:
        raise UsageError("--top must be at least 1")
    if args.repeats is not None and args.repeats < 2:
        raise UsageError("--repeats must be at least 2")
    if args.cv is not None and args.cv < 2:
        raise UsageError("--cv must be at least 2")
    if args.max_iter < 1:
        raise UsageError("--max-iter must be at least 1")
    try:
        sizes = tuple(int(width) for width in args.hidden_layer_sizes.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise UsageError(f"--hidden-layer-sizes must be positive integers separated by commas, "
                         f"got {args.hidden_layer_sizes!r}")
    args.hidden_layer_sizes = sizes


def _read_table(path):
    try:
        import pandas as pd
    except ImportError:
        raise UsageError("viann rank needs pandas: pip install 'viann-sklearn[cli]'") from None
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)  # never pickle: nothing is unpickled from a user path
        else:
            frame = pd.read_csv(path)
    except ImportError as error:
        raise UsageError(f"cannot read {path.name}: {error}") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
        message = "the file is empty" if isinstance(error, pd.errors.EmptyDataError) else str(error).splitlines()[0]
        raise UsageError(f"cannot read {path.name}: {message}") from None
    if frame.empty:
        raise UsageError(f"{path.name} has no data rows")
    return frame


def _split_target(frame, target, task):
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
        numeric = y.dtype.kind in "fiu" and y.dtype.kind != "b"
        task = "regression" if numeric and (y.dtype.kind == "f" or y.nunique() > 20) else "classification"
    if task == "regression":
        if y.dtype.kind not in "fiu":
            raise UsageError(f"the target {target!r} is not numeric; use --task classification")
        y = y.astype(float)
    elif y.nunique() < 2:
        raise UsageError(f"the target {target!r} has only one class: {y.iloc[0]!r}")
    return X, y, task


def _pipeline(X, task, args):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from ._estimators import VIANNClassifier, VIANNRegressor

    numeric = [column for column in X.columns if X[column].dtype.kind in "fiub"]
    categorical = [column for column in X.columns if column not in numeric]
    for column in categorical:
        values = X[column].dropna()
        # mostly numbers with a few strings is garbage in a numeric column, not a category
        as_numbers = np.mean([_is_number(value) for value in values[:1000]]) if len(values) else 0
        if 0.5 < as_numbers < 1:
            raise UsageError(f"column {column!r} mixes numbers and text (e.g. {_first_text(values)!r})")
        if values.nunique() > max(50, len(X) // 2):
            raise UsageError(f"column {column!r} is text with {values.nunique()} distinct values; "
                             "drop it or encode it first")
    transformers = []
    if numeric:
        transformers.append(("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric))
    if categorical:
        transformers.append(("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                  OneHotEncoder(handle_unknown="ignore")), categorical))
    estimator_class = VIANNClassifier if task == "classification" else VIANNRegressor
    estimator = estimator_class(hidden_layer_sizes=args.hidden_layer_sizes, max_iter=args.max_iter,
                                importance_on=args.importance_on, random_state=args.seed)
    return make_pipeline(ColumnTransformer(transformers), estimator)


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _first_text(values):
    return next(value for value in values if not _is_number(value))


def _ranked_rows(names, mean, std, top):
    order = np.argsort(-mean, kind="stable")[:top]
    total = mean.sum()
    return [{"rank": rank, "column": str(names[i]), "importance": float(mean[i]),
             "share": float(mean[i] / total) if total > 0 else 0.0,
             **({"std": float(std[i])} if std is not None else {})}
            for rank, i in enumerate(order, start=1)]


def _format(rows, args):
    if args.json:
        return json.dumps(rows, indent=2)
    keys = list(rows[0])
    if args.csv:
        return "\n".join([",".join(keys), *(",".join(_csv_cell(row[key]) for key in keys) for row in rows)])
    width = max(len("column"), *(len(row["column"]) for row in rows))
    header = f"{'rank':>4}  {'column':<{width}}  {'importance':>10}  {'share':>6}" + ("  ± std" if "std" in keys else "")
    lines = [header]
    for row in rows:
        line = f"{row['rank']:>4}  {row['column']:<{width}}  {row['importance']:>10.4f}  {row['share']:>6.1%}"
        if "std" in row:
            line += f"  ± {row['std']:.4f}"
        lines.append(line)
    return "\n".join(lines)


def _csv_cell(value):
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    return f'"{text}"' if any(char in text for char in ',"\n') else text


def _save_plot(names, mean, std, args):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'viann-sklearn[cli]'") from None
    from .plot import ImportanceDisplay

    display = ImportanceDisplay(mean, names, importances_std=std, top=args.top).plot()
    try:
        display.figure_.savefig(args.plot, dpi=120)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot save the plot to {args.plot}: {error}") from None
    if not args.quiet:
        print(f"Chart saved to {args.plot}", file=sys.stderr)


class _Progress:
    """A progress bar over epochs on a terminal, plain messages otherwise; silent with --quiet.

    Everything goes to stderr, so that stdout stays machine-readable. Fits
    run in other processes (``--n-jobs``) do not report their epochs.
    """

    def __init__(self, quiet, total_epochs):
        self.quiet = quiet
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm.auto import tqdm  # a dependency of skorch

            self.bar = tqdm(total=total_epochs, unit="epoch", file=sys.stderr, leave=False)

    def say(self, message):
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def epoch_done(self, epochs_done, epochs_planned, converged):
        if self.bar is not None:
            # a fit that converges early skips the rest of its planned epochs
            self.bar.update(1 + (epochs_planned - epochs_done if converged else 0))

    def close(self):
        if self.bar is not None:
            self.bar.close()

"""The ``viann`` command line's parser, and the checks of its options.

A bad command line is one line on stderr and exit code 2 (``USAGE_ERROR``),
without the usage. Options, output paths and the optional packages they need
are checked here, before any training; a mistake raises ``UsageError``, which
``main`` reports in one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path
from typing import Any

USAGE_ERROR = 2


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
    columns.add_argument(
        "--as-numbers",
        action="append",
        default=[],
        metavar="COLUMN",
        help="read this column as numbers, any text in it as missing (repeatable)",
    )
    columns.add_argument(
        "--as-categories",
        action="append",
        default=[],
        metavar="COLUMN",
        help="one-hot encode this column, numbers or not (repeatable)",
    )
    _add_reading_options(columns)
    output = rank.add_argument_group("output")
    formats = output.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    formats.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    output.add_argument("--top", type=int, metavar="K", help="show only the K most important columns")
    output.add_argument("--plot", metavar="FILE.png", help="also save a bar chart (.png, .svg, .pdf...)")
    output.add_argument(
        "--report",
        metavar="FILE.html",
        help="also write one self-contained HTML page: the answer, the chart, the table, the score per fold, "
        "the importances over the epochs, the columns left out, and how to rerun it (needs matplotlib)",
    )
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
    fits.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default="auto",
        help="parallel fits, in worker processes (-1: every core); default 'auto': every core from "
        f"{PARALLEL_MIN_ROWS:,} rows on, below that one after another (starting workers costs seconds)",
    )
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
        help="more fits (up to 12 with the default --noise-test), each with shuffled 'shadow' copies of the "
        "columns, tell which columns beat noise, at the error rate ALPHA that --noise-control names "
        "(default: 0.05); 0 skips them",
    )
    fits.add_argument(
        "--noise-test",
        choices=["hits", "rank"],
        default="hits",
        help="how the fits become a noise p per column: 'hits', Boruta's test, how often the column beat every "
        "shadow (default); or 'rank', the share of shadows at least as important, pooled over 3 fits",
    )
    fits.add_argument(
        "--noise-keep-rejected",
        action="store_true",
        help="with --noise-test hits, keep every column in every fit; by default a column that can no longer "
        "beat noise leaves the later fits, as in Boruta, which finds more of the real columns (see the docs)",
    )
    fits.add_argument(
        "--noise-joint-shadows",
        action="store_true",
        help="shuffle the rows of the shadow copies together, so that they keep the correlations between the "
        "columns, as an unrelated real column does: finds more of the real columns, with less margin on the "
        "error rate (see the docs, 'Joint shadows')",
    )
    fits.add_argument(
        "--noise-control",
        choices=["fdr", "per_feature"],
        default="fdr",
        help="which error rate --noise-alpha bounds: 'fdr', the share of noise among the columns that beat "
        "it (Benjamini-Hochberg; default), or 'per_feature', the chance that each unrelated column beats it "
        "(with 20 unrelated columns, about one does at 0.05)",
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


#: From this many rows on, ``--n-jobs auto`` fits the folds in parallel. Worker processes cost about
#: 3 s to start (600 rows: 4.7 s with one job, 7.8 s with two); 53,940 rows x 9: 33.4 s -> 27.9 s.
PARALLEL_MIN_ROWS = 20_000


def _n_jobs(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'auto' or an integer, not {value!r}") from None


def _add_reading_options(group: Any) -> None:
    group.add_argument("--sep", help="the CSV separator (default: sniffed among , ; tab |)")
    group.add_argument("--encoding", help="the file's text encoding (default: utf-8)")
    group.add_argument(
        "--decimal",
        choices=[".", ","],
        help="the decimal mark (default: sniffed; ',' where more numbers are written 3,5 than 3.5, "
        "in files not separated by commas)",
    )


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
    for option in ("drop", "as_numbers", "as_categories"):
        if args.target in getattr(args, option):
            raise UsageError(f"--{option.replace('_', '-')} {args.target}: that is the target")
    both = sorted(set(args.as_numbers) & set(args.as_categories))
    if both:
        raise UsageError(f"--as-numbers and --as-categories both name {both[0]!r}; choose one")
    if not 0 <= args.noise_alpha < 1:
        raise UsageError(
            f"--noise-alpha must be at least 0 (0 skips the noise baseline) and below 1, got {args.noise_alpha}"
        )
    if args.noise_keep_rejected and args.noise_test != "hits":
        raise UsageError("--noise-keep-rejected needs --noise-test hits: the rank test never drops a column")
    if args.plot:
        _check_output_path(args.plot, "--plot")
        formats = _plot_formats()
        suffix = Path(args.plot).suffix.lower().lstrip(".")
        if suffix not in formats:
            raise UsageError(
                f"--plot {args.plot}: unknown image format {suffix!r}; use one of {', '.join(sorted(formats))}"
            )
    if args.report:
        _check_output_path(args.report, "--report")
        # Found, not imported: with matplotlib loaded before them, the first fit is 0.3 s slower.
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--report needs matplotlib: pip install 'viann-sklearn[cli]'")
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

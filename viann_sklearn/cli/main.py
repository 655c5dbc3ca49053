"""The ``viann`` command line: rank the columns of a table, predict with a saved model, or run the demo.

This module holds ``main``: it parses the command line and hands it to a command
(``rank.py``, ``predict.py``, ``demo.py``). User mistakes (a missing file or column,
an empty file, one class, text where numbers belong, an unwritable output path...)
end with a one-line message on stderr and exit code 2, never a traceback. Options
and output paths are checked before any training (``parsing.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .demo import rank_breast_cancer
from .parsing import USAGE_ERROR, UsageError, build_parser
from .predict import _predict
from .rank import _rank

__all__ = ["main"]


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
    args.command_line = ["viann", *argv]  # for the report's "to run it again"
    try:
        code = _run(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below rather than at exit
        return code
    except UsageError as error:
        print(f"viann: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("viann: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `viann rank ... | head` closed the pipe: not an error to report. Python
        # flushes stdout again at exit; pointing it at devnull keeps that quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command that a closed pipe stopped


def _run(args) -> int:
    if args.command == "demo":
        if args.top is not None and args.top < 1:
            raise UsageError("--top must be at least 1")
        rank_breast_cancer(seed=args.seed, top=args.top)
        return 0
    if args.command == "predict":
        return _predict(args)
    return _rank(args)

"""The ``viann`` command line: ``rank``, ``predict`` and ``demo``.

- ``main.py``: ``main``, which hands the command line to its command;
- ``parsing.py``: the parser, and the checks of the options before any work;
- ``rank.py``: ``viann rank``: the target, the folds, the fits, the noise and baseline checks;
- ``report.py``: the ranking as a table, JSON or CSV, the chart, the HTML page, notes and the progress bar;
- ``predict.py``: ``viann predict``;
- ``table.py``: reading a table and deciding what each column becomes;
- ``persist.py``: saving a model without pickle, and loading it back;
- ``demo.py``: ``viann demo``.

The top layer: it may import every other; nothing imports it.
"""

from .main import main
from .parsing import USAGE_ERROR, UsageError, build_parser

__all__ = ["USAGE_ERROR", "UsageError", "build_parser", "main"]

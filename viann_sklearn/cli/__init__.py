"""The ``viann`` command line: ``rank``, ``predict`` and ``demo``.

- ``main.py``: the parser and the commands;
- ``table.py``: reading a table and deciding what each column becomes;
- ``persist.py``: saving a model without pickle, and loading it back;
- ``demo.py``: ``viann demo``.

The top layer: it may import every other; nothing imports it.
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]

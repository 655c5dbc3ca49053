"""``python -m viann_sklearn``: the ``viann`` command line; with no arguments, its help."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())

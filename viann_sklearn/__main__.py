"""``python -m viann_sklearn``: the main job on an embedded dataset."""

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main())

"""viann-sklearn: feature importances for neural networks, the scikit-learn way."""
from importlib.metadata import PackageNotFoundError, version

from ._callbacks import VarianceImportance

try:
    __version__ = version("viann-sklearn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["VarianceImportance", "__version__"]

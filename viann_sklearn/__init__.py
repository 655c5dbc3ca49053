"""viann-sklearn: feature importances for neural networks, the scikit-learn way.

VIANN (de Sá, *Variance-based Feature Importance in Neural Networks*, 2019)
ranks the inputs of a neural network by how much the weights leaving them
change during training. This package provides it as scikit-learn estimators
(:class:`VIANNClassifier`, :class:`VIANNRegressor`) and as a skorch callback
(:class:`VarianceImportance`) for your own nets; :func:`fit_stream` trains them
on data that does not fit in memory.

The public names are those below and in the modules ``keras``, ``text``,
``vision``, ``plot``, ``streaming``, ``inspection`` and ``cli``. The code lives
in one folder per layer (``method``, ``adapters``, ``training``, ``estimators``,
``selection`` and ``inspection``, ``cli``; the README maps them), which may
change between releases.
"""

from importlib.metadata import PackageNotFoundError, version

from .adapters.skorch_callbacks import MetricThreshold, VarianceImportance
from .adapters.torch_loop import VarianceImportanceTorch
from .estimators import UninformativeTargetWarning, VIANNClassifier, VIANNRegressor
from .estimators.streaming import dask_chunks, fit_stream, parquet_chunks
from .inspection import grouped_importances, importance_uncertainty
from .selection import BaselineNotBeatenWarning, VIANNSelector

try:
    __version__ = version("viann-sklearn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "BaselineNotBeatenWarning",
    "MetricThreshold",
    "UninformativeTargetWarning",
    "VIANNClassifier",
    "VIANNRegressor",
    "VIANNSelector",
    "VarianceImportance",
    "VarianceImportanceTorch",
    "__version__",
    "dask_chunks",
    "fit_stream",
    "grouped_importances",
    "importance_uncertainty",
    "parquet_chunks",
]

"""viann-sklearn: feature importances for neural networks, the scikit-learn way.

VIANN (de Sá, *Variance-based Feature Importance in Neural Networks*, 2019)
ranks the inputs of a neural network by how much the weights leaving them
change during training. This package provides it as scikit-learn estimators
(:class:`VIANNClassifier`, :class:`VIANNRegressor`) and as a skorch callback
(:class:`VarianceImportance`) for your own nets; :func:`fit_stream` trains them
on data that does not fit in memory.
"""

from importlib.metadata import PackageNotFoundError, version

from ._callbacks import MetricThreshold, VarianceImportance
from ._estimators import VIANNClassifier, VIANNRegressor
from ._selector import VIANNSelector
from ._torch_tracker import VarianceImportanceTorch
from .inspection import grouped_importances, importance_uncertainty
from .streaming import dask_chunks, fit_stream, parquet_chunks

try:
    __version__ = version("viann-sklearn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "MetricThreshold",
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

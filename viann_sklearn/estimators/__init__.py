"""scikit-learn estimators: ``VIANNClassifier``, ``VIANNRegressor`` and ``fit_stream``.

- ``base.py``: ``_BaseVIANN``, what both share: validation, the fit, prediction, importances;
- ``classifier.py``, ``regressor.py``: the two estimators, with the hooks the base declares;
- ``parameters.py``: the parameters both share: their constraints and their documentation;
- ``early_stopping.py``: the validation split, patience and baseline score;
- ``inputs.py``: column statistics and sample weights;
- ``streaming.py``: ``fit_stream`` and its readers (public as ``viann_sklearn.streaming``).

Imports the training, adapter and method layers.
"""

from .base import UninformativeTargetWarning
from .classifier import VIANNClassifier
from .regressor import VIANNRegressor

__all__ = ["UninformativeTargetWarning", "VIANNClassifier", "VIANNRegressor"]

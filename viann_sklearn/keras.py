"""VIANN and MetricThreshold as Keras 3 callbacks (see ``adapters/keras_callbacks.py``).

Needs Keras 3 (``pip install "viann-sklearn[keras]"``). The rest of the package
never imports this module, so it works without Keras.
"""

from .adapters.keras_callbacks import MetricThreshold, VarianceImportanceKeras

__all__ = ["MetricThreshold", "VarianceImportanceKeras"]

"""VIANN for image models: importances of a first convolution's kernel positions and filters.

See ``inspection/vision.py``.
"""

from .inspection.vision import kernel_importances

__all__ = ["kernel_importances"]

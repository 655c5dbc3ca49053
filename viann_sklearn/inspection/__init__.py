"""Inspection: importances per original column, their spread, per token, per kernel, and plots.

- ``importances.py``: ``grouped_importances``, ``importance_uncertainty`` (this module's public names);
- ``text.py``, ``vision.py``: importances of embedding rows and convolution kernels
  (public as ``viann_sklearn.text`` and ``viann_sklearn.vision``);
- ``plot.py``: ``ImportanceDisplay``, ``plot_importance_history`` (public as ``viann_sklearn.plot``);
- ``report_page.py``: ``ImportanceReport``, one self-contained HTML page per ranking (public as
  ``viann_sklearn.plot``).

Imports the adapters and the layers below them; never the CLI.
"""

from .importances import grouped_importances, importance_uncertainty

__all__ = ["grouped_importances", "importance_uncertainty"]

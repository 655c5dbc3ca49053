"""Feature selection: ``VIANNSelector`` and the shadow columns it tests features against.

- ``selector.py``: ``VIANNSelector``;
- ``noise.py``: shadow columns, their p-values, the noise threshold, Benjamini-Hochberg and Simes
  (numpy only).

Imports the estimators and the layers below them; never the CLI.
"""

from .selector import BaselineNotBeatenWarning, VIANNSelector

__all__ = ["BaselineNotBeatenWarning", "VIANNSelector"]

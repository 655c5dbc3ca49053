"""Charts of VIANN importances, in scikit-learn's Display style (see ``inspection/plot.py``)."""

from .inspection.plot import ImportanceDisplay, plot_importance_history

__all__ = ["ImportanceDisplay", "plot_importance_history"]

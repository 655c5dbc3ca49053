"""Charts and reports of VIANN importances, in scikit-learn's Display style (see ``inspection/plot.py``
and ``inspection/report_page.py``).
"""

from .inspection.plot import ImportanceDisplay, plot_importance_history
from .inspection.report_page import ImportanceReport

__all__ = ["ImportanceDisplay", "ImportanceReport", "plot_importance_history"]

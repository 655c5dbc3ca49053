"""Charts of VIANN importances, in scikit-learn's Display style (matplotlib, an optional extra)."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_parameter_constraints, validate_params

__all__ = ["ImportanceDisplay", "plot_importance_history"]

_TOP = [Interval(Integral, 1, None, closed="left"), None]
# estimator: anything with feature_importances_ or importances_history_ (attributes
# of a fitted model, which no type constraint names); ax: a matplotlib Axes
# (matplotlib is optional, so its classes cannot be named here).
_PLOT_CONSTRAINTS: dict = {"feature_names": ["array-like", None], "top": _TOP, "ax": "no_validation"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "Plotting needs matplotlib: pip install 'viann-sklearn[plot]' (or pip install matplotlib)."
        ) from None
    return plt


def _feature_names(estimator, n_features, feature_names):
    if feature_names is not None:
        names = [str(name) for name in feature_names]
        if len(names) != n_features:
            raise ValueError(f"feature_names has {len(names)} names for {n_features} features.")
        return names
    known = getattr(estimator, "feature_names_in_", None)
    return [str(name) for name in known] if known is not None else [f"x{i}" for i in range(n_features)]


class ImportanceDisplay:
    """Horizontal bar chart of importances, largest on top, with optional error bars.

    Create it with :meth:`from_estimator` or :meth:`from_importances`; the
    constructor only stores what it is given.

    Parameters
    ----------
    importances : array-like of shape (n_features,)
    feature_names : list of str
    importances_std : array-like of shape (n_features,), default=None
        Drawn as error bars.
    top : int, default=None
        Show only the ``top`` most important features; at least 1.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    bars_ : matplotlib BarContainer

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from viann_sklearn import VIANNClassifier
    >>> from viann_sklearn.plot import ImportanceDisplay
    >>> iris = load_iris(as_frame=True)
    >>> clf = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(iris.data, iris.target)
    >>> display = ImportanceDisplay.from_estimator(clf, top=3)
    >>> len(display.ax_.patches)
    3
    """

    def __init__(self, importances, feature_names, *, importances_std=None, top=None):
        self.importances = np.asarray(importances, dtype=float)
        self.feature_names = list(feature_names)
        self.importances_std = None if importances_std is None else np.asarray(importances_std, dtype=float)
        # Not validate_params: on __init__ its messages would name "ImportanceDisplay.__init__".
        validate_parameter_constraints({"top": _TOP}, {"top": top}, caller_name=type(self).__name__)
        self.top = top

    @classmethod
    @validate_params({"estimator": "no_validation", **_PLOT_CONSTRAINTS}, prefer_skip_nested_validation=True)
    def from_estimator(
        cls, estimator: Any, *, feature_names: Sequence[str] | None = None, top: int | None = None, ax: Any = None
    ) -> ImportanceDisplay:
        """Plot a fitted estimator's ``feature_importances_``.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            Anything with ``feature_importances_`` (a Pipeline: its last step).
        feature_names : list of str, default=None
            Default: the estimator's ``feature_names_in_``, else ``x0, x1, ...``.
        top : int, default=None
            Show only the ``top`` most important features; at least 1.
        ax : matplotlib Axes, default=None

        Returns
        -------
        display : ImportanceDisplay
        """
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        importances = final.feature_importances_
        if feature_names is None and hasattr(estimator, "steps"):
            feature_names = estimator[:-1].get_feature_names_out()
        names = _feature_names(final, len(importances), feature_names)
        return cls(importances, names, top=top).plot(ax=ax)

    @classmethod
    @validate_params({"result": [Bunch], **_PLOT_CONSTRAINTS}, prefer_skip_nested_validation=True)
    def from_importances(
        cls, result: Any, *, feature_names: Sequence[str] | None = None, top: int | None = None, ax: Any = None
    ) -> ImportanceDisplay:
        """Plot the mean importances of a Bunch with their standard deviation as error bars.

        Parameters
        ----------
        result : Bunch
            As returned by :func:`viann_sklearn.importance_uncertainty` (or
            :func:`sklearn.inspection.permutation_importance`):
            ``importances_mean`` and ``importances_std``.
        feature_names : list of str, default=None
            Default: ``result.feature_names`` when present.
        top : int, default=None
            Show only the ``top`` most important features; at least 1.
        ax : matplotlib Axes, default=None

        Returns
        -------
        display : ImportanceDisplay
        """
        if feature_names is None:
            feature_names = result.get("feature_names")
        names = _feature_names(None, len(result.importances_mean), feature_names)
        return cls(result.importances_mean, names, importances_std=result.importances_std, top=top).plot(ax=ax)

    def plot(self, ax: Any = None) -> ImportanceDisplay:
        """Draw the chart.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        self : ImportanceDisplay
        """
        plt = _pyplot()
        order = np.argsort(-self.importances, kind="stable")[: self.top or len(self.importances)]
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, max(2.0, 0.3 * len(order) + 1.0)))
        positions = np.arange(len(order))[::-1]  # the largest on top
        error = None if self.importances_std is None else self.importances_std[order]
        self.bars_ = ax.barh(
            positions, self.importances[order], xerr=error, color="#3b75af", error_kw=dict(ecolor="#333333", capsize=3)
        )
        ax.set_yticks(positions, [self.feature_names[i] for i in order])
        ax.set_xlabel("VIANN importance" + (" (mean ± std)" if error is not None else ""))
        ax.set_xlim(left=0)
        ax.figure.tight_layout()
        self.ax_, self.figure_ = ax, ax.figure
        return self


@validate_params({"estimator": "no_validation", **_PLOT_CONSTRAINTS}, prefer_skip_nested_validation=True)
def plot_importance_history(
    estimator: Any, *, feature_names: Sequence[str] | None = None, top: int | None = None, ax: Any = None
) -> Any:
    """How each feature's importance evolved, epoch after epoch.

    Parameters
    ----------
    estimator : fitted VIANNClassifier, VIANNRegressor, Pipeline or VIANN callback
        Anything with ``importances_history_`` (or a ``variance_importance_``
        that has it).
    feature_names : list of str, default=None
    top : int, default=None
        Colour and name the ``top`` features most important at the end; the
        others are thin grey lines under one legend entry, so that 30
        features still make a legend one can read; at least 1. Default:
        every feature when there are at most 10, else the top 8.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        One line per feature, the named ones first.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from viann_sklearn import VIANNClassifier
    >>> from viann_sklearn.plot import plot_importance_history
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    >>> len(plot_importance_history(clf).lines)
    4
    >>> ax = plot_importance_history(clf, top=2)
    >>> [text.get_text() for text in ax.get_legend().get_texts()][-1]
    '2 other features'
    """
    plt = _pyplot()
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    tracker = getattr(final, "variance_importance_", final)
    history = np.asarray(tracker.importances_history_)
    names = _feature_names(final, history.shape[1], feature_names)
    n_features = history.shape[1]
    if top is None:
        top = n_features if n_features <= 10 else 8
    order = np.argsort(-history[-1], kind="stable")
    named, others = order[:top], order[top:]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 4.0))
    epochs = np.arange(1, len(history) + 1)
    for index in named:
        ax.plot(epochs, history[:, index], label=names[index], linewidth=1.8)
    for position, index in enumerate(others):
        label = f"{len(others)} other feature{'s' if len(others) > 1 else ''}" if position == 0 else "_nolegend_"
        ax.plot(epochs, history[:, index], color="0.7", linewidth=0.8, label=label, zorder=1)
    ax.set(xlabel="epoch", ylabel="VIANN importance so far", title="Importance history")
    # Outside the axes, in final-importance order: it never hides a line.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.figure.tight_layout()
    return ax

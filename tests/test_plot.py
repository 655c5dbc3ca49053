"""ImportanceDisplay and the history plot, on matplotlib's Agg backend."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib (plot extra) is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import Bunch  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

from viann_sklearn import VIANNClassifier  # noqa: E402
from viann_sklearn.plot import ImportanceDisplay, plot_importance_history  # noqa: E402

pytestmark = pytest.mark.usefixtures("quiet_convergence")


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 3] > 0).astype(int)
    return VIANNClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.1, max_iter=10, random_state=0).fit(X, y)


def test_display_from_estimator_orders_bars_and_sets_attributes(fitted):
    display = ImportanceDisplay.from_estimator(fitted, feature_names=list("abcde"), top=3)
    labels = [label.get_text() for label in display.ax_.get_yticklabels()]
    label_at = dict(zip(display.ax_.get_yticks(), labels))
    assert label_at[max(label_at)] == "d"  # the largest is drawn on top
    assert len(display.bars_) == 3
    widths = sorted(bar.get_width() for bar in display.bars_)
    np.testing.assert_allclose(widths, np.sort(fitted.feature_importances_)[-3:])
    assert display.figure_ is display.ax_.figure
    plt.close("all")


def test_display_from_importances_draws_error_bars_on_given_axes(fitted):
    _, ax = plt.subplots()
    result = Bunch(
        importances_mean=np.array([0.2, 0.5, 0.3]),
        importances_std=np.array([0.01, 0.05, 0.02]),
        feature_names=np.array(["a", "b", "c"], dtype=object),
    )
    display = ImportanceDisplay.from_importances(result, ax=ax)
    assert display.ax_ is ax
    assert len(ax.lines) + len(ax.collections) > 0  # the error bars
    assert "mean ± std" in ax.get_xlabel()
    plt.close("all")


def test_display_through_a_pipeline_and_history_plot(fitted):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3))
    model = make_pipeline(StandardScaler(), VIANNClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0))
    model.fit(X, (X[:, 0] > 0).astype(int))
    display = ImportanceDisplay.from_estimator(model)
    assert [label.get_text() for label in display.ax_.get_yticklabels()] != []
    ax = plot_importance_history(fitted, top=2)
    assert len(ax.lines) == 5
    assert len(ax.lines[0].get_xdata()) == fitted.variance_importance_.importances_history_.shape[0]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0] == "x3"  # the informative feature
    assert legend[2:] == ["3 other features"]
    plt.close("all")


def test_history_of_30_features_names_the_top_8_and_groups_the_rest():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 30))
    clf = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, (X[:, 7] > 0).astype(int))
    ax = plot_importance_history(clf)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    final = clf.variance_importance_.importances_history_[-1]
    assert legend == [f"x{i}" for i in np.argsort(-final, kind="stable")[:8]] + ["22 other features"]
    assert len(ax.lines) == 30
    plt.close("all")


def test_bad_arguments_are_named(fitted):
    with pytest.raises(InvalidParameterError, match="'top' parameter of ImportanceDisplay must be an int"):
        ImportanceDisplay([0.5, 0.5], ["a", "b"], top=0)
    with pytest.raises(InvalidParameterError, match="'top' parameter of ImportanceDisplay.from_estimator"):
        ImportanceDisplay.from_estimator(fitted, top=0)
    with pytest.raises(InvalidParameterError, match="'top' parameter of ImportanceDisplay.from_importances"):
        ImportanceDisplay.from_importances(Bunch(importances_mean=[0.5], importances_std=[0.1]), top=1.5)
    with pytest.raises(InvalidParameterError, match="'result' parameter of ImportanceDisplay.from_importances"):
        ImportanceDisplay.from_importances({"importances_mean": [0.5], "importances_std": [0.1]})
    with pytest.raises(InvalidParameterError, match="'top' parameter of plot_importance_history"):
        plot_importance_history(fitted, top=0)
    with pytest.raises(ValueError, match="feature_names"):
        ImportanceDisplay.from_estimator(fitted, feature_names=["only one"])

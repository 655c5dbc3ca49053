"""One self-contained HTML page per ranking: the answer, the chart, the table, the score, the history.

The page needs nothing but a browser: the charts are SVG embedded as ``data:`` URIs, the style
is inline, and there is no script, so it opens offline and can be mailed or attached to a
ticket as it is. Every text that comes from the data or the user (column names, reasons, the
command line, settings) goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import html
import io
import platform
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints

from .importances import _feature_columns, _grouped_history, grouped_importances
from .plot import ImportanceDisplay

__all__ = ["ImportanceReport"]

#: The page's sections, in reading order: their ids are the anchors of the table of contents.
SECTIONS = {
    "chart": "Ranking",
    "table": "Table",
    "score": "Score against a baseline",
    "history": "While the network trained",
    "columns": "Columns left out or transformed",
    "data": "Data",
    "rerun": "To run it again",
}
#: Lines in the history chart; the other columns are summed into one, so that the legend stays readable.
HISTORY_LINES = 8
#: Longer names are cut in the charts (the table shows them whole): a 90-character name would
#: otherwise take the chart's width from the bars.
CHART_LABEL_CHARS = 40
#: The answer names at most this many columns, then says how many more.
ANSWER_NAMES = 5
#: Without a noise decision, the answer names the columns that together hold this share.
ANSWER_SHARE = 0.8
#: The versions that decide the numbers, listed so that a rerun can match them.
PACKAGES = ("viann-sklearn", "numpy", "scipy", "scikit-learn", "skorch", "torch", "pandas", "matplotlib")

_CONTROLS = {"fdr", "per_feature"}
_CONSTRAINTS: dict = {
    "top": [Interval(Integral, 1, None, closed="left")],
    "noise_control": [StrOptions(_CONTROLS), None],
    "noise_test": [StrOptions({"hits", "rank"}), None],
}


class ImportanceReport:
    """A ranking as one HTML page a person reads: offline, self-contained, printable.

    The page leads with the answer (the columns that matter, in one
    sentence), then shows the chart with error bars, the table with the
    noise decision and its error rate, the cross-validated score against a
    baseline per fold, the importances over the epochs, the columns left out
    or transformed and why, the data, and the settings, versions and command
    that reproduce it. A section without data says what would fill it.

    Create it with :meth:`from_estimator` (a fitted estimator, pipeline or
    :class:`~viann_sklearn.VIANNSelector`) or :meth:`from_importances` (the
    result of :func:`~viann_sklearn.grouped_importances` or
    :func:`~viann_sklearn.importance_uncertainty`); the constructor only
    stores what it is given. ``viann rank ... --report FILE.html`` writes one.
    Notebooks show it inline.

    Needs matplotlib (``pip install 'viann-sklearn[plot]'``) to draw.

    Parameters
    ----------
    importances : array-like of shape (n_columns,)
    feature_names : list of str
    importances_std : array-like of shape (n_columns,), default=None
        The spread over folds or seeds: error bars and a "± std" column.
    pvalues : array-like of shape (n_columns,), default=None
        Each column's p-value against shuffled shadow columns.
    beats_noise : array-like of bool, shape (n_columns,), default=None
        The noise decision per column; default, when ``pvalues`` and
        ``noise_alpha`` are given: the Benjamini-Hochberg rule at
        ``noise_alpha`` with ``noise_control="fdr"``, else
        ``pvalues <= noise_alpha``.
    noise_alpha : float, default=None
        The error rate the decision was made at.
    noise_control : {"fdr", "per_feature"}, default=None
        Which error rate ``noise_alpha`` bounds: the false-discovery rate
        among the columns said to beat noise, or the chance that any one
        column unrelated to the target is said to. The page explains it.
    noise_test : {"hits", "rank"}, default=None
        How the p-values were made (:class:`~viann_sklearn.VIANNSelector`'s
        ``test``): how often a column beat every shadow (Boruta's test), or
        the share of shadows at least as important. The page explains it;
        None explains the share.
    scores : array-like of shape (n_folds,), default=None
        The network's score on the rows each fold held out.
    baseline_scores : array-like of shape (n_folds,), default=None
        A baseline's score on the same folds.
    metric : str, default="score"
        What ``scores`` measure ("accuracy", "R²").
    baseline_name : str, default=None
        What the baseline does ("always the mean target").
    history : array-like of shape (n_epochs, n_columns), or a list of them, default=None
        Importances after each epoch; a list (one per fold or seed) is
        averaged, a run that stopped earlier counting with its last
        importances.
    left_out : dict of str to str, default=None
        Columns not ranked, and why.
    transformed : dict of str to str, default=None
        Ranked columns that were turned into other features, and into what.
    notes : list of str, default=None
        Anything else said about the columns while reading them.
    caveats : list of str, default=None
        What the reader must know before trusting the ranking (a network no
        better than its baseline, few rows); shown under the answer.
    dataset : dict of str to str, default=None
        What the data was: file, rows, columns, target, task.
    settings : dict of str to object, default=None
        The settings the ranking was made with.
    command : str, default=None
        The command line that made it.
    title : str, default="VIANN ranking"
    top : int, default=20
        Columns shown in the chart and the table; the others are summed up
        in one line, and listed in a closed "all columns" block.

    Attributes
    ----------
    html_ : str
        The page, once :meth:`to_html` (or :meth:`save`) has run.

    Examples
    --------
    >>> import numpy as np
    >>> from viann_sklearn.plot import ImportanceReport
    >>> report = ImportanceReport(
    ...     [0.7, 0.2, 0.1], ["area <m²>", "district", "door & colour"],
    ...     pvalues=[0.02, 0.02, 0.6], noise_alpha=0.05, noise_control="fdr")
    >>> page = report.to_html()
    >>> page.startswith("<!DOCTYPE html>"), "area &lt;m²&gt;" in page
    (True, True)
    >>> "2 of 3 columns beat noise" in page
    True
    """

    def __init__(
        self,
        importances: Any,
        feature_names: Sequence[str],
        *,
        importances_std: Any = None,
        pvalues: Any = None,
        beats_noise: Any = None,
        noise_alpha: float | None = None,
        noise_control: str | None = None,
        noise_test: str | None = None,
        scores: Any = None,
        baseline_scores: Any = None,
        metric: str = "score",
        baseline_name: str | None = None,
        history: Any = None,
        left_out: Mapping[str, str] | None = None,
        transformed: Mapping[str, str] | None = None,
        notes: Sequence[str] | None = None,
        caveats: Sequence[str] | None = None,
        dataset: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        command: str | None = None,
        title: str = "VIANN ranking",
        top: int = 20,
    ) -> None:
        # Not validate_params: on __init__ its messages would name "ImportanceReport.__init__".
        validate_parameter_constraints(
            _CONSTRAINTS,
            {"top": top, "noise_control": noise_control, "noise_test": noise_test},
            caller_name=type(self).__name__,
        )
        self.importances = np.asarray(importances, dtype=float)
        self.feature_names = [str(name) for name in feature_names]
        self.importances_std = _optional_array(importances_std, float)
        self.pvalues = _optional_array(pvalues, float)
        # A NaN would turn every share into 0 % and the answer into a false sentence.
        if not (np.all(np.isfinite(self.importances)) and np.all(self.importances >= 0)):
            raise ValueError("ImportanceReport: importances must be finite and >= 0.")
        if self.importances.size and self.importances.sum() == 0:
            raise ValueError("ImportanceReport: every importance is 0; there is no ranking to report.")
        if self.pvalues is not None and not np.all((self.pvalues >= 0) & (self.pvalues <= 1)):
            raise ValueError("ImportanceReport: pvalues must be numbers between 0 and 1 (no NaN).")
        if beats_noise is None and self.pvalues is not None and noise_alpha is not None:
            beats_noise = _decision(self.pvalues, noise_alpha, noise_control)
        self.beats_noise = _optional_array(beats_noise, bool)
        self.noise_alpha = noise_alpha
        self.noise_control = noise_control
        self.noise_test = noise_test
        self.scores = _optional_array(scores, float)
        self.baseline_scores = _optional_array(baseline_scores, float)
        self.metric = metric
        self.baseline_name = baseline_name
        self.history = history
        self.left_out = dict(left_out or {})
        self.transformed = dict(transformed or {})
        self.notes = list(notes or [])
        self.caveats = list(caveats or [])
        self.dataset = dict(dataset or {})
        self.settings = dict(settings or {})
        self.command = command
        self.title = title
        self.top = top
        n_columns = len(self.importances)
        if len(self.feature_names) != n_columns:
            raise ValueError(f"ImportanceReport: {len(self.feature_names)} feature_names for {n_columns} importances.")
        for name in ("importances_std", "pvalues", "beats_noise"):
            values = getattr(self, name)
            if values is not None and len(values) != n_columns:
                raise ValueError(f"ImportanceReport: {name} has {len(values)} values for {n_columns} columns.")
        if self.baseline_scores is not None and (self.scores is None or len(self.baseline_scores) != len(self.scores)):
            raise ValueError("ImportanceReport: baseline_scores needs scores, one for each fold.")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_estimator(cls, estimator: Any, **report_options: Any) -> ImportanceReport:
        """The report of a fitted estimator, a pipeline, or a :class:`~viann_sklearn.VIANNSelector`.

        A pipeline is reported per original column
        (:func:`~viann_sklearn.grouped_importances`); a selector (alone or
        last in a pipeline) gives the noise decision at its ``alpha`` and
        ``control``. In a pipeline, a column beats noise when the selector
        keeps any of its features (as the pipeline then uses it), shown with
        the smallest p-value of its features. The importance history comes
        from the fitted network (a selector discards its network, so it has
        none).

        Parameters
        ----------
        estimator : fitted VIANNClassifier, VIANNRegressor, VIANNSelector or Pipeline
        **report_options
            Any parameter of the constructor (``scores``, ``dataset``,
            ``top``...); it replaces what is read from ``estimator``.

        Returns
        -------
        report : ImportanceReport

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from viann_sklearn import VIANNClassifier
        >>> from viann_sklearn.plot import ImportanceReport
        >>> iris = load_iris(as_frame=True)
        >>> clf = VIANNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(iris.data, iris.target)
        >>> report = ImportanceReport.from_estimator(clf, top=3)
        >>> report.feature_names[:2], report.history.shape[1]
        (['sepal length (cm)', 'sepal width (cm)'], 4)
        """
        pipeline = estimator if isinstance(estimator, Pipeline) else None
        final = estimator[-1] if pipeline is not None else estimator
        selector = final if hasattr(final, "pvalues_") else None
        network = getattr(selector, "estimator", final)
        options: dict[str, Any] = {}
        if pipeline is not None:
            grouped = grouped_importances(pipeline)
            names, importances = list(grouped.feature_names), grouped.importances
            options["transformed"] = _transformations(grouped.sources)
        else:
            importances = np.asarray(final.feature_importances_, dtype=float)
            known = getattr(final, "feature_names_in_", None)
            names = [str(name) for name in known] if known is not None else [f"x{i}" for i in range(len(importances))]
        if selector is not None:
            pvalues, support = np.asarray(selector.pvalues_, dtype=float), np.asarray(selector.get_support())
            if pipeline is not None:
                # A one-hot block beats noise when any of its features does, at its smallest p-value.
                _, column_of_feature = _feature_columns(pipeline)
                pvalues = np.array([pvalues[column_of_feature == i].min() for i in range(len(names))])
                support = np.array([support[column_of_feature == i].any() for i in range(len(names))])
            options.update(
                pvalues=pvalues,
                beats_noise=support,
                noise_alpha=selector.alpha,
                noise_control=selector.control,
                noise_test=selector.test,
            )
        tracker = getattr(final, "variance_importance_", None) if selector is None else None
        if tracker is not None:
            history = np.asarray(tracker.importances_history_, dtype=float)
            options["history"] = _grouped_history(pipeline, history) if pipeline is not None else history
        options["dataset"] = {
            "task": "classification" if is_classifier(network) else "regression",
            **({"input columns": pipeline.n_features_in_} if pipeline is not None else {}),
            "features the network saw": final.n_features_in_,
        }
        # scikit-learn's repr names the parameters that differ from the defaults: enough to rebuild
        # the model with the versions listed next to it.
        options["settings"] = {"model": repr(estimator)}
        options.update(report_options)
        return cls(importances, names, **options)

    @classmethod
    def from_importances(cls, result: Bunch, **report_options: Any) -> ImportanceReport:
        """The report of :func:`~viann_sklearn.grouped_importances` or :func:`~viann_sklearn.importance_uncertainty`.

        Parameters
        ----------
        result : Bunch
            With ``importances`` (grouped_importances) or
            ``importances_mean`` (importance_uncertainty); also read, when
            there: ``feature_names``, ``importances_std``, ``scores`` (per
            fold), ``histories`` (``return_history=True``) and ``sources``
            (the features each column became).
        **report_options
            Any parameter of the constructor; it replaces what is read from
            ``result``.

        Returns
        -------
        report : ImportanceReport

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from viann_sklearn import VIANNClassifier, importance_uncertainty
        >>> from viann_sklearn.plot import ImportanceReport
        >>> X, y = make_classification(n_samples=120, n_features=4, random_state=0)
        >>> result = importance_uncertainty(VIANNClassifier(hidden_layer_sizes=(8,), max_iter=15),
        ...                                 X, y, cv=3, return_history=True, random_state=0)
        >>> report = ImportanceReport.from_importances(result, metric="accuracy")
        >>> len(report.scores), len(report.history)
        (3, 3)
        """
        mean = result.get("importances_mean")
        importances = np.asarray(result.importances if mean is None else mean, dtype=float)
        names = result.get("feature_names")
        names = [str(name) for name in names] if names is not None else [f"x{i}" for i in range(len(importances))]
        options: dict[str, Any] = {
            "importances_std": result.get("importances_std"),
            "scores": result.get("scores"),
            "history": result.get("histories"),
        }
        if "sources" in result:
            options["transformed"] = _transformations(result.sources)
        runs = np.shape(result.importances)[1] if np.ndim(result.importances) == 2 else 1
        options["dataset"] = {"fits the ranking is the mean of": runs}
        options.update(report_options)
        return cls(importances, names, **options)

    # ----------------------------------------------------------------- output
    def to_html(self) -> str:
        """The whole page, as a string; also kept in ``html_``.

        Returns
        -------
        page : str
        """
        self.html_ = (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_escape(self.title)}</title>\n"
            # @page applies to the whole document, so it lives here rather than in the fragment
            "<style>body{margin:0}@page{margin:1.5cm}</style>\n"
            f"</head>\n<body>\n{self._fragment()}\n</body>\n</html>\n"
        )
        return self.html_

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        path : Path
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # A notebook embeds a fragment in its own page: a second <html> would not belong, and
        # the style is scoped to the report's own element so that the notebook keeps its look.
        return self._fragment()

    # --------------------------------------------------------------- sections
    def _fragment(self) -> str:
        order = np.argsort(-self.importances, kind="stable")
        total = self.importances.sum()
        shares = self.importances / total if total > 0 else np.zeros_like(self.importances)
        shown = order[: self.top]
        contents = " · ".join(f'<a href="#viann-{key}">{name}</a>' for key, name in SECTIONS.items())
        parts = [
            f'<div class="viann-report">\n<style>{_CSS}</style>',
            f"<header>\n<h1>{_escape(self.title)}</h1>",
            f'<p class="answer">{self._answer(order, shares)}</p>',
            *(f'<p class="answer caveat">{_escape(caveat)}</p>' for caveat in self.caveats),
            f'<nav class="contents">{contents}</nav>\n</header>',
            self._section("chart", self._chart(shown)),
            self._section("table", self._table(order, shares)),
            self._section("score", self._score()),
            self._section("history", self._history(order)),
            self._section("columns", self._columns()),
            self._section("data", self._data()),
            self._section("rerun", self._rerun()),
            "</div>",
        ]
        return "\n".join(parts)

    @staticmethod
    def _section(key: str, body: str) -> str:
        return f'<section id="viann-{key}">\n<h2>{SECTIONS[key]}</h2>\n{body}\n</section>'

    def _answer(self, order: np.ndarray, shares: np.ndarray) -> str:
        n_columns = len(order)
        if self.beats_noise is not None:
            winners = [i for i in order if self.beats_noise[i]]
            rate = self._error_rate_short()
            if not winners:
                return (
                    f"No column of {n_columns} beats noise ({rate}): the ranking below is what the network "
                    f"learned, but no column stands out from shuffled copies; the largest share is "
                    f"{_named(self.feature_names[order[0]], shares[order[0]])}."
                )
            return (
                f"{len(winners)} of {n_columns} columns beat noise ({rate}): "
                f"{_name_list([_named(self.feature_names[i], shares[i]) for i in winners])}."
            )
        held = min(int(np.searchsorted(np.cumsum(shares[order]), ANSWER_SHARE - 1e-12)) + 1, n_columns)
        untested = "(no noise baseline was measured: whether they beat noise is not tested)"
        if held == 1:
            name, share = _escape(self.feature_names[order[0]]), shares[order[0]]
            return f"<strong>{name}</strong> holds {share:.1%} of the importance, of {n_columns} columns {untested}."
        together = float(shares[order[:held]].sum())
        if held > ANSWER_NAMES:
            largest = _name_list([_named(self.feature_names[i], shares[i]) for i in order[:3]])
            return (
                f"No few columns stand out: it takes {held} of {n_columns} columns to hold {ANSWER_SHARE:.0%} of "
                f"the importance; the largest are {largest} {untested}."
            )
        named = _name_list([_named(self.feature_names[i], shares[i]) for i in order[:held]])
        return f"{named} hold {together:.1%} of the importance together, of {n_columns} columns {untested}."

    def _error_rate_short(self) -> str:
        if self.noise_alpha is None:
            return "p-values against shuffled copies"
        if self.noise_control == "fdr":
            return f"false-discovery rate {self.noise_alpha:g}"
        if self.noise_control == "per_feature":
            return f"error rate {self.noise_alpha:g} per column"
        return f"p ≤ {self.noise_alpha:g}"

    def _error_rate_long(self) -> str:
        if self.noise_test == "hits":
            test = (
                "Networks were trained on the columns together with shuffled &ldquo;shadow&rdquo; copies of "
                "them (linked to nothing). A column's p-value is the chance that a column no better than the "
                "best shadow, winning each network with a coin flip, would beat every shadow in as many of the "
                "networks as this one did (Boruta's test)."
            )
        else:
            test = (
                "A column's p-value is the share of shuffled &ldquo;shadow&rdquo; copies of the columns (linked "
                "to nothing) that came out at least as important, in networks trained on the columns and their "
                "shadows together."
            )
        if self.noise_alpha is None:
            return test
        alpha = self.noise_alpha
        if self.noise_control == "fdr":
            rate = (
                f"The decision controls the false-discovery rate at {alpha:g}: of the columns said to beat "
                f"noise, a share of at most {alpha:.0%} is expected to be noise that passed by chance."
            )
        elif self.noise_control == "per_feature":
            expected = alpha * len(self.importances)
            rate = (
                f"The decision holds each column to an error rate of {alpha:g}: a column unrelated to the "
                f"target is said to beat noise with a chance of at most {alpha:.0%}. There is no correction "
                f"for testing {len(self.importances)} columns: were none of them related to the target, "
                f"{expected:.2g} would still pass on average."
            )
        else:
            rate = f"A column beats noise when its p-value is at most {alpha:g}."
        if self.pvalues is None or self.beats_noise is None or not self.beats_noise.any():
            return f"{test} {rate}"
        # The rule in the table's own numbers: under FDR the cutoff depends on all the p-values.
        cutoff = float(self.pvalues[self.beats_noise].max())
        return f"{test} {rate} Here: the columns with a noise p of at most {_p_value(cutoff)}."

    def _chart(self, shown: np.ndarray) -> str:
        figure = _figure(figsize=(7.0, max(2.0, 0.3 * len(shown) + 1.0)))
        ax = figure.subplots()
        labels = [_chart_label(name) for name in self.feature_names]
        with _drawing():
            display = ImportanceDisplay(
                self.importances, labels, importances_std=self.importances_std, top=self.top
            ).plot(ax=ax)
            if self.beats_noise is not None:
                from matplotlib.patches import Patch

                # ImportanceDisplay draws the bars in ranking order, as `shown` lists them.
                for bar, index in zip(display.bars_, shown):
                    bar.set_facecolor(_BEATS if self.beats_noise[index] else _NOISE)
                ax.legend(
                    handles=[Patch(color=_BEATS, label="beats noise"), Patch(color=_NOISE, label="does not")],
                    loc="lower right",
                    fontsize="small",
                    frameon=False,
                )
            image = _svg_image(figure)
        rest = len(self.importances) - len(shown)
        what = f"The {len(shown)} most important of {len(self.importances)} columns" if rest else "Every column"
        spread = ", with their standard deviation over the fits" if self.importances_std is not None else ""
        alt = f"Bar chart: {what.lower()}'s VIANN importance{spread}."
        caption = f"{what}{spread}." + (
            " Names longer than 40 characters are cut; the table has them whole."
            if any(len(self.feature_names[i]) > CHART_LABEL_CHARS for i in shown)
            else ""
        )
        return _image_figure(image, alt, caption)

    def _table(self, order: np.ndarray, shares: np.ndarray) -> str:
        shown, rest = order[: self.top], order[self.top :]
        columns = self._table_columns()
        header = "<tr>" + "".join(f"<th>{cell}</th>" for cell in columns) + "</tr>"
        body = [self._table_row(rank, i, shares) for rank, i in enumerate(shown, start=1)]
        if len(rest):
            summary = (
                f"… {len(rest)} more columns, {shares[rest].sum():.1%} of the importance together "
                f"(the largest {shares[rest[0]]:.2%})"
            )
            if self.beats_noise is not None:
                summary += f"; {int(self.beats_noise[rest].sum())} of them beat noise"
            body.append(f'<tr><td class="rest" colspan="{len(columns)}">{_escape(summary)}</td></tr>')
        table = (
            f'<table class="ranking">\n<thead>{header}</thead>\n<tbody>\n' + "\n".join(body) + "\n</tbody>\n</table>"
        )
        decision = f'<p class="note">{self._error_rate_long()}</p>' if self.pvalues is not None else ""
        if self.beats_noise is None:
            decision = (
                '<p class="note">No noise baseline: every column gets a share, useful or not. '
                "<code>viann rank</code> measures one by default; from Python, report a "
                "<code>VIANNSelector</code>.</p>"
            )
        everything = ""
        if len(rest):
            rows = "\n".join(self._table_row(rank, i, shares) for rank, i in enumerate(order, start=1))
            everything = (
                f'<details class="all-columns"><summary>All {len(order)} columns</summary>\n'
                f'<table class="ranking">\n<thead>{header}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n</details>'
            )
        return "\n".join(part for part in (table, decision, everything) if part)

    def _table_columns(self) -> list[str]:
        cells = ["rank", "column", "importance", "share"]
        if self.importances_std is not None:
            cells.append("± std")
        if self.pvalues is not None:
            cells.append("noise p")
        if self.beats_noise is not None:
            cells.append("beats noise")
        return cells

    def _table_row(self, rank: int, index: int, shares: np.ndarray) -> str:
        cells = [
            f'<td class="num">{rank}</td>',
            f'<td class="name">{_escape(self.feature_names[index])}</td>',
            f'<td class="num">{self.importances[index]:.4f}</td>',
            f'<td class="num">{shares[index]:.1%}</td>',
        ]
        if self.importances_std is not None:
            cells.append(f'<td class="num">± {self.importances_std[index]:.4f}</td>')
        if self.pvalues is not None:
            cells.append(f'<td class="num">{_p_value(self.pvalues[index])}</td>')
        if self.beats_noise is not None:
            beats = bool(self.beats_noise[index])
            cells.append(f'<td class="{"yes" if beats else "no"}">{"yes" if beats else "no"}</td>')
        return "<tr>" + "".join(cells) + "</tr>"

    def _score(self) -> str:
        if self.scores is None:
            return (
                '<p class="missing">Not measured: importances describe what the network learned, and a network '
                "that learned nothing still has them. <code>viann rank</code> scores every fold against a "
                "baseline; from Python, pass <code>scores=</code> and <code>baseline_scores=</code>.</p>"
            )
        metric = _escape(self.metric)
        summary = (
            f"The network's cross-validated {metric} is {self.scores.mean():.3f} ± {self.scores.std():.3f} "
            f"over {len(self.scores)} folds"
        )
        header = ["fold", f"network {metric}"]
        baseline = self.baseline_scores
        if baseline is not None:
            what = f" ({_escape(self.baseline_name)})" if self.baseline_name else ""
            better = int((self.scores > baseline).sum())
            summary += (
                f", against {baseline.mean():.3f} for the baseline{what}; better on {better} of {len(baseline)} folds"
            )
            header += ["baseline", "gain"]
        # One column of numbers per measure, fold by fold, and their means under them.
        measures = [self.scores] if baseline is None else [self.scores, baseline, self.scores - baseline]
        rows = [_score_row(str(fold + 1), [column[fold] for column in measures]) for fold in range(len(self.scores))]
        rows.append(_score_row("mean", [column.mean() for column in measures], row_class="mean"))
        return (
            f"<p>{summary}. Each fold's network is scored on the rows it did not train on.</p>\n"
            '<table class="scores">\n<thead><tr>'
            + "".join(f"<th>{cell}</th>" for cell in header)
            + "</tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody>\n</table>"
        )

    def _history(self, order: np.ndarray) -> str:
        runs = _runs(self.history)
        if not runs:
            return (
                '<p class="missing">Not recorded: a <code>VIANNSelector</code> discards the network it trained '
                "with shadow columns; from Python, <code>importance_uncertainty(..., return_history=True)</code> "
                "keeps each fold's history.</p>"
            )
        for run in runs:
            if run.shape[1] != len(self.importances):
                raise ValueError(
                    f"ImportanceReport: the history has {run.shape[1]} columns for {len(self.importances)} columns."
                )
        history = _mean_history(runs)
        named = order[: min(HISTORY_LINES, self.top, len(order))]
        others = order[len(named) :]
        figure = _figure(figsize=(7.8, 3.6))
        ax = figure.subplots()
        epochs = np.arange(1, len(history) + 1)
        with _drawing():
            for index in named:
                ax.plot(epochs, history[:, index], linewidth=1.8, label=_chart_label(self.feature_names[index]))
            if len(others):
                # Their mean, not their sum: 190 columns summed would dwarf the lines that matter.
                ax.plot(
                    epochs,
                    history[:, others].mean(axis=1),
                    color="0.55",
                    linestyle="--",
                    linewidth=1.5,
                    label=f"the other {len(others)}, mean per column" if len(others) > 1 else "the other column",
                )
            ax.set(xlabel="epoch", ylabel="share of importance so far", ylim=(0, None))
            if len(epochs) == 1:
                ax.set_xticks([1])
            # Outside the axes, in ranking order: it never hides a line.
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
            image = _svg_image(figure)
        lengths = sorted({len(run) for run in runs})
        if len(runs) > 1:
            epochs_text = f"{lengths[0]} to {lengths[-1]} epochs" if len(lengths) > 1 else f"{lengths[0]} epochs"
            averaged = (
                f"The mean over {len(runs)} fits ({epochs_text}, each up to the epoch its network was kept at; a fit "
                "that stopped earlier counts with its last importances)."
            )
        else:
            averaged = f"One fit, {lengths[0]} epoch{'s' if lengths[0] > 1 else ''}."
        caption = f"{averaged} {_settled(history, order, self.feature_names)}"
        alt = "Line chart: each top column's share of the importance after every epoch, and the others' mean."
        return _image_figure(image, alt, caption)

    def _columns(self) -> str:
        parts = []
        if self.left_out:
            rows = "\n".join(
                f'<tr><td class="name">{_escape(column)}</td><td>{_escape(reason)}</td></tr>'
                for column, reason in self.left_out.items()
            )
            parts.append(
                f"<p>{len(self.left_out)} column{'s' if len(self.left_out) > 1 else ''} left out, "
                "not ranked:</p>\n"
                f'<table class="left-out">\n<thead><tr><th>column</th><th>why</th></tr></thead>\n<tbody>\n{rows}\n'
                "</tbody>\n</table>"
            )
        else:
            parts.append("<p>No column was left out.</p>")
        if self.transformed:
            rows = "\n".join(
                f'<tr><td class="name">{_escape(column)}</td><td>{_escape(how)}</td></tr>'
                for column, how in self.transformed.items()
            )
            parts.append(
                "<p>Ranked, as the sum of the features they became:</p>\n"
                f'<table class="transformed">\n<thead><tr><th>column</th><th>became</th></tr></thead>\n<tbody>\n'
                f"{rows}\n</tbody>\n</table>"
            )
        if self.notes:
            items = "\n".join(f"<li>{_escape(note)}</li>" for note in self.notes)
            parts.append(f'<ul class="notes">\n{items}\n</ul>')
        return "\n".join(parts)

    def _data(self) -> str:
        facts = {**self.dataset, "columns ranked": len(self.importances)}
        return _definitions(facts)

    def _rerun(self) -> str:
        parts = []
        if self.command:
            parts.append(f'<p>The command:</p>\n<pre class="command"><code>{_escape(self.command)}</code></pre>')
        if self.settings:
            parts.append(_definitions(self.settings, caption="Settings"))
        made = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        parts.append(_definitions(_versions(), caption=f"Versions (made {made})"))
        return "\n".join(parts)


# ------------------------------------------------------------------ helpers

_BEATS, _NOISE = "#3b75af", "#b8b8b8"


def _decision(pvalues: np.ndarray, alpha: float, control: str | None) -> np.ndarray:
    if control == "fdr":
        # scipy's Benjamini-Hochberg, as VIANNSelector decides (the selection layer is not imported here)
        from scipy.stats import false_discovery_control

        return np.asarray(false_discovery_control(pvalues, method="bh")) <= alpha
    return pvalues <= alpha


def _optional_array(values: Any, dtype: type) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=dtype)


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _p_value(p: float) -> str:
    # Three decimals, as viann rank prints them; a p-value that would round to 0 keeps its size.
    return f"{p:.3f}" if round(p, 3) > 0 else f"{p:.1e}"


def _named(name: str, share: float) -> str:
    return f"<strong>{_escape(name)}</strong> ({share:.1%})"


def _name_list(named: list[str]) -> str:
    shown = named[:ANSWER_NAMES]
    if len(named) > ANSWER_NAMES:
        return ", ".join(shown) + f" and {len(named) - ANSWER_NAMES} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _chart_label(name: str) -> str:
    # Control characters would make the SVG invalid XML (the whole chart then fails to show), and
    # matplotlib leaves a label that starts with "_" out of the legend: a zero-width space keeps it.
    name = _CONTROL_CHARACTERS.sub("", name)
    if name.startswith("_"):
        name = "\u200b" + name
    return name if len(name) <= CHART_LABEL_CHARS else name[: CHART_LABEL_CHARS - 1] + "…"


_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _transformations(sources: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The columns a pipeline turned into other features than themselves, and into which."""
    found = {}
    for column, features in sources.items():
        if list(features) != [column]:
            listed = ", ".join(features[:6]) + (f", … ({len(features)} in all)" if len(features) > 6 else "")
            found[column] = f"{len(features)} feature{'s' if len(features) > 1 else ''}: {listed}"
    return found


def _runs(history: Any) -> list[np.ndarray]:
    """The history as a list of runs, each (n_epochs, n_columns); runs may differ in length."""
    if history is None:
        return []
    try:
        stacked = np.asarray(history, dtype=float)
    except ValueError:  # runs of different lengths
        stacked = None
    if stacked is not None and stacked.ndim == 2:  # one run, array or nested lists
        history = [stacked]
    elif stacked is not None and stacked.ndim == 3:
        history = list(stacked)
    runs = [np.atleast_2d(np.asarray(run, dtype=float)) for run in history]
    return [run for run in runs if run.size]


def _mean_history(runs: list[np.ndarray]) -> np.ndarray:
    """The mean over runs, epoch by epoch; a run that ended earlier keeps its last row."""
    longest = max(len(run) for run in runs)
    padded = [np.vstack([run, np.repeat(run[-1:], longest - len(run), axis=0)]) for run in runs]
    return np.mean(padded, axis=0)


def _settled(history: np.ndarray, order: np.ndarray, names: list[str]) -> str:
    """Since which epoch the top columns (at most 3) have stood in their final order."""
    leaders = list(order[: min(3, len(order))])
    if len(history) < 2 or len(leaders) < 2:
        return ""
    listed = ", ".join(f"<strong>{_escape(names[i])}</strong>" for i in leaders)
    settled = None
    for epoch in range(len(history) - 1, -1, -1):
        if list(np.argsort(-history[epoch], kind="stable")[: len(leaders)]) != leaders:
            break
        settled = epoch + 1
    if settled is None:  # the mean over fits ranks them otherwise than the history's last epoch
        return f"The top {len(leaders)} of the ranking ({listed}) stand in another order in the last epoch's mean."
    return f"The top {len(leaders)} ({listed}) have stood in this order since epoch {settled} of {len(history)}."


def _score_row(label: str, values: list[float], row_class: str = "") -> str:
    # score, baseline, then the gain, signed
    formats = ["{:.3f}", "{:.3f}", "{:+.3f}"]
    cells = "".join(f'<td class="num">{form.format(value)}</td>' for form, value in zip(formats, values))
    attribute = f' class="{row_class}"' if row_class else ""
    return f'<tr{attribute}><td class="num">{label}</td>{cells}</tr>'


def _definitions(facts: Mapping[str, Any], caption: str | None = None) -> str:
    rows = "\n".join(
        f"<tr><th>{_escape(key)}</th><td>{_escape(_setting(value))}</td></tr>" for key, value in facts.items()
    )
    # A caption, not a paragraph above: printing keeps it with its table.
    title = f"<caption>{_escape(caption)}</caption>\n" if caption else ""
    return f'<table class="facts">\n{title}<tbody>\n{rows}\n</tbody>\n</table>'


def _setting(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "(none)"
    return str(value)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def _figure(figsize: tuple[float, float]) -> Any:
    # A Figure without pyplot: nothing is registered with pyplot, so a notebook does not draw
    # the chart a second time under the cell, and nothing needs closing.
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "The report draws its charts with matplotlib: pip install 'viann-sklearn[plot]' "
            "(or pip install matplotlib)."
        ) from None
    return Figure(figsize=figsize)


@contextlib.contextmanager
def _drawing() -> Iterator[None]:
    """Text as text, not paths or math: smaller SVG, names searchable, ``$`` in a name is a dollar sign."""
    import matplotlib

    settings: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "viann-report", "text.parse_math": False}
    with matplotlib.rc_context(settings), warnings.catch_warnings():
        # Emoji and other glyphs the layout font lacks: the browser draws them with its own fonts.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        yield


def _svg_image(figure: Any) -> str:
    buffer = io.BytesIO()
    # No date in the metadata: the same ranking makes the same page.
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _image_figure(image: str, alt: str, caption: str) -> str:
    return (
        f'<figure>\n<img src="data:image/svg+xml;base64,{image}" alt="{_escape(alt)}">\n'
        f"<figcaption>{caption}</figcaption>\n</figure>"
    )


_CSS = """
.viann-report{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif,
"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji";color:#1f2328;max-width:60rem;margin:0 auto;padding:1.5rem}
.viann-report h1{font-size:1.6rem;margin:0 0 .6rem}
.viann-report h2{font-size:1.15rem;margin:1.8rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid #d8dee4}
.viann-report .answer{font-size:1.1rem;margin:.5rem 0;padding:.6rem .9rem;background:#eef4fa;
border-left:4px solid #3b75af}
.viann-report .caveat{background:#fbeeec;border-left-color:#b3261e}
.viann-report nav.contents{font-size:.85rem;margin:.6rem 0 0}
.viann-report a{color:#1f5f99}
.viann-report table{border-collapse:collapse;margin:.4rem 0;font-variant-numeric:tabular-nums}
.viann-report th,.viann-report td{padding:.2rem .7rem;border-bottom:1px solid #e6e9ed;text-align:left;
vertical-align:top}
.viann-report thead th{border-bottom:2px solid #c9d1d9;white-space:nowrap}
.viann-report td.num{text-align:right;white-space:nowrap}
.viann-report td.name{overflow-wrap:anywhere;min-width:9rem;max-width:30rem}
.viann-report td.yes{color:#1a7f37;font-weight:600}
.viann-report td.no{color:#6e7781}
.viann-report td.rest,.viann-report tr.mean td{font-style:italic;color:#57606a}
.viann-report table.facts th{font-weight:500;color:#57606a;white-space:nowrap}
.viann-report table.facts td{overflow-wrap:anywhere}
.viann-report caption{text-align:left;padding:.6rem 0 .2rem}
.viann-report figure{margin:.5rem 0}
.viann-report img{max-width:100%;height:auto}
.viann-report figcaption,.viann-report .note,.viann-report .missing{color:#57606a;font-size:.9rem}
.viann-report pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.6rem .8rem}
.viann-report details summary{cursor:pointer;color:#1f5f99;margin:.4rem 0}
@media print{
.viann-report{max-width:none;padding:0;font-size:10pt}
.viann-report nav.contents,.viann-report details{display:none}
.viann-report .answer{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.viann-report h2{break-after:avoid}
.viann-report figure,.viann-report tr,.viann-report pre{break-inside:avoid}
.viann-report table.facts,.viann-report table.scores,.viann-report table.left-out{break-inside:avoid}
.viann-report thead{display:table-header-group}
.viann-report a{color:inherit;text-decoration:none}
}
"""

"""The HTML report of a ranking: every section there, every image inside the page, every name escaped.

The page is parsed with the standard library's HTMLParser, as a browser would read its
structure; no browser is needed (docs/report.md shows the pages rendered by Chromium).
"""

import base64
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

pytest.importorskip("matplotlib")

from viann_sklearn import VIANNClassifier, VIANNSelector, importance_uncertainty  # noqa: E402
from viann_sklearn.cli import main  # noqa: E402
from viann_sklearn.inspection.report_page import SECTIONS  # noqa: E402
from viann_sklearn.plot import ImportanceReport  # noqa: E402

pytestmark = pytest.mark.usefixtures("quiet_convergence")

FAST = dict(hidden_layer_sizes=(8,), learning_rate_init=0.1, max_iter=20, random_state=0)
# Names a page must show as they are, not as markup: tags, entities, both quotes, emoji, a dollar pair
# (matplotlib's math markup) and one name longer than a chart label.
AWKWARD_NAMES = [
    "<script>alert('x')</script>",
    "R&D spend",
    'the "best" one',
    "it's 😀",
    "price ($) $x$",
    "a name longer than any chart label should be, so that the chart cuts it but the table does not",
]


class _Page(HTMLParser):
    """What the tests look at: sections, images, links, scripts, and the text of each table cell by class."""

    def __init__(self, page):
        super().__init__()
        self.sections, self.images, self.links, self.tags = [], [], [], []
        self.cells = {}  # class of a <td> -> texts, in page order
        self.text = []
        self._cell_class = None
        self.feed(page)
        self.text = "".join(self.text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs)
        for name in ("src", "href"):
            if name in attrs and tag != "img":
                self.links.append(attrs[name])
        if tag == "td":
            self._cell_class = attrs.get("class", "")
            self.cells.setdefault(self._cell_class, []).append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell_class = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell_class is not None:
            self.cells[self._cell_class][-1] += data


def _svgs(page):
    """Every image of the page, decoded and parsed: proof that it is inside the page and well-formed."""
    found = []
    for image in page.images:
        prefix = "data:image/svg+xml;base64,"
        assert image["src"].startswith(prefix), image["src"][:60]
        assert image.get("alt"), "every image says what it shows"
        found.append(ElementTree.fromstring(base64.b64decode(image["src"][len(prefix) :])))
    return found


def _svg_texts(svg):
    return ["".join(element.itertext()) for element in svg.iter() if element.tag.endswith("}text")]


@pytest.fixture
def full_report():
    """A report with every part filled in, from numbers alone (no training)."""
    rng = np.random.default_rng(0)
    importances = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    history = [np.abs(rng.normal(importances, 0.02, size=(n_epochs, 6))) for n_epochs in (12, 9)]
    return ImportanceReport(
        importances,
        AWKWARD_NAMES,
        importances_std=importances / 10,
        pvalues=[0.01, 0.02, 0.03, 0.3, 0.6, 0.9],
        beats_noise=[True, True, False, False, False, False],
        noise_alpha=0.05,
        noise_control="fdr",
        scores=[0.91, 0.88, 0.9],
        baseline_scores=[0.52, 0.5, 0.51],
        metric="accuracy",
        baseline_name="always the most frequent class",
        history=[run / run.sum(axis=1, keepdims=True) for run in history],
        left_out={"<id>": "identifier: unique, named so; --keep '<id>' ranks it", "notes & co": "--drop"},
        transformed={"R&D spend": "numbers written as text (',' for thousands): parsed"},
        notes=["column 'it's 😀': one-hot encoded (--as-categories)"],
        caveats=["only 30 rows: the ranking can change with a few rows more or less"],
        dataset={"file": "<data>.csv", "rows": 30, "target": "y & z", "task": "classification"},
        settings={"--cv": 3, "--drop": ["notes & co"], "--hidden-layer-sizes": (8,)},
        command="viann rank '<data>.csv' --target 'y & z' --drop 'notes & co'",
        title="VIANN ranking: <data>.csv",
    )


def test_every_section_is_there_in_reading_order(full_report):
    page = _Page(full_report.to_html())
    assert page.sections == [f"viann-{key}" for key in SECTIONS]
    assert page.text.index("2 of 6 columns beat noise") < page.text.index("Ranking")  # the answer leads
    assert "only 30 rows" in page.text
    for expected in (
        "false-discovery rate at 0.05",  # the decision's error rate, in words
        "0.897 ± 0.012 over 3 folds, against 0.510 for the baseline (always the most frequent class)",
        "better on 3 of 3 folds",
        "The mean over 2 fits (9 to 12 epochs",
        "2 columns left out",
        "viann rank '<data>.csv' --target 'y & z' --drop 'notes & co'",
        "scikit-learn",  # versions
    ):
        assert expected in page.text, expected
    assert page.cells["num"][:2] == ["1", "0.4000"]  # ranks and importances as in the table of viann rank
    assert page.cells["yes"] == ["yes", "yes"] and len(page.cells["no"]) == 4


def test_every_image_is_inside_the_page_and_nothing_is_fetched(full_report):
    page = _Page(full_report.to_html())
    assert len(_svgs(page)) == 2  # the ranking and the history
    assert all(link.startswith("#viann-") for link in page.links)  # only the table of contents
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)


def test_names_are_escaped_and_shown_as_they_are(full_report):
    html_text = full_report.to_html()
    page = _Page(html_text)
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert page.cells["name"][: len(AWKWARD_NAMES)] == AWKWARD_NAMES  # the ranking table, in order
    assert "<id>" in page.cells["name"] and "notes & co" in page.cells["name"]
    assert "VIANN ranking: <data>.csv" in page.text
    chart, history = (_svg_texts(svg) for svg in _svgs(page))
    # In the charts too, as text (not math: "$x$" keeps its dollars), the long name cut with an ellipsis
    for name in AWKWARD_NAMES[:5]:
        assert name in chart and name in history
    assert "a name longer than any chart label shoul…"  # 40 characters in chart


def test_a_200_column_table_shows_the_top_and_sums_up_the_rest():
    rng = np.random.default_rng(1)
    importances = rng.dirichlet(np.ones(200))
    names = [f"column {i}" for i in range(200)]
    beats_noise = importances > np.quantile(importances, 0.9)
    report = ImportanceReport(importances, names, beats_noise=beats_noise, top=15)
    page = _Page(report.to_html())
    ranked = np.argsort(-importances, kind="stable")
    first_table = page.cells["name"][:15]
    assert first_table == [names[i] for i in ranked[:15]]
    rest = page.cells["rest"]
    share = importances[ranked[15:]].sum() / importances.sum()
    assert rest == [
        f"… 185 more columns, {share:.1%} of the importance together (the largest "
        f"{importances[ranked[15]] / importances.sum():.2%}); {beats_noise[ranked[15:]].sum()} of them beat noise"
    ]
    # Every column is still in the page, once, in the closed "all columns" list after the summary
    assert page.cells["name"][15:] == [names[i] for i in ranked]
    assert "All 200 columns" in page.text
    labels = set(_svg_texts(_svgs(page)[0]))
    assert {names[i] for i in ranked[:15]} <= labels and not {names[i] for i in ranked[15:]} & labels


def test_repr_html_is_the_page_without_its_document(full_report):
    fragment = full_report._repr_html_()
    assert fragment.startswith('<div class="viann-report">') and fragment.endswith("</div>")
    assert "<html" not in fragment and "<body" not in fragment
    # Its style is scoped to the report, so that a notebook keeps its own look
    style = fragment[fragment.index("<style>") + 7 : fragment.index("</style>")]
    rules = [rule.split("{")[0] for rule in style.replace("@media print{", "").split("}") if "{" in rule]
    assert all(selector.strip().startswith(".viann-report") for rule in rules for selector in rule.split(","))
    assert fragment in full_report.to_html()


def test_the_page_prints_cleanly(full_report):
    page = full_report.to_html()
    print_rules = page[page.index("@media print{") :]
    assert "break-inside:avoid" in print_rules  # a chart or a table row is not cut between pages
    assert "thead{display:table-header-group}" in print_rules  # long tables repeat their header
    assert "details{display:none}" in print_rules  # the closed list of every column stays out of print


def test_save_writes_the_page_in_utf8(full_report, tmp_path):
    path = full_report.save(tmp_path / "ranking.html")
    assert path.read_text(encoding="utf-8") == full_report.html_
    assert "😀" in path.read_text(encoding="utf-8")


def test_without_a_noise_baseline_the_answer_names_the_columns_that_hold_most():
    page = _Page(ImportanceReport([0.6, 0.25, 0.1, 0.05], ["a", "b", "c", "d"]).to_html())
    assert "a (60.0%) and b (25.0%) hold 85.0% of the importance together, of 4 columns" in page.text
    for missing in ("Not measured", "Not recorded", "No column was left out"):
        assert missing in page.text  # an empty section says what would fill it


def test_the_decision_and_its_error_rate_follow_the_control():
    # Benjamini-Hochberg at 0.05 over 3 p-values keeps 0.01 (<= 0.05 / 3) but not 0.04 (> 0.05 * 2 / 3)
    arguments = dict(importances=[0.5, 0.3, 0.2], feature_names=["a", "b", "c"], pvalues=[0.01, 0.04, 0.5])
    fdr = ImportanceReport(**arguments, noise_alpha=0.05, noise_control="fdr")
    per_feature = ImportanceReport(**arguments, noise_alpha=0.05, noise_control="per_feature")
    assert list(fdr.beats_noise) == [True, False, False] and list(per_feature.beats_noise) == [True, True, False]
    fdr_text, per_feature_text = (_Page(report.to_html()).text for report in (fdr, per_feature))
    assert "1 of 3 columns beat noise (false-discovery rate 0.05)" in fdr_text
    assert "the columns with a noise p of at most 0.010" in fdr_text
    assert "2 of 3 columns beat noise (error rate 0.05 per column)" in per_feature_text
    assert "were none of them related to the target, 0.15 would still pass on average" in per_feature_text


def test_the_page_explains_the_noise_p_of_the_test_that_made_it():
    arguments = dict(importances=[0.7, 0.3], feature_names=["a", "b"], pvalues=[0.001, 0.6], noise_alpha=0.05)
    hits, rank = (_Page(ImportanceReport(**arguments, noise_test=test).to_html()).text for test in ("hits", "rank"))
    assert "in as many of the networks as this one did (Boruta's test)" in hits
    assert "that came out at least as important" in rank and "Boruta" not in rank
    with pytest.raises(InvalidParameterError, match="noise_test"):
        ImportanceReport(**arguments, noise_test="boruta")


def test_from_a_pipeline_per_original_column_with_its_history():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=200), "color": rng.choice(["red", "blue", "green"], 200)})
    y = (X["color"] == "red").astype(int)
    encode = make_column_transformer((StandardScaler(), ["size"]), (OneHotEncoder(), ["color"]))
    model = make_pipeline(encode, VIANNClassifier(**FAST)).fit(X, y)
    report = ImportanceReport.from_estimator(model, title="colours")
    assert report.feature_names == ["size", "color"] and report.title == "colours"
    assert report.history.shape == (len(model[-1].variance_importance_.importances_history_), 2)
    np.testing.assert_allclose(report.history[-1], report.importances)
    assert report.transformed == {"color": "3 features: color_blue, color_green, color_red"}
    page = _Page(report.to_html())
    assert "One fit" in page.text and "color_blue" in page.text
    assert page.sections == [f"viann-{key}" for key in SECTIONS]


def test_from_a_selector_the_noise_decision_per_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=200), "color": rng.choice(["red", "blue"], 200)})
    y = (X["signal"] > 0).astype(int)
    encode = make_column_transformer((StandardScaler(), ["signal"]), (OneHotEncoder(), ["color"]))
    selector = VIANNSelector(VIANNClassifier(**dict(FAST, max_iter=60)), random_state=0)
    model = make_pipeline(encode, selector).fit(X, y)
    report = ImportanceReport.from_estimator(model)
    assert report.feature_names == ["signal", "color"]
    # the one-hot column's p-value is the smaller of its two features'
    assert report.pvalues[1] == model[-1].pvalues_[1:].min()
    assert list(report.beats_noise) == [model[-1].get_support()[0], model[-1].get_support()[1:].any()]
    assert (report.noise_alpha, report.noise_control) == (0.05, "fdr") and report.history is None
    assert "Not recorded" in _Page(report.to_html()).text


def test_from_importance_uncertainty_with_histories():
    X, y = np.random.default_rng(0).normal(size=(120, 3)), np.arange(120) % 2
    result = importance_uncertainty(VIANNClassifier(**FAST), X, y, cv=3, return_history=True, random_state=0)
    report = ImportanceReport.from_importances(result, metric="accuracy")
    assert report.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_array_equal(report.scores, result.scores)
    assert len(report.history) == 3
    assert "over 3 folds" in _Page(report.to_html()).text


def test_inconsistent_inputs_are_refused_by_name():
    with pytest.raises(ValueError, match="2 feature_names for 3 importances"):
        ImportanceReport([0.5, 0.3, 0.2], ["a", "b"])
    with pytest.raises(ValueError, match="pvalues has 2 values for 3 columns"):
        ImportanceReport([0.5, 0.3, 0.2], ["a", "b", "c"], pvalues=[0.1, 0.2])
    with pytest.raises(ValueError, match="baseline_scores needs scores"):
        ImportanceReport([1.0], ["a"], baseline_scores=[0.5])
    with pytest.raises(ValueError, match="'noise_control' parameter of ImportanceReport"):
        ImportanceReport([1.0], ["a"], noise_control="bonferroni")
    with pytest.raises(ValueError, match="the history has 2 columns for 3 columns"):
        ImportanceReport([0.5, 0.3, 0.2], ["a", "b", "c"], history=np.ones((4, 2))).to_html()
    # A NaN importance would make every share 0 %, a NaN p-value no decision: refused, by name.
    with pytest.raises(ValueError, match="importances must be finite"):
        ImportanceReport([0.5, np.nan, 0.2], ["a", "b", "c"])
    with pytest.raises(ValueError, match="every importance is 0"):
        ImportanceReport([0.0, 0.0], ["a", "b"])
    with pytest.raises(ValueError, match="pvalues must be numbers between 0 and 1"):
        ImportanceReport([0.5, 0.5], ["a", "b"], pvalues=[0.01, np.nan], noise_alpha=0.05, noise_control="fdr")


def test_names_with_a_leading_underscore_or_a_control_character_stay_on_the_charts():
    # matplotlib leaves "_id" out of a legend, and writes "\x01" into the SVG, which is then not XML.
    names = ["_id", "bell\x01", "size"]
    history = np.array([[0.5, 0.3, 0.2], [0.6, 0.25, 0.15]])  # one run, as nested lists or an array
    report = ImportanceReport([0.6, 0.25, 0.15], names, history=history.tolist())
    page = _Page(report.to_html())
    chart, history_chart = (_svg_texts(svg) for svg in _svgs(page))  # both parse as XML
    assert any(text.endswith("_id") for text in history_chart)  # in the legend
    assert any(text == "bell" for text in chart)
    assert "The mean over" not in page.text  # one run: no mean over fits


# ------------------------------------------------------------- viann rank --report

CLI_FAST = ["--hidden-layer-sizes", "8", "--max-iter", "15", "--cv", "3", "--quiet"]


@pytest.fixture
def awkward_table(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": np.arange(120),  # an identifier: left out, with its reason
            "<b>size</b>": rng.normal(size=120),
            "colour & 😀": rng.choice(["red", "blue", "green"], 120),
            'say "noise"': rng.normal(size=120),
        }
    )
    frame["label"] = np.where((frame["colour & 😀"] == "red") | (frame["<b>size</b>"] > 1), "yes", "no")
    path = tmp_path / "awkward.csv"
    frame.to_csv(path, index=False)
    return path


def test_viann_rank_report_writes_the_whole_page(awkward_table, tmp_path, capsys):
    report = tmp_path / "ranking.html"
    argv = ["rank", str(awkward_table), "--target", "label", "--report", str(report), *CLI_FAST]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("rank  column")  # stdout still holds the ranking alone
    html_text = report.read_text(encoding="utf-8")
    page = _Page(html_text)
    assert page.sections == [f"viann-{key}" for key in SECTIONS]
    assert len(_svgs(page)) == 2 and all(link.startswith("#viann-") for link in page.links)
    assert "<b>size</b>" not in html_text  # escaped, so shown rather than made bold
    assert sorted(page.cells["name"][:3]) == sorted(["<b>size</b>", "colour & 😀", 'say "noise"'])
    for expected in (
        "false-discovery rate at 0.05",  # --noise-control's default, explained
        "over 3 folds, against",  # the score and its baseline, per fold
        "The mean over 3 fits",  # the history of the 3 folds' networks
        "identifier: unique whole numbers",  # the left-out column and why
        "categories: one-hot encoded",  # the transformed column and what it became
        "120 rows x 5 columns",
        "classification (accuracy)",
        f"viann rank {awkward_table} --target label --report {report}",
        "--noise-control",
    ):
        assert expected in page.text, expected
    assert "--noise-fits" not in page.text  # recorded by the run, not an option to rerun it with
    assert "id" in page.cells["name"]


def test_viann_rank_report_into_a_missing_folder_is_a_one_line_error(awkward_table, tmp_path, capsys):
    argv = ["rank", str(awkward_table), "--target", "label", "--report", str(tmp_path / "no" / "r.html"), *CLI_FAST]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"viann: error: --report {tmp_path / 'no' / 'r.html'}: no such folder: {tmp_path / 'no'}"
    ]

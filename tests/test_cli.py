"""The viann command line: through main(argv) and as a real process."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from viann_sklearn.cli import main

FAST = ["--hidden-layer-sizes", "8", "--max-iter", "15", "--cv", "3", "--quiet"]
# Enough epochs to learn a clear signal, so that the score beats the baseline.
LEARNS = ["--hidden-layer-sizes", "8", "--max-iter", "150", "--cv", "3", "--quiet"]


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=200),
            "color": rng.choice(["red", "blue", "green"], 200),
            "noise": rng.normal(size=200),
        }
    )
    frame["label"] = np.where((frame["color"] == "red") | (frame["size"] > 1), "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def _rank(path, *argv, fast=FAST):
    return main(["rank", str(path), "--target", "y", *argv, *fast])


def _ranked_columns(out):
    return [line.split()[1] for line in out.splitlines()[1:] if line[:4].strip().isdigit()]


def test_rank_prints_one_row_per_original_column_and_the_score(table, capsys):
    assert main(["rank", str(table), "--target", "label", *LEARNS]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[0].split()[:5] == ["rank", "column", "importance", "share", "±"]
    assert sorted(_ranked_columns(captured.out)) == ["color", "noise", "size"]
    assert _ranked_columns(captured.out)[0] in {"color", "size"}
    assert lines[-2].startswith("Cross-validated accuracy: ") and "over 3 folds; baseline" in lines[-2]
    assert lines[-1].startswith("beats noise: ")
    assert "warning" not in captured.err


@pytest.mark.parametrize(
    "test, footer",
    [
        ("hits", "every shadow (Boruta's test), a column that could no longer beat noise left out of the later fits"),
        ("rank", "3 fits on all rows, their shadows pooled"),
    ],
)
def test_noise_test_names_how_the_noise_p_was_made(table, capsys, test, footer):
    assert main(["rank", str(table), "--target", "label", "--noise-test", test, *FAST]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].endswith(footer)
    pvalues = [line.split()[-2] for line in out.splitlines()[1:] if line[:4].strip().isdigit()]
    assert all(value == "<0.001" or 0 <= float(value) <= 1 for value in pvalues)


def test_progress_goes_to_stderr_unless_quiet(table, capsys):
    assert main(["rank", str(table), "--target", "label", "--json", *FAST[:-1]]) == 0
    captured = capsys.readouterr()
    # 3 folds and the noise baseline's 12 planned fits (the hits test may stop sooner)
    assert "Training 15 network(s) on 200 rows x 3 columns (classification)" in captured.err
    assert "- the noise baseline: up to 12 fit(s) on all rows" in captured.err
    result = json.loads(captured.out)  # stdout stays machine-readable
    assert {"columns", "score"} <= set(result)
    assert main(["rank", str(table), "--target", "label", *FAST]) == 0
    assert "Training" not in capsys.readouterr().err


def test_rank_json_with_repeats_gives_std_and_a_score(table, capsys):
    assert main(["rank", str(table), "--target", "label", "--json", "--repeats", "2", "--top", "2", *FAST]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["rank"] for row in result["columns"]] == [1, 2]
    keys = {"rank", "column", "importance", "share", "std", "noise_p", "beats_noise"}
    assert all(set(row) == keys for row in result["columns"])
    assert result["score"]["metric"] == "accuracy" and result["score"]["folds"] == 3
    assert 0 <= result["score"]["baseline"] <= 1


def test_rank_csv_and_a_plot(table, tmp_path, capsys):
    chart = tmp_path / "chart.png"
    assert main(["rank", str(table), "--target", "size", "--csv", "--plot", str(chart), *FAST]) == 0
    captured = capsys.readouterr()
    out = captured.out.strip().splitlines()
    assert out[0] == "rank,column,importance,share,std,noise_p,beats_noise"
    assert len(out) == 4  # color, noise, label
    assert "Cross-validated R²" in captured.err  # CSV holds the table only
    assert chart.stat().st_size > 1000


def test_bare_viann_prints_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: viann") and "rank" in out and "predict" in out


def test_every_rank_option_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["rank", "--help"])
    out = capsys.readouterr().out
    assert "after every batch" in out  # --importance-on
    options = [word for word in out.split() if word.startswith("--")]
    for option in ("--drop", "--keep", "--sep", "--encoding", "--save", "--quiet", "--cv"):
        assert option in options


# ------------------------------------------------------------- real tables


def test_text_dates_and_written_numbers_are_used_not_a_traceback(tmp_path, capsys):
    """A 40-value text column made sparse output before; dates and "3,750" were text with too many values."""
    rng = np.random.default_rng(0)
    n = 240
    signal = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "town": rng.choice([f"town {i}" for i in range(40)], n),
            "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "price": [f"{value:,.0f}" for value in rng.uniform(1000, 9000, n)],
            "signal": signal,
            "y": (signal > 0).astype(int),
        }
    )
    path = tmp_path / "real.csv"
    frame.to_csv(path, index=False)
    assert _rank(path, "--json", fast=FAST[:-1]) == 0
    captured = capsys.readouterr()
    assert sorted(row["column"] for row in json.loads(captured.out)["columns"]) == ["price", "signal", "town", "when"]
    assert "column 'when': dates, used as year, month, day, weekday" in captured.err
    assert "column 'price': numbers written as text (e.g. '" in captured.err
    assert "column 'town': 40 distinct values; the 19 most frequent are one-hot encoded" in captured.err


def test_empty_identifier_and_dropped_columns_are_left_out_and_said_so(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"id": np.arange(120), "empty": np.nan, "x": x, "other": rng.normal(size=120), "y": x > 0})
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    assert _rank(path, "--drop", "other", fast=FAST[:-1]) == 0
    captured = capsys.readouterr()
    assert _ranked_columns(captured.out) == ["x"]
    left_out = captured.out.strip().splitlines()[-1]
    assert left_out.startswith("left out: ")
    assert "id (identifier: unique whole numbers, increasing; --keep id ranks it)" in left_out
    assert "empty (empty: every value missing)" in left_out and "other (--drop)" in left_out
    assert _rank(path, "--keep", "id") == 0
    assert sorted(_ranked_columns(capsys.readouterr().out)) == ["id", "other", "x"]


@pytest.mark.parametrize("separator, argv", [(";", []), ("\t", []), ("|", ["--sep", "|"])])
def test_separators_are_sniffed_or_given(tmp_path, capsys, separator, argv):
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    path = tmp_path / "data.txt"
    pd.DataFrame({"x": x.round(3), "z": rng.normal(size=60), "y": x > 0}).to_csv(path, sep=separator, index=False)
    assert _rank(path, *argv) == 0
    assert sorted(_ranked_columns(capsys.readouterr().out)) == ["x", "z"]


def test_semicolon_files_read_decimal_commas(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    lines = ["x;y", *(f"{value:.2f}".replace(".", ",") + f";{int(value > 0)}" for value in x)]
    path = tmp_path / "european.csv"
    path.write_text("\n".join(lines))
    assert _rank(path, fast=FAST[:-1]) == 0
    captured = capsys.readouterr()
    assert "european.csv: numbers read with ',' as the decimal mark" in captured.err
    assert _ranked_columns(captured.out) == ["x"]


def test_encoding(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    path = tmp_path / "latin.csv"
    pd.DataFrame({"café": x, "città": rng.choice(["Köln", "Zürich"], 60), "y": x > 0}).to_csv(
        path, index=False, encoding="latin-1"
    )
    assert _rank(path) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not utf-8 text" in err and "--encoding latin-1" in err
    assert _rank(path, "--encoding", "latin-1") == 0
    assert sorted(_ranked_columns(capsys.readouterr().out)) == ["café", "città"]


# ------------------------------------------------------------------- trust


def test_a_target_the_columns_cannot_predict_gets_a_warning(tmp_path, capsys):
    rng = np.random.default_rng(1)
    path = tmp_path / "noise.csv"
    pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150), "y": rng.normal(size=150)}).to_csv(
        path, index=False
    )
    assert _rank(path) == 0
    captured = capsys.readouterr()
    assert "baseline (always the mean target)" in captured.out
    assert "viann: warning: the network" in captured.err and "better than the baseline" in captured.err


def test_few_rows_get_a_warning_and_too_few_an_error(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    path = tmp_path / "small.csv"
    pd.DataFrame({"x": x, "y": x > 0}).to_csv(path, index=False)
    assert _rank(path) == 0
    assert "only 30 rows" in capsys.readouterr().err
    pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}).to_csv(path, index=False)
    assert _rank(path) == 2
    assert "too few" in capsys.readouterr().err


# ---------------------------------------------------------- user mistakes


@pytest.mark.parametrize(
    "setup, argv, message",
    [
        (None, ["rank", "missing.csv", "--target", "y"], "no such file"),
        ("empty", ["rank", "{path}", "--target", "y"], "empty"),
        ("table", ["rank", "{path}", "--target", "nope"], "no column 'nope'"),
        ("one_class", ["rank", "{path}", "--target", "y"], "only one class"),
        ("table", ["rank", "{path}", "--target", "y", "--as-numbers", "nope"], "--as-numbers: no column 'nope'"),
        ("table", ["rank", "{path}", "--target", "y", "--as-categories", "y"], "--as-categories y: that is the target"),
        (
            "table",
            ["rank", "{path}", "--target", "y", "--as-numbers", "x", "--as-categories", "x"],
            "both name 'x'",
        ),
        ("table", ["rank", "{path}", "--target", "y", "--top", "0"], "--top"),
        ("table", ["rank", "{path}", "--target", "y", "--hidden-layer-sizes", "8,x"], "--hidden-layer-sizes"),
        ("text_target", ["rank", "{path}", "--target", "y", "--task", "regression"], "not numeric"),
        ("table", ["rank", "{path}", "--target", "y", "--drop", "nope"], "--drop: no column 'nope'"),
        ("table", ["rank", "{path}", "--target", "y", "--drop", "x"], "no column is left"),
        ("table", ["rank", "{path}", "--target", "y", "--encoding", "klingon"], "unknown encoding"),
        ("table", ["rank", "{path}", "--target", "y", "--plot", "{path}.nope"], "unknown image format 'nope'"),
        ("table", ["rank", "{path}", "--target", "y", "--plot", "/no/such/folder/chart.png"], "no such folder"),
        ("table", ["rank", "{path}", "--target", "y", "--save", "/no/such/folder/model.skops"], "no such folder"),
        ("table", ["predict", "{path}", "{path}"], "not a model saved by viann rank"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_code_2_before_any_training(tmp_path, capsys, setup, argv, message):
    path = tmp_path / "data.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    contents = {
        "empty": "",
        "table": pd.DataFrame({"x": x, "y": x > 0}).to_csv(index=False),
        "one_class": pd.DataFrame({"x": x, "y": 1}).to_csv(index=False),
        "text_target": pd.DataFrame({"x": x, "y": np.where(x > 0, "a", "b")}).to_csv(index=False),
    }
    if setup:
        path.write_text(contents[setup])
    code = main([part.format(path=path) for part in argv])  # not --quiet: "Training" would show
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("viann: error:") and message in err, err


def test_console_script_runs_as_a_process(table):
    completed = subprocess.run(
        [sys.executable, "-m", "viann_sklearn", "rank", str(table), "--target", "label", *FAST],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "color" in completed.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "viann_sklearn", "rank", "nowhere.csv", "--target", "y"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr and missing.stderr.count("\n") == 1


def test_rank_reads_parquet_when_pyarrow_is_there(table, tmp_path, capsys):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: Parquet is optional")
    parquet = tmp_path / "data.parquet"
    pd.read_csv(table).to_parquet(parquet)
    assert main(["rank", str(parquet), "--target", "label", "--csv", *FAST]) == 0
    assert sorted(line.split(",")[1] for line in capsys.readouterr().out.splitlines()[1:]) == ["color", "noise", "size"]


# ------------------------------------------------------------ save, predict


def test_save_then_predict_writes_one_prediction_per_row(table, tmp_path, capsys):
    pytest.importorskip("skops", reason="skops (cli extra) is not installed")
    model = tmp_path / "model.skops"
    assert main(["rank", str(table), "--target", "label", "--save", str(model), *LEARNS]) == 0
    capsys.readouterr()
    new = pd.read_csv(table).drop(columns=["label"]).iloc[:50]
    new_path = tmp_path / "new.csv"
    new.to_csv(new_path, index=False)
    output = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(new_path), "--proba", "-o", str(output)]) == 0
    predictions = pd.read_csv(output)
    assert list(predictions.columns) == ["label", "P(no)", "P(yes)"]
    assert len(predictions) == 50
    np.testing.assert_allclose(predictions[["P(no)", "P(yes)"]].sum(axis=1), 1.0, atol=1e-6)
    truth = pd.read_csv(table)["label"].iloc[:50]
    assert (predictions["label"] == truth).mean() > 0.8  # the saved model learned, and predicts so
    assert main(["predict", str(model), str(new_path.with_name("gone.csv"))]) == 2
    new.drop(columns=["size"]).to_csv(new_path, index=False)
    assert main(["predict", str(model), str(new_path)]) == 2
    assert "lacks the column(s) the model uses: size" in capsys.readouterr().err


def test_rank_says_which_columns_beat_noise(table, capsys):
    assert main(["rank", str(table), "--target", "label", *LEARNS, "--json"]) == 0
    columns = {row["column"]: row for row in json.loads(capsys.readouterr().out)["columns"]}
    assert columns["color"]["beats_noise"] and columns["size"]["beats_noise"]
    assert 0 < columns["noise"]["noise_p"] <= 1
    # --noise-alpha 0 skips the extra fit and the column.
    assert main(["rank", str(table), "--target", "label", *FAST, "--noise-alpha", "0"]) == 0
    assert "beats noise" not in capsys.readouterr().out


def test_rank_warns_when_the_noise_checks_networks_never_beat_a_constant_prediction(tmp_path, capsys):
    # One row in ten positive, unrelated to the columns: "no" under "beats noise" then says nothing.
    # (400 rows: at 300 or fewer the noise check's networks hold out no validation rows to judge by.)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    frame["y"] = (rng.random(400) < 0.1).astype(int)
    frame.to_csv(tmp_path / "rare.csv", index=False)
    assert _rank(tmp_path / "rare.csv") == 0
    captured = capsys.readouterr()
    assert "no network of the noise check (" in captured.err
    assert "scored better on its validation rows than a constant prediction" in captured.err
    assert all(line.split()[-1] == "no" for line in captured.out.splitlines()[1:4])


def test_bad_noise_alpha_is_a_one_line_error(table, capsys):
    assert main(["rank", str(table), "--target", "label", "--noise-alpha", "1.5"]) == 2
    assert "--noise-alpha must be" in capsys.readouterr().err


def test_joint_shadows_are_asked_for_by_name_and_said_in_the_footer(table, capsys, monkeypatch):
    from viann_sklearn.selection import selector

    asked = []
    real_shadow_columns = selector.shadow_columns

    def recording(X, sources, rng, joint=False):
        asked.append(joint)
        return real_shadow_columns(X, sources, rng, joint=joint)

    monkeypatch.setattr(selector, "shadow_columns", recording)
    assert main(["rank", str(table), "--target", "label", "--noise-joint-shadows", *FAST]) == 0
    assert asked and all(asked)
    assert "more important than copies of the columns with their rows shuffled together" in capsys.readouterr().out
    asked.clear()
    assert main(["rank", str(table), "--target", "label", *FAST]) == 0
    assert asked and not any(asked)
    assert "more important than shuffled copies of the columns" in capsys.readouterr().out


def test_dropping_rejected_columns_is_the_default_named_in_the_footer_and_keep_needs_the_hits_test(table, capsys):
    dropped = "(Boruta's test), a column that could no longer beat noise left out of the later fits"
    assert main(["rank", str(table), "--target", "label", *FAST]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith(dropped)
    assert main(["rank", str(table), "--target", "label", "--noise-keep-rejected", *FAST]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("(Boruta's test)")
    assert main(["rank", str(table), "--target", "label", "--noise-keep-rejected", "--noise-test", "rank"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "--noise-keep-rejected needs --noise-test hits" in error[0]


# ------------------------------------------------ the files people really have
# One small file per dialect problem met in real exports (R datasets written by pandas, R and
# European spreadsheets); each was an error or a silent loss before.


def _european(path, frame):
    """As R's write.csv2 and European spreadsheets write: ';' between fields, ',' as the decimal mark."""
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def test_a_numeric_target_with_decimal_commas_is_a_regression(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    path = _european(tmp_path / "wage.csv", pd.DataFrame({"x": x, "z": rng.normal(size=120), "y": 75 + 10 * x}))
    assert _rank(path, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["score"]["metric"] == "R²"  # was: "the rarest class of 'y' has 1 row(s)"
    assert sorted(row["column"] for row in result["columns"]) == ["x", "z"]


def test_decimal_commas_in_scientific_notation_are_numbers(tmp_path, capsys):
    rng = np.random.default_rng(0)
    tiny = np.abs(rng.normal(size=120)) * 1e-5  # pandas writes these as 7,343333333333333e-05
    path = _european(tmp_path / "sci.csv", pd.DataFrame({"tiny": tiny, "y": (tiny > 8e-6).astype(int)}))
    assert "e-05" in path.read_text() or "e-06" in path.read_text()
    assert _rank(path, "--json") == 0
    captured = capsys.readouterr()
    assert [row["column"] for row in json.loads(captured.out)["columns"]] == ["tiny"]  # was: left out as free text
    assert json.loads(captured.out)["left_out"] == []


def test_a_numeric_factor_with_a_text_level_is_used_as_categories_or_as_numbers(tmp_path, capsys):
    rng = np.random.default_rng(0)
    cylinders = rng.choice(["4", "6", "8"], 120).astype(object)
    cylinders[5] = "rotary"  # R's Cylinders factor in Cars93
    frame = pd.DataFrame({"Cylinders": cylinders, "x": rng.normal(size=120)})
    frame["y"] = (np.where(cylinders == "rotary", "4", cylinders).astype(float) > 5).astype(int)
    path = tmp_path / "cars.csv"
    frame.to_csv(path, index=False)
    assert _rank(path, fast=FAST[:-1]) == 0  # was: "mixes numbers and text; fix it"
    captured = capsys.readouterr()
    assert sorted(_ranked_columns(captured.out)) == ["Cylinders", "x"]
    assert "column 'Cylinders' mixes numbers and text (e.g. 'rotary'): its 4 values are used as categories" in (
        captured.err
    )
    assert "--as-numbers Cylinders" in captured.err
    assert _rank(path, "--as-numbers", "Cylinders", fast=FAST[:-1]) == 0
    assert "column 'Cylinders': read as numbers, any text in it as missing" in capsys.readouterr().err


def test_many_numbers_with_a_few_words_are_numbers_with_the_words_missing(tmp_path, capsys):
    rng = np.random.default_rng(0)
    values = rng.normal(size=120).round(4).astype(str).astype(object)
    values[[3, 40]] = "n.a."
    path = tmp_path / "words.csv"
    pd.DataFrame({"v": values, "y": rng.integers(0, 2, 120)}).to_csv(path, index=False)
    assert _rank(path) == 0
    captured = capsys.readouterr()
    assert _ranked_columns(captured.out) == ["v"]
    assert "column 'v' mixes numbers and text (e.g. 'n.a.'): read as numbers, its 2 text value(s) as missing" in (
        captured.err
    )


def test_whole_numbers_with_as_many_values_as_rows_are_a_quantity(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "counts.csv"
    pd.DataFrame({"x": np.arange(18.0), "z": rng.normal(size=18), "y": np.arange(18) * 3 + 1}).to_csv(path, index=False)
    assert _rank(path, "--json", "--cv", "2") == 0  # was: "the rarest class of 'y' has 1 row(s)"
    assert json.loads(capsys.readouterr().out)["score"]["metric"] == "R²"


def test_a_rare_class_of_numbers_suggests_regression(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.repeat([1, 2, 3, 4], 15)
    y[0] = 9  # one row of a class
    path = tmp_path / "rare.csv"
    pd.DataFrame({"x": rng.normal(size=60), "y": y}).to_csv(path, index=False)
    assert _rank(path) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "lower --cv or add rows; if 'y' is a quantity, not classes, --task regression" in err
    )


def test_rows_with_a_missing_target_are_left_out_and_counted(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    y = (x > 0).astype(float)
    y[[3, 7, 11, 50]] = np.nan  # a class label column with gaps is read as floats
    path = tmp_path / "gaps.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    assert _rank(path, "--json") == 0  # was: "the target 'y' has 4 missing values"
    captured = capsys.readouterr()
    assert "viann: warning: 4 row(s) with a missing 'y' left out; 116 remain" in captured.err
    assert json.loads(captured.out)["score"]["metric"] == "accuracy"
    path.write_text("x,y\n" + "".join(f"{value},{'' if i > 4 else int(value > 0)}\n" for i, value in enumerate(x)))
    assert _rank(path) == 2  # 5 rows left: too few for the folds, in one line
    assert "rows are too few" in capsys.readouterr().err


def test_identifier_names_and_codes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"malic_acid": x, "psu": rng.permutation(120) + 1000, "customerId": x, "y": x > 0})
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    assert _rank(path, fast=FAST[:-1]) == 0
    err = capsys.readouterr().err
    assert "'malic_acid'" not in err  # was: "named like an identifier"
    assert "column 'customerId' is named like an identifier" in err
    assert "column 'psu' holds a different whole number in each of its 120 rows, in no order" in err


@pytest.mark.parametrize("output", [[], ["--json"], ["--csv"]])
def test_left_out_columns_are_listed_whatever_the_verbosity(tmp_path, capsys, output):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    path = tmp_path / "empty.csv"
    pd.DataFrame({"x": x, "nothing": np.nan, "y": x > 0}).to_csv(path, index=False)
    assert _rank(path, *output) == 0  # FAST has --quiet
    captured = capsys.readouterr()
    if output == ["--json"]:
        assert json.loads(captured.out)["left_out"] == [{"column": "nothing", "reason": "empty: every value missing"}]
    else:
        assert "left out: nothing (empty: every value missing)" in (captured.err if output else captured.out)


@pytest.mark.parametrize("broken_row_has_a_target, reason", [(True, " (and some text)"), (False, ", as text")])
def test_row_numbers_with_a_few_broken_rows_are_still_an_identifier(tmp_path, capsys, broken_row_has_a_target, reason):
    # R's row names as the first column; a tweet with a stray line break shifted text into it
    # (trump_tweets in benchmarks/real_exports.py). Without a target, the broken row is left out,
    # and the row numbers that remain are text that reads as numbers.
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    row_names = np.arange(1, 121).astype(str).astype(object)
    row_names[60] = "http://t.co/YNX1msYh"
    y = (x > 0).astype(object)
    if not broken_row_has_a_target:
        y[60] = None
    path = tmp_path / "tweets.csv"
    pd.DataFrame({"": row_names, "x": x, "y": y}).to_csv(path, index=False)
    assert _rank(path, "--json") == 0
    left_out = json.loads(capsys.readouterr().out)["left_out"]
    assert [entry["column"] for entry in left_out] == ["Unnamed: 0"]
    assert left_out[0]["reason"].startswith(f"identifier: unique whole numbers{reason}")


def test_a_logical_target_with_missing_values_is_a_classification(tmp_path, capsys):
    # R's logical NA: pandas reads True/False/"" as objects; without the gaps they are booleans.
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    y = (x > 0).astype(object)
    y[[5, 9]] = None
    path = tmp_path / "logical.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    assert _rank(path, "--json") == 0  # was: "Supported target types are: ('binary', 'multiclass')"
    assert json.loads(capsys.readouterr().out)["score"]["metric"] == "accuracy"


def test_a_closed_pipe_ends_quietly_without_a_traceback(table):
    # `viann rank ... | head -0`: the reader is gone before the ranking is printed.
    command = [
        sys.executable,
        "-m",
        "viann_sklearn",
        "rank",
        str(table),
        "--target",
        "label",
        *FAST,
        "--noise-alpha",
        "0",
    ]
    ranking = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ranking.stdout.close()
    stderr = ranking.stderr.read().decode()
    assert ranking.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr

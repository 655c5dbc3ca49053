"""The viann command line: through main(argv) and as a real process."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from viann_sklearn.cli import main

FAST = ["--hidden-layer-sizes", "8", "--max-iter", "15", "--quiet"]


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "size": rng.normal(size=200),
        "color": rng.choice(["red", "blue", "green"], 200),
        "noise": rng.normal(size=200),
    })
    frame["label"] = np.where((frame["color"] == "red") | (frame["size"] > 1), "yes", "no")
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_rank_prints_one_row_per_original_column(table, capsys):
    assert main(["rank", str(table), "--target", "label", *FAST]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:4] == ["rank", "column", "importance", "share"]
    assert sorted(line.split()[1] for line in lines[1:]) == ["color", "noise", "size"]
    assert lines[1].split()[1] in {"color", "size"}


def test_progress_goes_to_stderr_unless_quiet(table, capsys):
    assert main(["rank", str(table), "--target", "label", "--json", *FAST[:-1]]) == 0
    captured = capsys.readouterr()
    assert "Training 1 network(s) on 200 rows x 3 columns (classification)" in captured.err
    assert json.loads(captured.out)  # stdout stays machine-readable


def test_rank_json_with_repeats_gives_std(table, capsys):
    assert main(["rank", str(table), "--target", "label", "--json", "--repeats", "2", "--top", "2", *FAST]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["rank"] for row in rows] == [1, 2]
    assert all(set(row) == {"rank", "column", "importance", "share", "std"} for row in rows)


def test_rank_csv_with_cv_and_a_plot(table, tmp_path, capsys):
    chart = tmp_path / "chart.png"
    assert main(["rank", str(table), "--target", "size", "--csv", "--cv", "2", "--plot", str(chart), *FAST]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == "rank,column,importance,share,std"
    assert len(out) == 4  # color, noise, label
    assert chart.stat().st_size > 1000


@pytest.mark.parametrize("setup, argv, message", [
    (None, ["rank", "missing.csv", "--target", "y"], "no such file"),
    ("empty", ["rank", "{path}", "--target", "y"], "empty"),
    ("table", ["rank", "{path}", "--target", "nope"], "no column 'nope'"),
    ("one_class", ["rank", "{path}", "--target", "y"], "only one class"),
    ("garbage", ["rank", "{path}", "--target", "y"], "mixes numbers and text"),
    ("table", ["rank", "{path}", "--target", "y", "--top", "0"], "--top"),
    ("table", ["rank", "{path}", "--target", "y", "--hidden-layer-sizes", "8,x"], "--hidden-layer-sizes"),
    ("text_target", ["rank", "{path}", "--target", "y", "--task", "regression"], "not numeric"),
])
def test_user_mistakes_give_one_line_and_exit_code_2(tmp_path, capsys, setup, argv, message):
    path = tmp_path / "data.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    contents = {
        "empty": "",
        "table": pd.DataFrame({"x": x, "y": x > 0}).to_csv(index=False),
        "one_class": pd.DataFrame({"x": x, "y": 1}).to_csv(index=False),
        "garbage": pd.DataFrame({"x": [*x[:-1].round(3), "oops"], "y": x > 0}).to_csv(index=False),
        "text_target": pd.DataFrame({"x": x, "y": np.where(x > 0, "a", "b")}).to_csv(index=False),
    }
    if setup:
        path.write_text(contents[setup])
    code = main([part.format(path=path) for part in argv] + ["--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("viann: error:") and message in err


def test_console_script_runs_as_a_process(table):
    completed = subprocess.run([sys.executable, "-m", "viann_sklearn", "rank", str(table), "--target", "label",
                                *FAST], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "color" in completed.stdout
    missing = subprocess.run([sys.executable, "-m", "viann_sklearn", "rank", "nowhere.csv", "--target", "y"],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr and missing.stderr.count("\n") == 1


def test_rank_reads_parquet_when_pyarrow_is_there(table, tmp_path, capsys):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: Parquet is optional")
    parquet = tmp_path / "data.parquet"
    pd.read_csv(table).to_parquet(parquet)
    assert main(["rank", str(parquet), "--target", "label", "--csv", *FAST]) == 0
    assert sorted(line.split(",")[1] for line in capsys.readouterr().out.splitlines()[1:]) == ["color", "noise", "size"]

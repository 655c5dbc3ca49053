"""The benchmark scripts still run (their results go to the docs, not into asserts)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_compare_feature_importance_runs_one_seed():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_feature_importance.py"), "--seeds", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Against the random forest" in completed.stdout
    assert "Lowest agreement between two adapters" in completed.stdout


def test_speed_benchmark_quick_mode_runs_every_section():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--quick"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    for section in ("1. fit", "2. Tracking overhead", "3. Cost of importances", "4. Scale", "5. Predict", "6. Defaults"):
        assert section in completed.stdout


def test_ground_truth_quick_mode_reports_both_generator_groups():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ground_truth.py"), "--quick"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "### Tuning generators" in completed.stdout and "### Held-out generators" in completed.stdout
    assert "seconds beyond the fit" in completed.stdout


def test_paper_experiment_quick_mode_prints_the_table_beside_the_paper():
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "paper_experiment.py"), "--quick"],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| NN1 | iris |" in completed.stdout and "| defaults | diabetes |" in completed.stdout
    assert "boston (removed from scikit-learn)" in completed.stdout

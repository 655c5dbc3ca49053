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

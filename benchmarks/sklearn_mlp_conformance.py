"""scikit-learn's own MLP tests, run against VIANNClassifier and VIANNRegressor.

Runs the test module that ships with the installed scikit-learn,
``sklearn/neural_network/tests/test_mlp.py``, unchanged: before pytest imports
it, ``sklearn.neural_network.MLPClassifier`` and ``MLPRegressor`` are replaced
by factories that build our estimators, so every test (its parametrisations
included) constructs a VIANN estimator where it would have built scikit-learn's.

"Given the same parameter values": a test that writes ``MLPClassifier(max_iter=10)``
gets ``VIANNClassifier`` with ``max_iter=10`` and scikit-learn's value for every
other parameter both share (``solver="adam"``, ``alpha=1e-4``,
``learning_rate_init=1e-3``, ``early_stopping=False``...), plus
``weight_init="glorot_uniform", standardize=False``, which is what MLPClassifier
does without naming it. ``--our-defaults`` passes only what the test wrote, so
our own defaults apply to the rest. A parameter we do not have is a TypeError,
as it would be for a user.

Expected: every test passes except those listed in docs/migrating.md, which pin
scikit-learn's private numpy implementation (hand-set private attributes, its
private L-BFGS gradient function).

Prints one line per test, PASS or FAIL with a one-line reason, then the count.

Usage::

    python benchmarks/sklearn_mlp_conformance.py                 # 5 to 10 minutes on 2 cores
    python benchmarks/sklearn_mlp_conformance.py -k partial_fit  # a subset (pytest's -k)
    python benchmarks/sklearn_mlp_conformance.py --our-defaults
"""

import argparse
import os
import signal
import sys
from pathlib import Path

import pytest
import sklearn
import sklearn.neural_network

from viann_sklearn import VIANNClassifier, VIANNRegressor

TEST_MODULE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
# What MLPClassifier does without a parameter for it: Glorot-uniform weights and
# biases, and no standardisation of the inputs or targets.
SKLEARN_BEHAVIOUR = dict(weight_init="glorot_uniform", standardize=False)


def _as_sklearn_class(estimator_class, sklearn_class, sklearn_values):
    """A stand-in for ``sklearn_class``: builds ``estimator_class`` with the same parameter values."""
    ours = set(estimator_class().get_params())
    sklearn_defaults = sklearn_class().get_params() if sklearn_values else {}
    positional = ["hidden_layer_sizes", "activation"]

    def build(*args, **params):
        params.update(zip(positional, args))
        unknown = sorted(set(params) - ours)
        if unknown:
            raise TypeError(f"{estimator_class.__name__} has no parameter {', '.join(unknown)}")
        values = {name: value for name, value in sklearn_defaults.items() if name in ours}
        if sklearn_values:
            values.update(SKLEARN_BEHAVIOUR)
        return estimator_class(**{**values, **params})

    build.__name__ = build.__qualname__ = sklearn_class.__name__
    return build


class _TimeLimit(Exception):
    pass


class ConformanceReport:
    """pytest plugin: a per-test time limit, and one outcome and reason per test."""

    def __init__(self, seconds_per_test):
        self.seconds_per_test = seconds_per_test
        self.outcomes = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        def stop(signum, frame):
            raise _TimeLimit(f"took longer than {self.seconds_per_test} s")

        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(self.seconds_per_test)
        try:
            return (yield)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.split("::", 1)[-1]
        if report.failed:
            self.outcomes[name] = ("FAIL", _one_line(report))
        elif report.skipped:
            self.outcomes.setdefault(name, ("SKIP", _one_line(report)))
        elif report.when == "call":
            self.outcomes.setdefault(name, ("PASS", ""))


def _one_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        text = report.longrepr[2]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "")[:200]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default=None, help="only the tests matching this pytest -k expression")
    parser.add_argument(
        "--our-defaults",
        action="store_true",
        help="pass only the parameters each test writes; our defaults for the rest",
    )
    parser.add_argument("--seconds-per-test", type=int, default=300)
    args = parser.parse_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "sklearn.neural_network.tests.test_mlp" in sys.modules:
        raise RuntimeError("scikit-learn's test module was imported already; the swap must come first.")
    # The swap: the test module imports these names when pytest collects it.
    sklearn.neural_network.MLPClassifier = _as_sklearn_class(
        VIANNClassifier, sklearn.neural_network.MLPClassifier, not args.our_defaults
    )
    sklearn.neural_network.MLPRegressor = _as_sklearn_class(
        VIANNRegressor, sklearn.neural_network.MLPRegressor, not args.our_defaults
    )

    report = ConformanceReport(args.seconds_per_test)
    pytest_args = [
        str(TEST_MODULE),
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        "--tb=no",
        "-o",
        "addopts=",
        "--rootdir",
        str(TEST_MODULE.parents[2]),
    ]
    if args.k:
        pytest_args += ["-k", args.k]
    with open(os.devnull, "w") as quiet:
        stdout = sys.stdout
        sys.stdout = quiet  # pytest's own summary; ours follows
        try:
            pytest.main(pytest_args, plugins=[report])
        finally:
            sys.stdout = stdout

    for name, (outcome, reason) in report.outcomes.items():
        print(f"{outcome} {name}" + (f": {reason}" if reason else ""))
    counts = {
        outcome: sum(1 for got, _ in report.outcomes.values() if got == outcome) for outcome in ("PASS", "FAIL", "SKIP")
    }
    values = "our defaults for unnamed parameters" if args.our_defaults else "scikit-learn's parameter values"
    print(
        f"\n{counts['PASS']} of {counts['PASS'] + counts['FAIL']} tests pass "
        f"({counts['SKIP']} skipped) with {values}; scikit-learn {sklearn.__version__}, {TEST_MODULE}"
    )


if __name__ == "__main__":
    main()

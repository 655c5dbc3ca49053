"""The same random_state gives bit-identical models, in this process and in fresh ones."""

import subprocess
import sys

import pytest

FINGERPRINT = r"""
import hashlib, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from viann_sklearn import VIANNClassifier
solver, importance_on = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.normal(size=(150, 5))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
model = VIANNClassifier(hidden_layer_sizes=(16,), max_iter=10, solver=solver, importance_on=importance_on,
                        random_state=7).fit(X, y)
digest = hashlib.sha256(model.feature_importances_.tobytes() + model.predict_proba(X).tobytes())
print(digest.hexdigest())
"""


def _fingerprint_in_a_fresh_process(solver, importance_on):
    completed = subprocess.run(
        [sys.executable, "-c", FINGERPRINT, solver, importance_on], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("solver, importance_on", [("adam", "epoch"), ("sgd", "batch")])
def test_same_random_state_is_bit_identical_across_processes(solver, importance_on, capsys):
    first = _fingerprint_in_a_fresh_process(solver, importance_on)
    second = _fingerprint_in_a_fresh_process(solver, importance_on)
    assert len(first) == 64 and first == second
    # ... and the same as in this process, whatever ran here before.
    sys_argv = sys.argv
    try:
        sys.argv = ["fingerprint", solver, importance_on]
        exec(compile(FINGERPRINT, "fingerprint", "exec"), {"__name__": "fingerprint"})
    finally:
        sys.argv = sys_argv
    assert capsys.readouterr().out.strip() == first

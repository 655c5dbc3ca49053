"""Test configuration for the whole run: tests/ and the docstring examples."""

import importlib.util
import os
import warnings

import pytest

# scikit-learn runs its array-API check (numpy namespace) only when scipy was
# imported in array-API mode; set it before anything imports scipy, so that
# the estimator checks run in full instead of skipping that one.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Keras 3 runs on PyTorch, so the Keras adapter is tested without TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "torch")

# Without the optional Keras extra, its module cannot even be imported for
# its doctests; tests/test_keras.py skips itself.
collect_ignore = (
    [] if importlib.util.find_spec("keras") else ["viann_sklearn/keras.py", "viann_sklearn/adapters/keras_callbacks.py"]
)


@pytest.fixture
def quiet_convergence():
    """Silence ConvergenceWarning: tests train for few epochs on purpose.

    ``pytest.warns`` and ``warnings.simplefilter`` inside a test still see it.
    """
    # Imported here: this file must set SCIPY_ARRAY_API before scipy loads.
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield

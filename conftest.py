"""Test configuration for the whole run: tests/ and the docstring examples."""

import importlib.util
import os

# scikit-learn runs its array-API check (numpy namespace) only when scipy was
# imported in array-API mode; set it before anything imports scipy, so that
# the estimator checks run in full instead of skipping that one.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Keras 3 runs on PyTorch, so the Keras adapter is tested without TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "torch")

# Without the optional Keras extra, its module cannot even be imported for
# its doctests; tests/test_keras.py skips itself.
collect_ignore = [] if importlib.util.find_spec("keras") else ["viann_sklearn/keras.py"]

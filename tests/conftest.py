"""Test configuration shared by every test module."""

import os

# scikit-learn runs its array-API check (numpy namespace) only when scipy was
# imported in array-API mode; set it before anything imports scipy, so that
# the estimator checks run in full instead of skipping that one.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

"""The shared parameters are one list: both signatures, the constraints and the docstrings agree.

The defaults are declared by ``_BaseVIANN.__init__``. scikit-learn needs every
parameter in each estimator's own signature, so the regressor's repeats them;
these tests are what keeps the copies, ``SHARED_PARAMETER_CONSTRAINTS`` and
the shared docstring section from drifting apart.
"""

import ast
import inspect
import re

import pytest
from sklearn.utils._param_validation import validate_parameter_constraints

from viann_sklearn import VIANNClassifier, VIANNRegressor
from viann_sklearn.estimators.base import _BaseVIANN
from viann_sklearn.estimators.parameters import _SHARED_PARAMETERS_DOC, SHARED_PARAMETER_CONSTRAINTS

REGRESSOR_ONLY = {"loss": "squared_error"}


def _defaults(function):
    return {
        name: parameter.default for name, parameter in inspect.signature(function).parameters.items() if name != "self"
    }


def _documented_defaults(section):
    """name -> default from numpydoc lines such as ``alpha : float, default=1.0`` (``a, b : ..., default=x, y``)."""
    documented = {}
    for names, default in re.findall(r"^    (\w+(?:, \w+)*) : .*default=(.+)$", section, flags=re.MULTILINE):
        names = names.split(", ")
        values = ast.literal_eval(default) if len(names) == 1 else ast.literal_eval(f"({default})")
        documented.update(zip(names, [values] if len(names) == 1 else values))
    return documented


SHARED = _defaults(_BaseVIANN.__init__)


def test_the_classifier_and_the_regressor_take_the_shared_parameters_with_the_same_defaults():
    assert _defaults(VIANNClassifier.__init__) == SHARED  # inherited
    assert _defaults(VIANNRegressor.__init__) == {**SHARED, **REGRESSOR_ONLY}
    # The same order and kinds too (hidden_layer_sizes and activation positional), as in MLPRegressor.
    shared_kinds = [(p.name, p.kind) for p in inspect.signature(_BaseVIANN.__init__).parameters.values()]
    regressor_kinds = [
        (p.name, p.kind) for p in inspect.signature(VIANNRegressor.__init__).parameters.values() if p.name != "loss"
    ]
    assert regressor_kinds == shared_kinds


def test_every_shared_parameter_has_a_constraint_and_its_default_meets_it():
    assert set(SHARED_PARAMETER_CONSTRAINTS) == set(SHARED) - {"self"}
    assert set(VIANNRegressor._parameter_constraints) == set(SHARED) | set(REGRESSOR_ONLY)
    validate_parameter_constraints(SHARED_PARAMETER_CONSTRAINTS, SHARED, caller_name="_BaseVIANN")
    validate_parameter_constraints(
        VIANNRegressor._parameter_constraints, {**SHARED, **REGRESSOR_ONLY}, caller_name="VIANNRegressor"
    )


def test_the_shared_docstring_documents_every_shared_parameter_with_its_default():
    assert _documented_defaults(_SHARED_PARAMETERS_DOC) == SHARED


@pytest.mark.parametrize("estimator", [VIANNClassifier, VIANNRegressor])
def test_each_docstring_documents_each_of_its_parameters_with_its_default(estimator):
    assert _documented_defaults(estimator.__doc__) == _defaults(estimator.__init__)


def test_the_documented_defaults_are_read_as_such():
    # The reader of the docstrings above must not pass by accident: it sees a drifted default.
    drifted = _SHARED_PARAMETERS_DOC.replace("alpha : float, default=1.0", "alpha : float, default=0.0001")
    assert _documented_defaults(drifted)["alpha"] == 0.0001
    assert _documented_defaults("    beta_1, beta_2 : float, default=0.9, 0.999\n") == {"beta_1": 0.9, "beta_2": 0.999}

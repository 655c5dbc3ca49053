"""scikit-learn's estimator checks, every one of them, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from viann_sklearn import VIANNClassifier, VIANNRegressor, VIANNSelector

# Fast settings, kept in one table (as imbalanced-learn does): the checks fit
# hundreds of times on data of up to a few hundred rows.
FAST_ESTIMATORS = [
    VIANNClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60, random_state=0),
    VIANNRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100, random_state=0),
    VIANNSelector(VIANNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0), random_state=0),
]


@parametrize_with_checks(FAST_ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

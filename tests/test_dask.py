"""Cross-validation and grid search of the estimators on a real Dask cluster of worker processes.

Marked ``dask``: CI runs it; a quick local loop can skip it with ``-m "not dask"``.
"""

import os
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from viann_sklearn import VIANNClassifier, VIANNRegressor

distributed = pytest.importorskip("distributed", reason="dask[distributed] (test extra) is not installed")
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.dask

FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=0.1, max_iter=20, random_state=0)


def test_cross_validation_and_grid_search_on_a_local_cluster():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 5))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    with (
        warnings.catch_warnings(),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as task_stream,
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        worker_pids = set(client.run(os.getpid).values())
        assert os.getpid() not in worker_pids and len(worker_pids) == 2  # real worker processes
        with joblib.parallel_backend("dask"):
            scores = cross_val_score(VIANNClassifier(**FAST), X, y, cv=4, n_jobs=-1)
            search = GridSearchCV(
                VIANNRegressor(**FAST), {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(8,), (16,)]}, cv=3, n_jobs=-1
            ).fit(X, X[:, 0] - X[:, 2])
    assert scores.shape == (4,) and scores.mean() > 0.85
    assert search.best_score_ > 0.8
    assert search.best_estimator_.feature_importances_.shape == (5,)
    assert {0, 2} == set(np.argsort(search.best_estimator_.feature_importances_)[-2:])
    assert len(task_stream.data) >= 4 + 4 * 3, "the fits ran as tasks on the cluster"

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


def test_fit_stream_computes_dask_blocks_on_the_cluster_and_equals_fit():
    da = pytest.importorskip("dask.array")
    from viann_sklearn import fit_stream

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X[:, 1] > 0).astype(int)
    in_order = dict(FAST, shuffle=False, early_stopping=False, batch_size=30)
    with (
        warnings.catch_warnings(),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as task_stream,
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Blocks made on the workers (a map over the blocks), each computed when the stream reaches it.
        X_blocks = da.from_array(X, chunks=(90, 4)).map_blocks(lambda block: block * 1.0)
        streamed = fit_stream(VIANNClassifier(**in_order), (X_blocks, y), classes=[0, 1])
        fitted = VIANNClassifier(**in_order).fit(X, y)
    np.testing.assert_allclose(streamed.feature_importances_, fitted.feature_importances_, rtol=1e-10)
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-10)
    assert {task["worker"] for task in task_stream.data}, "the blocks were computed by the cluster's workers"
    assert len(task_stream.data) >= 4 * (1 + streamed.n_iter_), "every block once per pass"

"""
Train on a Dask array, block by block, on a cluster
===================================================

:func:`~viann_sklearn.fit_stream` trains on data that never has to fit in
memory: it reads the row blocks of a ``dask.array`` one at a time, computed
on the Dask cluster, and gives the network and importances that ``fit`` would
give on all the rows at once (see :doc:`/streaming`).

Here the "cluster" is a ``LocalCluster`` of two worker processes on this
machine; the same code runs against a real cluster by connecting the
``Client`` to its scheduler instead.
"""

import os
import warnings

import dask.array as da
import joblib
import matplotlib.pyplot as plt
from distributed import Client, LocalCluster, get_task_stream
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from viann_sklearn import VIANNClassifier, fit_stream
from viann_sklearn.plot import ImportanceDisplay

# Two single-threaded worker processes. On a real cluster:
# client = Client("tcp://scheduler:8786")
#
# Worker processes start by importing this script (Python's "spawn"): the
# ``__main__`` guards keep them from starting clusters of their own.
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    worker_pids = client.run(os.getpid).values()
    print(f"{len(worker_pids)} workers, none of them this process: {os.getpid() not in worker_pids}")

# %%
# The data: 100,000 rows of 10 columns in 5 blocks of 20,000 rows, defined
# lazily. Nothing is computed yet; each block will be generated on a worker
# when the stream reaches it. Only columns 0, 1 and 2 decide the class.
X = da.random.default_rng(0).normal(size=(100_000, 10), chunks=(20_000, 10)).astype("float32")
y = (X[:, 0] + 2 * X[:, 1] - X[:, 2] > 0).astype("int64")

# %%
# Train: one pass for the column statistics, then one pass per epoch, each
# pass computing the blocks on the cluster one at a time. The classes must be
# given: a stream's labels are not known before it is read. Three passes are
# enough for the ranking here (and short of convergence: hence the filter).
clf = VIANNClassifier(hidden_layer_sizes=(16,), max_iter=3, early_stopping=False, random_state=0)
if __name__ == "__main__":
    with get_task_stream(client) as tasks, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_stream(clf, (X, y), classes=[0, 1])
    workers = {task["worker"] for task in tasks.data}
    print(f"{clf.t_:,} rows trained on over {clf.n_iter_} passes; blocks computed by {len(workers)} workers")

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.set_title("Importances from the streamed fit")
    ImportanceDisplay.from_estimator(clf, ax=ax)

# %%
# Model selection on the cluster
# ------------------------------
# ``GridSearchCV`` and ``cross_val_score`` fit many small models; with
# joblib's "dask" backend those fits run as tasks on the same workers. They
# need data in memory, so they get a sample of the rows here.
if __name__ == "__main__":
    X_sample, y_sample = X[:2000].compute(), y[:2000].compute()
    with joblib.parallel_backend("dask"):
        scores = cross_val_score(VIANNClassifier(hidden_layer_sizes=(16,), random_state=0), X_sample, y_sample, cv=3)
        search = GridSearchCV(
            VIANNClassifier(hidden_layer_sizes=(16,), random_state=0), {"alpha": [0.1, 1.0]}, cv=3
        ).fit(X_sample, y_sample)
    print(f"cross-validated accuracy {scores.mean():.3f}; best alpha {search.best_params_['alpha']}")

    client.shutdown()  # the scheduler and its workers too

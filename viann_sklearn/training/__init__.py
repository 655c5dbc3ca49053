"""Training: the network, its skorch net, batches, monitors, solvers and the epoch loop.

- ``mlp.py``: the torch multi-layer perceptron and its losses;
- ``net.py``: ``LeanNet``, skorch's ``NeuralNet`` without per-batch work we do not use,
  and ``build_net``, which lists the estimators' callbacks in one place;
- ``batches.py``: in-memory rows and minibatches, batches across the chunks of a stream,
  and the one epoch permutation both draw;
- ``tensors.py``: arrays and sparse matrices as torch tensors;
- ``monitors.py``: the divergence guard, MLPClassifier's stopping rule, epoch listeners;
- ``solvers.py``: the optimizer behind each ``solver``, learning-rate schedules, L-BFGS, seeding;
- ``loop.py``: the one epoch loop that in-memory, L-BFGS and streamed training share.

Imports the method and adapter layers; knows nothing of scikit-learn's estimator API.
"""

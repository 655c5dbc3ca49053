"""The method: VIANN itself, on plain tensors.

- ``moments.py``: Welford's running variance of a weight over training, and
  Chan's merge of column statistics over row blocks;
- ``scores.py``: the score ``sum_j var(w_ij) * |w_ij|`` and its normalisation;
- ``layers.py``: which weight of a model receives the input, and its feature axis;
- ``tracker.py``: the one tracker every adapter drives (sampling, checkpoints, results);
- ``metric_threshold.py``: the rule "stop once a metric reaches a threshold" that the
  skorch and Keras ``MetricThreshold`` callbacks share.

Imports torch and numpy only: nothing of skorch, Keras or scikit-learn, and nothing
from the rest of the package (``.importlinter`` checks it).
"""

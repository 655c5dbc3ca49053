"""
How the importances evolve during training
==========================================

VIANN keeps a running variance of every first-layer weight, so the
importances can be read after every epoch. Early epochs are noisy; the
ranking settles as training goes on.
"""

from sklearn.datasets import load_iris

from viann_sklearn import VIANNClassifier
from viann_sklearn.plot import plot_importance_history

iris = load_iris(as_frame=True)
clf = VIANNClassifier(hidden_layer_sizes=(32,), random_state=0).fit(iris.data, iris.target)
plot_importance_history(clf)

"""
How the importances evolve during training
==========================================

VIANN keeps a running variance of every first-layer weight, so the
importances can be read after every epoch. Early epochs are noisy; the
ranking settles as training goes on. With 30 features, the 8 most important
at the end are named and the others drawn in grey (``top`` changes how many).
"""

from sklearn.datasets import load_breast_cancer

from viann_sklearn import VIANNClassifier
from viann_sklearn.plot import plot_importance_history

cancer = load_breast_cancer(as_frame=True)
clf = VIANNClassifier(random_state=0).fit(cancer.data, cancer.target)
plot_importance_history(clf)

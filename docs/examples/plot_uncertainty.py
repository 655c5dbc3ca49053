"""
How sure is the ranking? Importances over cross-validation folds
================================================================

:func:`viann_sklearn.importance_uncertainty` refits the network on each fold
(or with several seeds) and returns the importances of every run with their
mean and standard deviation, like ``permutation_importance``.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_wine

from viann_sklearn import VIANNClassifier, importance_uncertainty
from viann_sklearn.plot import ImportanceDisplay

wine = load_wine(as_frame=True)
result = importance_uncertainty(VIANNClassifier(hidden_layer_sizes=(32,)), wine.data, wine.target, cv=5, random_state=0)
print("importances per fold:", result.importances.shape)
fig, ax = plt.subplots(figsize=(6.4, 4.5))
ax.set_title("Wine: mean ± std over 5 folds")
ImportanceDisplay.from_importances(result, ax=ax)

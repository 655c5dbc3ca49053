"""
Recursive feature elimination with a neural network
===================================================

``RFE`` refits an estimator, dropping the least important features each time.
On data where we know which features are informative, a network with VIANN
importances finds them.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.feature_selection import RFE

from viann_sklearn import VIANNClassifier

# 4 informative features first, then 8 of noise (shuffle=False keeps that order)
X, y = make_classification(n_samples=600, n_features=12, n_informative=4, n_redundant=0, shuffle=False, random_state=0)
selector = RFE(VIANNClassifier(hidden_layer_sizes=(16,), random_state=0), n_features_to_select=4, step=2)
selector.fit(X, y)
print("kept:", np.flatnonzero(selector.support_), "(the informative ones are 0-3)")

fig, ax = plt.subplots(figsize=(6.4, 2.6))
ax.bar(np.arange(12), selector.ranking_, color=["#3b75af" if kept else "#bbbbbb" for kept in selector.support_])
ax.set(xlabel="feature", ylabel="RFE rank (1 = kept)", xticks=np.arange(12))
fig.tight_layout()

"""
Select features with a neural network
=====================================

``SelectFromModel`` keeps the features an estimator finds important. With
VIANN importances, a neural network can do the selecting. VIANN's scores are
concentrated (a variance times a size), so ask for a number of features
(``max_features``) rather than the default "above the mean" threshold.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from viann_sklearn import VIANNClassifier
from viann_sklearn.plot import ImportanceDisplay

data = load_breast_cancer(as_frame=True)
X, y = data.data, data.target

# %%
# The importances of a network trained on all 30 features.
network = VIANNClassifier(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.set_title("Ten most important of 30 features")
ImportanceDisplay.from_estimator(network, top=10, ax=ax)

# %%
# Keep the 8 most important, then train a network on those only.
selected = make_pipeline(
    SelectFromModel(VIANNClassifier(hidden_layer_sizes=(32,), random_state=0), max_features=8, threshold=-1),
    VIANNClassifier(hidden_layer_sizes=(32,), random_state=0),
)
all_features = cross_val_score(network, X, y, cv=3).mean()
eight_features = cross_val_score(selected, X, y, cv=3).mean()
print(f"accuracy with 30 features: {all_features:.3f}; with the 8 VIANN picks: {eight_features:.3f}")

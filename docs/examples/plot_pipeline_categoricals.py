"""
Importances per original column, through one-hot encoding
=========================================================

A ``OneHotEncoder`` turns one column into one feature per category, so the
network's importances are per category. :func:`viann_sklearn.grouped_importances`
adds them back up per original column, using the pipeline's feature names.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from viann_sklearn import VIANNRegressor, grouped_importances
from viann_sklearn.plot import ImportanceDisplay

rng = np.random.default_rng(0)
n = 800
houses = pd.DataFrame(
    {
        "area_m2": rng.uniform(30, 200, n),
        "district": rng.choice(["north", "south", "east", "west", "centre"], n),
        "floor": rng.integers(0, 10, n),
        "door_colour": rng.choice(["red", "green", "blue"], n),  # does not matter
    }
)
district_premium = houses["district"].map({"north": 0, "south": 50, "east": 20, "west": 10, "centre": 150})
price = 3 * houses["area_m2"] + district_premium + rng.normal(0, 20, n)

model = make_pipeline(
    make_column_transformer((StandardScaler(), ["area_m2", "floor"]), (OneHotEncoder(), ["district", "door_colour"])),
    VIANNRegressor(hidden_layer_sizes=(32,), random_state=0),
).fit(houses, (price - price.mean()) / price.std())

# %%
# Per encoded feature, the district is split into five small parts...
fig, ax = plt.subplots(figsize=(6.4, 4))
ax.set_title("Per encoded feature")
ImportanceDisplay.from_estimator(model, ax=ax)

# %%
# ...and per original column it is one.
grouped = grouped_importances(model)
fig, ax = plt.subplots(figsize=(6.4, 2.6))
ax.set_title("Per original column")
ImportanceDisplay(grouped.importances, grouped.feature_names).plot(ax=ax)
print(dict(zip(grouped.feature_names, grouped.importances.round(3))))

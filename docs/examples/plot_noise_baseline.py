"""
Does a feature beat noise? Overtraining and the noise baseline
===============================================================

Add to every column of a real table a *shadow*: a copy with its rows shuffled,
linked to nothing. A faithful importance puts the real columns that matter
above every shadow. This example trains a network on scikit-learn's diabetes
table plus shadows one epoch at a time, and follows two things: the share of
the importance that the shadows hold, and the loss on held-out rows.

While the network learns, the shadows' share falls. Once the held-out loss
stops falling, the network memorises the training rows, through whatever
inputs help, shadows included: their weights move again, and VIANN, which
scores movement, counts it. That is why ``early_stopping="auto"`` is the
default: it aims to stop near the bottom of the held-out loss and keeps the
importances of that epoch. On this table it is also where it does worst: its
validation set is 34 rows, whose score is noisy, and the printout below shows
how late it stopped here.

Then :class:`~viann_sklearn.VIANNSelector` turns the same idea into an answer:
it trains three times with fresh shadows and keeps the features whose importance
beats them, at a false-discovery rate of 5 %.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from viann_sklearn import VIANNRegressor, VIANNSelector

X, y = load_diabetes(return_X_y=True)
names = load_diabetes().feature_names
rng = np.random.default_rng(0)
shadows = np.column_stack([rng.permutation(column) for column in X.T])
X_train, X_test, y_train, y_test = train_test_split(np.hstack([X, shadows]), y, random_state=0)

# %%
# Train without early stopping, one epoch per ``partial_fit`` call. After
# each epoch, ``feature_importances_`` is what a fit stopped there would report.
network = VIANNRegressor(random_state=0)
shadow_share, held_out_loss = [], []
for _ in range(200):
    network.partial_fit(X_train, y_train)
    shadow_share.append(network.feature_importances_[X.shape[1] :].sum())
    held_out_loss.append(np.mean((network.predict(X_test) - y_test) ** 2))

# The epoch early_stopping="auto" picks on the same training rows.
stopped = VIANNRegressor(random_state=0).fit(X_train, y_train)
print(
    f"early_stopping='auto' trained {stopped.n_iter_} epochs and kept the best one; "
    f"shadows' share of the importance: {stopped.feature_importances_[X.shape[1] :].sum():.1%} "
    f"(after 200 epochs without it: {shadow_share[-1]:.1%})"
)

fig, share_axis = plt.subplots(figsize=(7, 4))
share_axis.plot(np.arange(1, 201), shadow_share, color="tab:red")
share_axis.set_xlabel("epoch")
share_axis.set_ylabel("shadows' share of the importance", color="tab:red")
loss_axis = share_axis.twinx()
loss_axis.plot(np.arange(1, 201), held_out_loss, color="tab:blue")
loss_axis.set_ylabel("held-out squared error", color="tab:blue")
best = int(np.argmin(held_out_loss)) + 1
share_axis.axvline(best, color="grey", linestyle="--")
share_axis.set_title(f"Noise gains importance after the held-out loss bottoms out (epoch {best})")
fig.tight_layout()

# %%
# The noise baseline: up to 12 training runs, each with a fresh shadow of
# every column. A feature scores a hit in a run when it beats every shadow;
# its p-value is the chance of that many hits for a coin flip (Boruta's test).
# A feature that can no longer be kept sits out the later runs, as in Boruta.
# The Benjamini-Hochberg rule keeps features so that, of those kept, at most
# ``alpha`` are expected to be noise; ``adjusted_pvalues_ <= alpha`` are kept.
selector = VIANNSelector(VIANNRegressor(random_state=0), alpha=0.05, random_state=0).fit(X, y)
print(f"{selector.n_fits_} runs")
for name, importance, hits, pvalue, adjusted, kept in zip(
    names,
    selector.feature_importances_,
    selector.hits_,
    selector.pvalues_,
    selector.adjusted_pvalues_,
    selector.get_support(),
):
    print(
        f"{name:>4}  importance {importance:.3f}  hits {hits:2d}  p = {pvalue:.4f}  adjusted {adjusted:.4f}  "
        f"{'kept' if kept else ''}"
    )

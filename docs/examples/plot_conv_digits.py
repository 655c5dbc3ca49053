"""
Images: which kernel positions and filters a small CNN relies on
================================================================

A skorch CNN learns scikit-learn's 8x8 digits, with the
:class:`~viann_sklearn.VarianceImportance` callback tracking its first
convolution. To check the scores against something known, every image gets a
second input channel of pure noise: a faithful importance should give that
channel almost nothing.

:func:`viann_sklearn.vision.kernel_importances` splits the callback's
per-channel importances into one score per (input channel, kernel row,
kernel column) and one per filter.

**What these scores mean for pixels.** A kernel position is an offset inside
the 3x3 window that slides over the image, not a pixel: its score says how
much the filters relied on that part of every neighbourhood, pooled over all
locations. It does not say which pixels of a digit matter; use an input
attribution (occlusion, gradients) for that.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from viann_sklearn import VarianceImportance
from viann_sklearn.vision import kernel_importances

torch.manual_seed(0)
digits = load_digits()
rng = np.random.default_rng(0)
images = digits.images / 16.0
noise = rng.uniform(0.0, 1.0, size=images.shape)  # same range as the pixels, no information
X = np.stack([images, noise], axis=1).astype(np.float32)  # (n, channels=2, 8, 8)
y = digits.target.astype(np.int64)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

n_filters = 8
module = nn.Sequential(
    nn.Conv2d(2, n_filters, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(n_filters * 4 * 4, 10),
)
net = NeuralNetClassifier(
    module,
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.SGD,
    lr=0.1,
    optimizer__momentum=0.9,
    max_epochs=15,
    batch_size=64,
    train_split=None,
    verbose=0,
    callbacks=[VarianceImportance()],
)
net.fit(X_train, y_train)
test_accuracy = net.score(X_test, y_test)
print(f"test accuracy: {test_accuracy:.3f}")

result = kernel_importances(net)
channel_share = result.positions.sum(axis=(1, 2))
print(f"importance of the digit channel: {channel_share[0]:.3f}, of the noise channel: {channel_share[1]:.3f}")

# %%
# One heatmap per input channel
# -----------------------------
# The same colour scale for both channels, so the noise channel's share is
# visible as the near-white map it is.

fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
vmax = result.positions.max()
for channel, (ax, name) in enumerate(zip(axes, ["digit", "noise"])):
    image = ax.imshow(result.positions[channel], cmap="Blues", vmin=0, vmax=vmax)
    ax.set(
        title=f"{name} channel ({channel_share[channel]:.2f})",
        xticks=range(3),
        yticks=range(3),
        xlabel="kernel column",
        ylabel="kernel row",
    )
fig.colorbar(image, ax=axes, shrink=0.8, label="importance")

# %%
# One view per filter
# -------------------
# Each filter's weights on the digit channel, and its share of the total
# score. As a check of what a filter's share means, each filter is switched
# off in turn (its weights and bias set to 0) and the test accuracy
# measured again.

weights, bias = net.module_[0].weight.data, net.module_[0].bias.data
accuracy_drop = np.empty(n_filters)
for index in range(n_filters):
    saved_weight, saved_bias = weights[index].clone(), bias[index].clone()
    weights[index], bias[index] = 0.0, 0.0
    accuracy_drop[index] = test_accuracy - net.score(X_test, y_test)
    weights[index], bias[index] = saved_weight, saved_bias

order = np.argsort(result.filters)[::-1]
fig, axes = plt.subplots(2, n_filters // 2, figsize=(8, 4.4))
limit = np.abs(result.weights[:, 0]).max()
for ax, index in zip(axes.ravel(), order):
    ax.imshow(result.weights[index, 0], cmap="seismic", vmin=-limit, vmax=limit)
    ax.set(
        title=f"filter {index}\nshare {result.filters[index]:.2f}, drop {accuracy_drop[index]:.2f}",
        xticks=[],
        yticks=[],
    )
fig.suptitle("Digit-channel weights, by VIANN share (accuracy drop when switched off)")
fig.tight_layout()

print("filter  VIANN share  accuracy drop when switched off")
for index in order:
    print(f"{index:6d}  {result.filters[index]:11.3f}  {accuracy_drop[index]:+.3f}")
rho = spearmanr(result.filters, accuracy_drop).statistic
print(f"Spearman correlation of share and accuracy drop over the {n_filters} filters: {rho:.2f}")

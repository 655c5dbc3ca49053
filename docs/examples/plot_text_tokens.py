"""
Text: the tokens an embedding classifier relies on
==================================================

A skorch text classifier (an ``nn.Embedding``, the mean over the words of a
sentence, one linear layer) learns a generated two-class task, with the
:class:`~viann_sklearn.VarianceImportance` callback tracking the embedding
table: one importance per row, i.e. per token of the vocabulary.

The task, :func:`viann_sklearn.text.make_keyword_sentences`, is generated
offline, so the informative words are known: ten keywords ("good",
"awful", ...) decide the class; the other words and the special tokens
(``<pad>``, ``<unk>``, ``<bos>``) carry no information.
:func:`viann_sklearn.text.top_k_tokens` maps the importances back to the
vocabulary and leaves the special tokens out.
"""

import matplotlib.pyplot as plt
import torch
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

from viann_sklearn import VarianceImportance
from viann_sklearn.text import make_keyword_sentences, top_k_tokens


class MeanEmbeddingClassifier(nn.Module):
    def __init__(self, vocabulary_size, dim=16):
        super().__init__()
        # padding_idx: the <pad> row gets no gradient, so it never moves and scores 0.
        self.embedding = nn.Embedding(vocabulary_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 2)

    def forward(self, X):
        real_tokens = (X != 0).unsqueeze(-1).float()
        mean = (self.embedding(X) * real_tokens).sum(dim=1) / real_tokens.sum(dim=1)
        return self.output(mean)


torch.manual_seed(0)
task = make_keyword_sentences(1500, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(task.data, task.target, test_size=0.25, random_state=0)
print("a sentence:", " ".join(task.vocabulary[token] for token in X_train[0]))

net = NeuralNetClassifier(
    MeanEmbeddingClassifier(len(task.vocabulary)),
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.SGD,
    lr=0.5,
    max_epochs=20,
    batch_size=64,
    train_split=None,
    verbose=0,
    callbacks=[VarianceImportance()],
)
net.fit(X_train, y_train)
print(f"test accuracy: {net.score(X_test, y_test):.3f}")

top = top_k_tokens(net, task.vocabulary, k=10)  # <pad>, <unk> and <bos> left out by default
print("\ntop 10 tokens:")
for token, importance in top:
    print(f"  {token:10s} {importance:.3f}  {'keyword' if token in task.keywords else ''}")
print(f"{sum(token in task.keywords for token, _ in top)} of the top 10 are keywords")

# Where did the special tokens rank among all tokens, before they were left out?
everything = [token for token, _ in top_k_tokens(net, task.vocabulary, k=len(task.vocabulary), exclude=())]
print(
    "ranks of the special tokens among",
    len(everything),
    "tokens:",
    {token: everything.index(token) + 1 for token in task.special_tokens},
)

# %%
# The 20 most important tokens
# ----------------------------
# Keywords in blue, other words in grey.

shown = top_k_tokens(net, task.vocabulary, k=20)
fig, ax = plt.subplots(figsize=(6.4, 5))
ax.barh(
    [token for token, _ in shown][::-1],
    [value for _, value in shown][::-1],
    color=["tab:blue" if token in task.keywords else "tab:gray" for token, _ in shown][::-1],
)
ax.set(xlabel="VIANN importance", title="Token importances (special tokens left out)")
fig.tight_layout()

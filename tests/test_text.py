"""Token importances of an embedding layer: the generated task, top_k_tokens, every adapter."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetClassifier
from torch import nn

from viann_sklearn import VarianceImportance, VarianceImportanceTorch
from viann_sklearn.text import make_keyword_sentences, token_importances, top_k_tokens


class MeanEmbedding(nn.Module):
    """Embedding, mean over the real (non-padding) tokens, one linear layer."""

    def __init__(self, vocabulary_size, dim=8):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, dim, padding_idx=0)
        self.output = nn.Linear(dim, 2)

    def forward(self, X):
        mask = (X != 0).unsqueeze(-1).float()
        return self.output((self.embedding(X) * mask).sum(dim=1) / mask.sum(dim=1))


@pytest.fixture(scope="module")
def task():
    return make_keyword_sentences(600, random_state=0)


@pytest.fixture(scope="module")
def trained_net(task):
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        MeanEmbedding(len(task.vocabulary)),
        criterion=nn.CrossEntropyLoss,
        lr=0.5,
        max_epochs=15,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=[VarianceImportance()],
    )
    return net.fit(task.data, task.target)


def test_generated_task_is_reproducible_and_labelled_by_its_keywords(task):
    again = make_keyword_sentences(600, random_state=0)
    np.testing.assert_array_equal(task.data, again.data)
    assert task.data.shape == (600, 16) and task.data.dtype == np.int64
    assert set(np.unique(task.target)) == {0, 1}
    vocabulary = np.array(task.vocabulary)
    positive, negative = set(task.keywords[:5]), set(task.keywords[5:])
    for tokens, label in zip(task.data, task.target):
        words = list(vocabulary[tokens])
        assert words[0] == "<bos>"
        own = positive if label == 1 else negative
        assert any(word in own for word in words), "every sentence has a keyword of its class"
        length = words.index("<pad>") if "<pad>" in words else len(words)
        assert set(words[length:]) <= {"<pad>"}, "padding only at the end"


def test_keywords_lead_the_skorch_callbacks_ranking(task, trained_net):
    top = top_k_tokens(trained_net, task.vocabulary, k=10)
    assert len(top) == 10
    assert sum(token in task.keywords for token, _ in top) >= 8
    assert [score for _, score in top] == sorted((score for _, score in top), reverse=True)


def test_padding_row_never_moves_and_scores_zero(task, trained_net):
    importances = token_importances(trained_net, task.vocabulary)
    assert importances["<pad>"] == 0.0
    assert sum(importances.values()) == pytest.approx(1.0)


def test_exclude_drops_special_tokens_and_checks_their_spelling(task, trained_net):
    everything = [token for token, _ in top_k_tokens(trained_net, task.vocabulary, k=len(task.vocabulary), exclude=())]
    assert set(task.special_tokens) <= set(everything)
    kept = [token for token, _ in top_k_tokens(trained_net, task.vocabulary, k=len(task.vocabulary))]
    assert kept == [token for token in everything if token not in task.special_tokens]
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['<PAD>'\]"):
        top_k_tokens(trained_net, task.vocabulary, exclude=["<PAD>"])
    with pytest.raises(InvalidParameterError, match="'exclude' parameter of top_k_tokens"):
        top_k_tokens(trained_net, task.vocabulary, exclude="<pad>")


def test_vocabulary_as_a_mapping_gives_the_same_tokens(task, trained_net):
    mapping = {token: index for index, token in enumerate(task.vocabulary)}
    assert top_k_tokens(trained_net, mapping, k=5) == top_k_tokens(trained_net, task.vocabulary, k=5)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="3 tokens but there are 2 importances"):
        token_importances([0.5, 0.5], ["a", "b", "c"])
    with pytest.raises(InvalidParameterError, match="'k' parameter of top_k_tokens must be an int in the range"):
        top_k_tokens([0.5, 0.5], ["a", "b"], k=0, exclude=())
    with pytest.raises(InvalidParameterError, match="'k' parameter of top_k_tokens"):
        top_k_tokens([0.5, 0.5], ["a", "b"], k=1.5, exclude=())
    with pytest.raises(ValueError, match="same id"):
        token_importances([0.5, 0.5], {"a": 0, "b": 0})
    with pytest.raises(ValueError, match="lists a token twice"):
        token_importances([0.5, 0.5], ["a", "a"])
    with pytest.raises(ValueError, match="list of tokens or a mapping"):
        token_importances([0.5, 0.5], "ab")  # a str is a Sequence: refused by hand
    with pytest.raises(InvalidParameterError, match="'vocabulary' parameter of token_importances"):
        token_importances([0.5, 0.5], {"a", "b"})  # a set has no order
    with pytest.raises(InvalidParameterError, match="'vocabulary' parameter of top_k_tokens"):
        top_k_tokens([0.5, 0.5], {"a", "b"}, exclude=())
    with pytest.raises(ValueError, match="importances must be an array of numbers"):
        token_importances({"a": 0.5}.values(), ["a"])
    with pytest.raises(InvalidParameterError, match=r"'max_length' parameter of make_keyword_sentences.*\[6, inf\)"):
        make_keyword_sentences(10, max_length=3)
    with pytest.raises(InvalidParameterError, match="'n_samples' parameter of make_keyword_sentences"):
        make_keyword_sentences(0)
    with pytest.raises(InvalidParameterError, match="'unknown_rate' parameter of make_keyword_sentences"):
        make_keyword_sentences(10, unknown_rate=1.0)


def test_plain_torch_tracker_ranks_keywords_first(task):
    torch.manual_seed(1)
    model = MeanEmbedding(len(task.vocabulary))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    tracker = VarianceImportanceTorch(model)
    tracker.on_train_begin()
    X, y = torch.from_numpy(task.data), torch.from_numpy(task.target)
    for _ in range(15):
        for batch in torch.split(torch.randperm(len(X)), 64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
        tracker.on_epoch_end()
    tracker.on_train_end()
    assert tracker.param_name_ == "embedding.weight"
    top = top_k_tokens(tracker, task.vocabulary, k=10)
    assert sum(token in task.keywords for token, _ in top) >= 8
    # The adapter's importances and the array it holds give the same answer.
    assert top == top_k_tokens(tracker.feature_importances_, task.vocabulary, k=10)


def test_keras_embedding_ranks_keywords_first(task):
    keras = pytest.importorskip("keras", reason="the optional Keras extra is not installed")
    from viann_sklearn.keras import VarianceImportanceKeras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((task.data.shape[1],), dtype="int64"),
            keras.layers.Embedding(len(task.vocabulary), 8, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    viann = VarianceImportanceKeras()
    model.fit(task.data, task.target, epochs=8, batch_size=100, verbose=0, callbacks=[viann])
    assert viann.feature_importances_.shape == (len(task.vocabulary),)
    top = top_k_tokens(viann, task.vocabulary, k=10)
    assert sum(token in task.keywords for token, _ in top) >= 8

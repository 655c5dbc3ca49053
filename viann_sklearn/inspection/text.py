"""VIANN for text models: token importances from an embedding layer, and a text task to try them on.

When a network starts with an embedding (``nn.Embedding``, Keras'
``Embedding``), the VIANN adapters score each *row* of the table, i.e. each
token of the vocabulary: ``sum_d var(e_td) * |e_td|`` over the embedding
dimensions ``d``. A token whose vector moved a lot during training and ended
up large is one the model learned to use. :func:`top_k_tokens` maps those
scores back to the vocabulary and leaves out special tokens.

A token that never occurs in the training data gets no gradient, so its score
is 0; so does the padding row of ``nn.Embedding(padding_idx=...)``. Tokens
that occur in every sequence (a start-of-sequence marker) can score high
because the model uses them as a bias: that is what ``exclude`` is for.

The original VIANN project's ``EmbeddingVarianceImportance`` summed only the
variance of each row; here the score is VIANN's, the variance times the final
size, as for every other layer.
"""

from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..adapters.lookup import fitted_adapter

__all__ = ["token_importances", "top_k_tokens", "make_keyword_sentences"]

SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>")
POSITIVE_KEYWORDS = ("good", "great", "excellent", "wonderful", "enjoyable")
NEGATIVE_KEYWORDS = ("bad", "awful", "boring", "terrible", "dull")
FILLER_WORDS = (
    "the a an this that it is was and but or of in on at to for with as by film movie story plot "
    "actor actors scene scenes music ending character characters director time people way year "
    "day night city house friend family book show episode series part first last long short new "
    "old big small some many much very quite really just also still even then there here"
).split()

# importances: an array, a fitted adapter or a net, checked by _importance_array
# (what it holds decides). vocabulary: a str is a Sequence too, which no
# constraint can leave out; _tokens_by_id refuses it by hand.
_TOKEN_CONSTRAINTS: dict = {"importances": "no_validation", "vocabulary": [Mapping, Sequence]}


@validate_params(_TOKEN_CONSTRAINTS, prefer_skip_nested_validation=True)
def token_importances(importances, vocabulary):
    """Each token's VIANN importance, as a dict in token-id order.

    Parameters
    ----------
    importances : array-like of shape (vocabulary_size,), or a fitted adapter
        One importance per row of the embedding table: an adapter's
        ``feature_importances_``, the adapter itself (skorch callback,
        ``VarianceImportanceTorch``, ``VarianceImportanceKeras``) or a skorch
        net with a :class:`~viann_sklearn.VarianceImportance` callback.
    vocabulary : sequence of str or mapping of str to int
        The tokens: a list whose position ``i`` is the token with id ``i``,
        or a mapping from token to id (like ``CountVectorizer.vocabulary_``
        or a tokenizer's ``word_index``).

    Returns
    -------
    importances : dict of str to float

    Raises
    ------
    ValueError
        If ``vocabulary`` is neither a sequence nor a mapping (scikit-learn's
        ``InvalidParameterError``, which is a ``ValueError``), or if it does
        not have one token per importance.

    Examples
    --------
    >>> from viann_sklearn.text import token_importances
    >>> token_importances([0.0, 0.1, 0.9], ["<pad>", "the", "great"])
    {'<pad>': 0.0, 'the': 0.1, 'great': 0.9}
    """
    values = _importance_array(importances, "token_importances")
    tokens = _tokens_by_id(vocabulary, len(values), "token_importances")
    return {token: float(value) for token, value in zip(tokens, values)}


@validate_params(
    {**_TOKEN_CONSTRAINTS, "k": [Interval(Integral, 1, None, closed="left")], "exclude": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def top_k_tokens(importances, vocabulary, k=10, *, exclude=SPECIAL_TOKENS):
    """The ``k`` most important tokens, most important first, special tokens left out.

    Parameters
    ----------
    importances : array-like of shape (vocabulary_size,), or a fitted adapter
        As in :func:`token_importances`.
    vocabulary : sequence of str or mapping of str to int
        As in :func:`token_importances`.
    k : int, default=10
        How many tokens to return (fewer if the vocabulary, less the
        excluded tokens, is smaller).
    exclude : array-like of str, default=("<pad>", "<unk>", "<bos>")
        Tokens never to return: padding, unknown-word and start markers. Each
        must be in the vocabulary, so that a misspelt marker ("<PAD>" for
        "<pad>") is an error rather than a token that silently stays in.
        Pass ``()`` to keep every token.

    Returns
    -------
    top : list of (str, float)
        ``(token, importance)`` pairs; the importances are those of
        :func:`token_importances`, not renormalised after excluding.

    Raises
    ------
    ValueError
        If ``k`` is not a positive int or ``exclude`` not an array-like (a
        list, tuple or set) of tokens: scikit-learn's ``InvalidParameterError``,
        which is a ``ValueError``. Also if an excluded token is not in the
        vocabulary, or if the vocabulary does not match the importances.

    Examples
    --------
    >>> from viann_sklearn.text import top_k_tokens
    >>> vocabulary = ["<pad>", "<bos>", "the", "great", "awful"]
    >>> top_k_tokens([0.0, 0.5, 0.1, 0.25, 0.15], vocabulary, k=2, exclude=["<pad>", "<bos>"])
    [('great', 0.25), ('awful', 0.15)]
    """
    scores = token_importances(importances, vocabulary)
    excluded = set(exclude)
    unknown = sorted(excluded - scores.keys())
    if unknown:
        raise ValueError(
            f"top_k_tokens: exclude names tokens that are not in the vocabulary: {unknown}. "
            "Check their spelling (special tokens differ between tokenizers), or pass exclude=() "
            "to exclude nothing."
        )
    kept = [(token, score) for token, score in scores.items() if token not in excluded]
    # A stable sort: ties keep their token-id order.
    kept.sort(key=lambda pair: -pair[1])
    return kept[:k]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "max_length": [Interval(Integral, 6, None, closed="left")],
        "unknown_rate": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_keyword_sentences(n_samples=1000, *, max_length=16, unknown_rate=0.05, random_state=None):
    """A two-class text task whose informative words are known, generated offline.

    Each sentence starts with ``<bos>``, has 4 to ``max_length - 1`` words
    and is padded with ``<pad>``. Filler words (articles, "movie",
    "actor", ...) carry no information; each sentence contains one to three
    keywords of its class ("good", "great", ... for class 1; "bad",
    "awful", ... for class 0) and, one time in five, one keyword of the
    other class, so that a single word does not decide. Filler words are
    replaced by ``<unk>`` at ``unknown_rate``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sentences; at least 1.
    max_length : int, default=16
        Length of every padded sequence, ``<bos>`` included; at least 6.
    unknown_rate : float, default=0.05
        Share of filler words replaced by ``<unk>``, in ``[0, 1)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the generator.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples, max_length), int64
            Token ids; 0 is ``<pad>``.
        target : ndarray of shape (n_samples,), int64
            The class: 1 for positive keywords, 0 for negative ones.
        vocabulary : list of str
            Token ``i`` is ``vocabulary[i]``.
        keywords : list of str
            The informative tokens, both classes'.
        special_tokens : tuple of str
            ``("<pad>", "<unk>", "<bos>")``, ids 0, 1 and 2.

    Examples
    --------
    >>> from viann_sklearn.text import make_keyword_sentences
    >>> task = make_keyword_sentences(4, random_state=0)
    >>> task.data.shape, task.target.shape
    ((4, 16), (4,))
    >>> task.vocabulary[:3]
    ['<pad>', '<unk>', '<bos>']
    """
    rng = check_random_state(random_state)
    vocabulary = [*SPECIAL_TOKENS, *POSITIVE_KEYWORDS, *NEGATIVE_KEYWORDS, *FILLER_WORDS]
    ids = {token: index for index, token in enumerate(vocabulary)}
    pad, unknown, start = (ids[token] for token in SPECIAL_TOKENS)
    keyword_ids = {1: [ids[word] for word in POSITIVE_KEYWORDS], 0: [ids[word] for word in NEGATIVE_KEYWORDS]}
    filler_ids = np.array([ids[word] for word in FILLER_WORDS])
    # Zipf-like frequencies: a few filler words are everywhere, most are rare, as in real text.
    filler_frequency = 1.0 / np.arange(1, len(filler_ids) + 1)
    filler_frequency /= filler_frequency.sum()

    data = np.full((n_samples, max_length), pad, dtype=np.int64)
    target = rng.randint(0, 2, size=n_samples).astype(np.int64)
    for row, label in enumerate(target):
        n_words = rng.randint(4, max_length)
        words = rng.choice(filler_ids, size=n_words, p=filler_frequency)
        words[rng.random_sample(n_words) < unknown_rate] = unknown
        keywords = list(rng.choice(keyword_ids[label], size=rng.randint(1, 4)))
        if rng.random_sample() < 0.2:
            keywords.append(rng.choice(keyword_ids[1 - label]))
        positions = rng.choice(n_words, size=min(len(keywords), n_words), replace=False)
        words[positions] = keywords[: len(positions)]
        data[row, 0] = start
        data[row, 1 : 1 + n_words] = words
    return Bunch(
        data=data,
        target=target,
        vocabulary=vocabulary,
        keywords=[*POSITIVE_KEYWORDS, *NEGATIVE_KEYWORDS],
        special_tokens=SPECIAL_TOKENS,
    )


def _importance_array(importances, caller):
    if hasattr(importances, "callbacks_") or hasattr(importances, "tracker_"):  # skorch net or adapter
        importances = fitted_adapter(importances, caller)[0].feature_importances_
    elif hasattr(importances, "feature_importances_"):
        importances = importances.feature_importances_
    try:
        values = np.asarray(importances, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{caller}: importances must be an array of numbers (or a fitted VIANN adapter); "
            f"got {type(importances).__name__}: {error}"
        ) from error
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{caller}: importances must be one non-empty row of numbers; got shape {values.shape}.")
    return values


def _tokens_by_id(vocabulary, size, caller):
    """The vocabulary as a list indexed by token id, checked against the number of importances."""
    if isinstance(vocabulary, Mapping):
        tokens = [None] * len(vocabulary)
        for token, index in vocabulary.items():
            if isinstance(index, bool) or not isinstance(index, Integral) or not 0 <= index < len(vocabulary):
                raise ValueError(
                    f"{caller}: a vocabulary mapping must map tokens to the ids 0 .. {len(vocabulary) - 1}; "
                    f"{token!r} maps to {index!r}."
                )
            tokens[index] = token
        if None in tokens:
            raise ValueError(f"{caller}: the vocabulary mapping gives two tokens the same id.")
    elif isinstance(vocabulary, Sequence) and not isinstance(vocabulary, str):
        tokens = list(vocabulary)
    else:  # a str (the constraints let it through, as a Sequence), or validation was skipped
        raise ValueError(
            f"{caller}: vocabulary must be a list of tokens or a mapping of token to id; "
            f"got {type(vocabulary).__name__}."
        )
    if len(tokens) != size:
        raise ValueError(
            f"{caller}: the vocabulary has {len(tokens)} tokens but there are {size} importances "
            "(one per row of the embedding table). Pass the vocabulary the model was trained with."
        )
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"{caller}: the vocabulary lists a token twice.")
    return tokens

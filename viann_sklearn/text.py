"""VIANN for text models: token importances from an embedding layer (see ``inspection/text.py``)."""

from .inspection.text import (
    FILLER_WORDS,
    NEGATIVE_KEYWORDS,
    POSITIVE_KEYWORDS,
    SPECIAL_TOKENS,
    make_keyword_sentences,
    token_importances,
    top_k_tokens,
)

__all__ = [
    "FILLER_WORDS",
    "NEGATIVE_KEYWORDS",
    "POSITIVE_KEYWORDS",
    "SPECIAL_TOKENS",
    "make_keyword_sentences",
    "token_importances",
    "top_k_tokens",
]

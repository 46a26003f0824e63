"""Arguments of vector store reads, checked the same way by every backend.

`check_ids` and `check_k` refuse what no backend can answer; `keyword_terms` picks the
words of a keyword query that are worth ranking by.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .vector_errors import VectorStoreError

__all__ = ["STOPWORDS", "check_ids", "check_k", "keyword_terms"]

_WORD = re.compile(r"\w+")
# Words too common to rank by: BM25 would still reward passages for "what" and "the".
_STOPWORD_TEXT = (
    "a about after all also am an and any are as at be because been but by can could did do "
    "does doing for from get got had has have how i if in into is it its just me more most my "
    "no nor not of off on once only or other our out over own same she should so some such "
    "than that the their them then there these they this those through to too under until up "
    "very was we were what when where which while who whom why will with would you your"
)
#: Lower-case words a keyword search leaves out unless the query has nothing else.
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def keyword_terms(query: object) -> list[str]:
    """The distinct words of `query` to search for, in order, stopwords left out (unless
    the query has only stopwords); `VectorStoreError` when `query` is not a string."""
    if not isinstance(query, str):
        raise VectorStoreError(f"a keyword query must be a string, got {type(query).__name__}")
    words = _WORD.findall(query)
    terms = [w for w in words if w.lower() not in STOPWORDS] or words
    return list(dict.fromkeys(terms))


def check_ids(ids: Sequence[str]) -> list[str]:
    """`ids` as a list without repeats, or `VectorStoreError` if it is not strings."""
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise VectorStoreError(f"ids must be a sequence of strings, got {ids!r:.80}")
    if not all(isinstance(i, str) for i in ids):
        raise VectorStoreError("every id must be a string")
    return list(dict.fromkeys(ids))


def check_k(k: int) -> None:
    """`VectorStoreError` unless `k` is a positive integer."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise VectorStoreError(f"k must be a positive integer, got {k!r}")

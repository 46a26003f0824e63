"""Context assembly: the best search hits, numbered and cited, within a token budget."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import PurePath

from ..errors import ConfigError
from .vector_records import SearchHit

__all__ = ["assemble_context", "estimate_text_tokens"]


def estimate_text_tokens(text: str) -> int:
    """About one token per 4 characters (as `estimate_tokens` counts messages)."""
    return math.ceil(len(text) / 4)


def assemble_context(
    hits: Sequence[SearchHit],
    *,
    max_tokens: int,
    count_tokens: Callable[[str], int] = estimate_text_tokens,
) -> str:
    """The hits as numbered passages, best first, with their source, in `max_tokens`.

    A passage that does not fit whole is left out (a later, shorter one may still fit);
    if not even the first fits, it is cut to the budget, so there is always something.
    Each passage reads ``[1] (source: guide.md)`` then its text.
    """
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ConfigError(f"max_tokens must be a positive integer, got {max_tokens!r}")
    blocks: list[str] = []
    used = 0
    for hit in hits:
        block = _block(len(blocks) + 1, hit)
        cost = count_tokens(block) + (1 if blocks else 0)
        if used + cost <= max_tokens:
            blocks.append(block)
            used += cost
    if not blocks and hits:
        blocks.append(_cut(_block(1, hits[0]), max_tokens, count_tokens))
    return "\n\n".join(blocks)


def _block(number: int, hit: SearchHit) -> str:
    # A title reads best; else the file's name (a full path costs tokens and says little).
    source = hit.metadata.get("title") or PurePath(str(hit.metadata.get("source", hit.id))).name
    return f"[{number}] (source: {source})\n{hit.text.strip()}"


def _cut(text: str, max_tokens: int, count_tokens: Callable[[str], int]) -> str:
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]

"""Chunking: split a document into overlapping pieces small enough to embed well.

Sizes are counted in *tokens* as a regex sees them (a word, a number or one punctuation
mark), which tracks model tokens closely enough to size chunks: all-MiniLM-L6-v2 reads at
most 256 word pieces, about 180 such tokens of English. Chunks keep the exact original
text between their `start` and `end` offsets, so a hit can be traced back to its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError

__all__ = ["Chunk", "Chunker", "count_text_tokens", "sentence_spans", "token_spans"]

_TOKEN = re.compile(r"\w+|[^\w\s]")
# A sentence ends at . ! ? (or their CJK forms) followed by space, or at a blank line.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|(?<=[\u3002\uff01\uff1f])\s*|\n\s*\n")

Span = tuple[int, int]


@dataclass(slots=True, kw_only=True, frozen=True)
class Chunk:
    """A piece of a document: its text, its position, and where it came from in the source."""

    text: str
    index: int
    start: int
    end: int


def token_spans(text: str) -> list[Span]:
    """The (start, end) offsets of every token of `text`."""
    return [m.span() for m in _TOKEN.finditer(text)]


def count_text_tokens(text: str) -> int:
    """How many tokens `text` has, as the chunker counts them."""
    return sum(1 for _ in _TOKEN.finditer(text))


def sentence_spans(text: str) -> list[Span]:
    """The (start, end) offsets of the sentences of `text`, surrounding space left out."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass(slots=True, kw_only=True, frozen=True)
class Chunker:
    """Splits text into chunks of at most `max_tokens` tokens, each repeating about
    `overlap` tokens of the one before it.

    ``by="sentences"`` packs whole sentences (a sentence longer than `max_tokens` is cut
    by tokens); ``by="tokens"`` cuts at token boundaries regardless of sentences.
    """

    by: Literal["sentences", "tokens"] = "sentences"
    max_tokens: int = 160
    overlap: int = 24

    def __post_init__(self) -> None:
        if self.by not in ("sentences", "tokens"):
            raise ConfigError(f"Chunker.by must be 'sentences' or 'tokens', got {self.by!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be a positive integer, got {self.max_tokens!r}")
        if not isinstance(self.overlap, int) or not 0 <= self.overlap < self.max_tokens:
            raise ConfigError(
                f"overlap must be >= 0 and below max_tokens ({self.max_tokens}), "
                f"got {self.overlap!r}"
            )

    def split(self, text: str) -> list[Chunk]:
        """The chunks of `text`, in order; blank text has none."""
        if not isinstance(text, str):
            raise ConfigError(f"Chunker.split takes a string, got {type(text).__name__}")
        spans = self._by_tokens(text) if self.by == "tokens" else self._by_sentences(text)
        return [
            Chunk(text=text[start:end], index=i, start=start, end=end)
            for i, (start, end) in enumerate(spans)
        ]

    def _by_tokens(self, text: str) -> list[Span]:
        tokens = token_spans(text)
        step = self.max_tokens - self.overlap
        spans: list[Span] = []
        for first in range(0, len(tokens), step):
            window = tokens[first : first + self.max_tokens]
            spans.append((window[0][0], window[-1][1]))
            if first + self.max_tokens >= len(tokens):
                break
        return spans

    def _by_sentences(self, text: str) -> list[Span]:
        # Each unit is a sentence, or a token-cut piece of a sentence that is too long.
        units: list[tuple[Span, int]] = []
        for start, end in sentence_spans(text):
            size = count_text_tokens(text[start:end])
            if size <= self.max_tokens:
                units.append(((start, end), size))
            else:
                pieces = Chunker(by="tokens", max_tokens=self.max_tokens, overlap=0)
                for piece in pieces._by_tokens(text[start:end]):
                    span = (start + piece[0], start + piece[1])
                    units.append((span, count_text_tokens(text[span[0] : span[1]])))
        spans: list[Span] = []
        current: list[tuple[Span, int]] = []
        for unit in units:
            if current and sum(size for _, size in current) + unit[1] > self.max_tokens:
                spans.append((current[0][0][0], current[-1][0][1]))
                current = self._carried(current, unit[1])
            current.append(unit)
        if current:
            spans.append((current[0][0][0], current[-1][0][1]))
        return spans

    def _carried(self, previous: list[tuple[Span, int]], incoming: int) -> list[tuple[Span, int]]:
        """The trailing sentences of the last chunk that fit in `overlap` (and with the next)."""
        carried: list[tuple[Span, int]] = []
        budget = min(self.overlap, self.max_tokens - incoming)
        for unit in reversed(previous):
            if unit[1] > budget:
                break
            carried.insert(0, unit)
            budget -= unit[1]
        return carried

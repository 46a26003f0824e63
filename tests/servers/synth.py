"""Deterministic synthetic content for the fake providers: chunking, token counts, vectors."""

from __future__ import annotations

import hashlib
import struct


def split_text(text: str, size: int = 4) -> list[str]:
    """`text` in pieces of `size` characters (one piece when size <= 0)."""
    if size <= 0 or not text:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


def count_tokens(*texts: str) -> int:
    """A stand-in tokenizer: whitespace-separated words, at least 1."""
    return max(1, sum(len(text.split()) for text in texts))


def fake_vector(text: str, dims: int = 8) -> list[float]:
    """A unit-free vector in [-1, 1) derived from a hash of `text`: same text, same vector."""
    values: list[float] = []
    block = 0
    while len(values) < dims:
        digest = hashlib.sha256(f"{block}:{text}".encode()).digest()
        values.extend(n / 2**31 for n in struct.unpack(">8i", digest))
        block += 1
    return [round(v, 6) for v in values[:dims]]

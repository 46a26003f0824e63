"""What vector stores keep and return: records, search hits, write reports, collection facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .vector_errors import InvalidRecordError

__all__ = ["CollectionInfo", "RejectedRecord", "SearchHit", "UpsertReport", "VectorRecord"]


@dataclass(slots=True, kw_only=True)
class VectorRecord:
    """One stored item: a vector with the text it stands for and JSON metadata."""

    id: str
    vector: Sequence[float]
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True, frozen=True)
class SearchHit:
    """A search result. `score` is cosine similarity for vector search (1 is identical),
    BM25 relevance for keyword search, fused rank score for hybrid search."""

    id: str
    score: float
    text: str
    metadata: dict[str, Any]


@dataclass(slots=True, kw_only=True, frozen=True)
class RejectedRecord:
    """A record an upsert refused, and why; the rest of its batch was written."""

    index: int
    error: InvalidRecordError


@dataclass(slots=True, kw_only=True)
class UpsertReport:
    """What an upsert did: ids written (inserted or replaced) and records refused."""

    written: list[str] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


@dataclass(slots=True, kw_only=True, frozen=True)
class CollectionInfo:
    """A collection's name, vector size, record count and the embedder that filled it."""

    name: str
    dimension: int
    count: int
    embedder: str | None

"""Hybrid search: reciprocal rank fusion of vector and keyword results."""

from __future__ import annotations

from collections.abc import Sequence

from .vector_records import SearchHit

__all__ = ["RRF_K", "fuse"]

#: The constant of reciprocal rank fusion (Cormack et al. 2009): rank r scores 1/(60 + r).
RRF_K = 60


def fuse(rankings: Sequence[Sequence[SearchHit]], k: int) -> list[SearchHit]:
    """The `k` best hits by summed reciprocal rank over `rankings`; a hit found by both
    searches beats one found by either alone at the same ranks."""
    scores: dict[str, float] = {}
    first_seen: dict[str, SearchHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (RRF_K + rank)
            first_seen.setdefault(hit.id, hit)
    best = sorted(scores, key=lambda rid: scores[rid], reverse=True)[:k]
    return [
        SearchHit(
            id=rid, score=scores[rid], text=first_seen[rid].text, metadata=first_seen[rid].metadata
        )
        for rid in best
    ]

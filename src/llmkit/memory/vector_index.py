"""`AnnIndex`: the embedded approximate nearest-neighbour index (usearch HNSW, cosine).

Chosen by measurement (bench/vector_index.py, docs/performance.md): at 100,000 x 384 it
answers in well under a millisecond at recall@10 0.99-1.0 with 16-bit storage, in an
11 MB package. usearch is imported on first use.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["HNSW_SETTINGS", "AnnIndex", "import_numpy"]

#: Graph degree 16, build beam 128, search beam 128: recall@10 1.00 on the benchmark.
HNSW_SETTINGS: dict[str, int] = {"connectivity": 16, "expansion_add": 128, "expansion_search": 128}


def import_numpy() -> Any:
    """numpy, or `ConfigError` naming the extra to install."""
    try:
        import numpy
    except ImportError:
        raise ConfigError("vector memory needs numpy: pip install 'llmkit[memory]'") from None
    return numpy


def _usearch_index() -> Any:
    # onnxruntime >= 1.23 segfaults when it is imported after usearch's extension (the other
    # order is fine), and a process that stores vectors usually embeds too: load it first.
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    try:
        from usearch.index import Index
    except ImportError:
        raise ConfigError("vector memory needs usearch: pip install 'llmkit[memory]'") from None
    return Index


class AnnIndex:
    """Unit vectors under integer keys; `search` returns (key, cosine similarity) pairs.

    Vectors are stored as float16, which halves memory and costs no measurable recall.
    Not thread-safe for writes: the vector store calls it from its one worker thread.
    """

    def __init__(self, dimension: int, *, threads: int = 1) -> None:
        self.dimension = dimension
        self.threads = threads
        self._index = _usearch_index()(ndim=dimension, metric="cos", dtype="f16", **HNSW_SETTINGS)

    @classmethod
    def load(cls, path: Path, dimension: int, *, threads: int = 1) -> AnnIndex | None:
        """The index saved at `path`, or None when it is missing, unreadable or another size."""
        if not path.is_file():
            return None
        try:
            restored = _usearch_index().restore(str(path))
        except (RuntimeError, ValueError, OSError):
            return None
        if restored is None or restored.ndim != dimension:
            return None
        restored.expansion_search = HNSW_SETTINGS["expansion_search"]
        index = cls.__new__(cls)
        index.dimension, index.threads, index._index = dimension, threads, restored
        return index

    def save(self, path: Path) -> None:
        """Write the index to `path` atomically (a temporary file, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        self._index.save(str(partial))
        partial.replace(path)

    @property
    def memory_bytes(self) -> int:
        """What the index holds in memory (vectors and graph), in bytes."""
        return int(self._index.memory_usage)

    def __len__(self) -> int:
        return len(self._index)

    def add(self, keys: Any, vectors: Any) -> None:
        """Add unit vectors (a float32 matrix) under new keys."""
        if len(keys):
            self._index.add(keys, vectors, threads=self.threads)

    def remove(self, keys: list[int]) -> None:
        """Forget these keys (unknown keys are ignored)."""
        if keys:
            self._index.remove(keys)

    def search(self, vector: Any, count: int) -> list[tuple[int, float]]:
        """Up to `count` nearest keys with their cosine similarity, best first."""
        if count <= 0 or len(self._index) == 0:
            return []
        matches = self._index.search(vector, count, threads=1)
        return [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
        ]

    def exact(self, vector: Any, keys: list[int], count: int) -> list[tuple[int, float]]:
        """The `count` best of `keys` by exact cosine similarity (for narrow filters)."""
        numpy = import_numpy()
        if not keys:
            return []
        matrix = numpy.asarray(self._index.get(numpy.asarray(keys), dtype=numpy.float32))
        scores = matrix @ vector
        order = numpy.argsort(-scores, kind="stable")[:count]
        return [(keys[i], float(scores[i])) for i in order]

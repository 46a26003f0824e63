"""The offline embedder against raw onnxruntime, and ingest throughput.

Both sides run the same all-MiniLM-L6-v2 int8 ONNX file on one onnxruntime thread, in
batches of 32, over the same 512 sentences, in alternating rounds; medians are compared.
The raw side is what a user would write by hand: tokenize, run, mean-pool, normalise.
llmkit's side goes through `Embedder.embed` (input checks, a worker thread, output checks).
Ingest throughput is `Memory.ingest` over a folder of Markdown files (chunking, embedding,
SQLite writes and the HNSW index), counted in chunks per second.

Run: ``python bench/embeddings.py [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import tokenizers

from llmkit.embeddings import LocalEmbedder
from llmkit.embeddings.local import MAX_TOKENS, minilm_files
from llmkit.memory import Memory

SUBJECTS = ["The engineer", "A small bakery", "Our database", "The river", "My neighbour"]
VERBS = ["rebuilt", "measured", "painted", "shipped", "forgot", "explained", "tested"]
OBJECTS = [
    "the old bridge",
    "a vector index",
    "fresh bread",
    "the quarterly report",
    "a red bicycle",
    "the migration plan",
    "twelve tomatoes",
    "the night train",
]
TAILS = [
    "before lunch.",
    "after a long argument about cost.",
    "in the rain.",
    "while the team watched closely and took careful notes.",
    "again.",
]
BATCH = 32


def sentences(count: int) -> list[str]:
    rng = random.Random(5)
    return [
        " ".join((rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(TAILS)))
        for _ in range(count)
    ]


class RawMiniLM:
    """all-MiniLM-L6-v2 called directly: the baseline."""

    def __init__(self) -> None:
        model, tokenizer = minilm_files()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding()

    def embed(self, texts: list[str]) -> Any:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def raw_round(raw: RawMiniLM, texts: list[str]) -> float:
    start = time.perf_counter()
    for first in range(0, len(texts), BATCH):
        raw.embed(texts[first : first + BATCH])
    return len(texts) / (time.perf_counter() - start)


async def llmkit_round(embedder: LocalEmbedder, texts: list[str]) -> float:
    start = time.perf_counter()
    await embedder.embed(texts)
    return len(texts) / (time.perf_counter() - start)


async def ingest_rate(embedder: LocalEmbedder, files: int) -> tuple[int, float]:
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as folder:
        docs = Path(folder) / "docs"
        docs.mkdir()
        for n in range(files):
            body = " ".join(rng.sample(sentences(400), 60))
            (docs / f"doc{n}.md").write_text(f"# Document {n}\n\n{body}\n", encoding="utf-8")
        memory = Memory(Path(folder) / "m.db", embedder=embedder)
        start = time.perf_counter()
        report = await memory.ingest(docs)
        elapsed = time.perf_counter() - start
        await memory.store.close()
    return report.chunks, report.chunks / elapsed


async def main(rounds: int, count: int) -> None:
    texts = sentences(count)
    raw, embedder = RawMiniLM(), LocalEmbedder(threads=1, batch_size=BATCH)
    embedder.load()
    raw_round(raw, texts[:BATCH])  # warm both sides up
    await llmkit_round(embedder, texts[:BATCH])
    raw_rates, llmkit_rates = [], []
    for _ in range(rounds):
        raw_rates.append(raw_round(raw, texts))
        llmkit_rates.append(await llmkit_round(embedder, texts))
    same = np.allclose(
        raw.embed(texts[:BATCH]), np.array(await embedder.embed(texts[:BATCH])), atol=1e-5
    )
    ratio = statistics.median(llmkit_rates) / statistics.median(raw_rates)
    print(
        f"all-MiniLM-L6-v2 int8 ONNX, 1 thread, batch {BATCH}, {count} sentences, "
        f"{rounds} alternating rounds"
    )
    print(f"{'':26}{'median sent/s':>14}{'min':>9}{'max':>9}")
    for name, rates in (("raw onnxruntime", raw_rates), ("llmkit LocalEmbedder", llmkit_rates)):
        print(f"{name:<26}{statistics.median(rates):>14.1f}{min(rates):>9.1f}{max(rates):>9.1f}")
    verdict = "ok" if ratio >= 0.95 else "BELOW TARGET"
    print(f"ratio llmkit/raw{ratio:>24.3f}   (target >= 0.95: {verdict})")
    print(f"identical vectors: {'yes' if same else 'no'}")
    chunks, rate = await ingest_rate(embedder, files=40)
    print(f"ingest: {chunks} chunks from 40 Markdown files at {rate:.1f} chunks/s")
    await embedder.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=512)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.sentences))

"""Embedders: batching and checks, OpenAI-format and Gemini embeddings over real loopback HTTP,
and the offline all-MiniLM-L6-v2 model running for real."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import numpy as np
import pytest

from llmkit.embeddings import (
    EmbeddingError,
    InvalidEmbeddingInputError,
    LocalEmbedder,
    ModelEmbedder,
    get_embedder,
)
from llmkit.errors import ConfigError, InvalidResponseError
from tests.provider_fixtures import model_at, serve
from tests.servers import (
    JsonReply,
    LoopbackServer,
    RawReply,
    fake_vector,
    gemini_default_handler,
    openai_default_handler,
)


@pytest.fixture
def openai_server() -> Iterator[LoopbackServer]:
    yield from serve(openai_default_handler)


@pytest.fixture
def gemini_server() -> Iterator[LoopbackServer]:
    yield from serve(gemini_default_handler)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalEmbedder]:
    embedder = LocalEmbedder()  # loaded once: every test below shares the real model
    yield embedder
    asyncio.run(embedder.aclose())


async def test_openai_format_embeddings_are_batched(openai_server: LoopbackServer) -> None:
    embedder = ModelEmbedder(model_at("openai:text-embedding-test", openai_server), batch_size=2)
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    vectors = await embedder.embed(texts)
    assert vectors == [fake_vector(t) for t in texts]
    assert [r.json["input"] for r in openai_server.requests] == [  # type: ignore[index]
        ["alpha", "beta"],
        ["gamma", "delta"],
        ["epsilon"],
    ]
    assert all(r.path == "/v1/embeddings" for r in openai_server.requests)
    assert embedder.dimension == 8 and embedder.name == "openai:text-embedding-test"
    await embedder.aclose()


async def test_gemini_embeddings(gemini_server: LoopbackServer) -> None:
    embedder = get_embedder(
        "gemini:text-embedding-004",
        base_url=gemini_server.url + "/v1beta",
        api_key="k",
        batch_size=100,
    )
    assert isinstance(embedder, ModelEmbedder)
    vectors = await embedder.embed(["one", "two"])
    assert len(vectors) == 2 and all(len(v) == 8 for v in vectors) and vectors[0] != vectors[1]
    assert gemini_server.last_request.path.endswith("text-embedding-004:batchEmbedContents")
    await embedder.aclose()


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (JsonReply(200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}]}), "got 1"),
        (
            RawReply(
                200,
                b'{"data": [{"index": 0, "embedding": [NaN, 1]},'
                b' {"index": 1, "embedding": [1, 2]}]}',
                content_type="application/json",
            ),
            "NaN or infinite values for text 0",
        ),
        (
            JsonReply(
                200,
                {
                    "data": [
                        {"index": 0, "embedding": [1.0, 2.0]},
                        {"index": 1, "embedding": [1.0, 2.0, 3.0]},
                    ]
                },
            ),
            "3-dimensional vector for text 1; expected 2",
        ),
    ],
)
async def test_bad_vectors_from_a_server_raise(
    openai_server: LoopbackServer, reply: JsonReply | RawReply, message: str
) -> None:
    openai_server.enqueue(reply)
    embedder = ModelEmbedder(model_at("openai:e", openai_server))
    with pytest.raises((EmbeddingError, InvalidResponseError), match=message):
        await embedder.embed(["a", "b"])
    await embedder.aclose()


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("a bare string", "sequence of strings"),
        (["fine", ""], "text 1 is empty"),
        (["fine", "   \n"], "text 1 is empty"),
        (["fine", 3], "text 1 must be a string"),
        (["lone \udc80 surrogate"], "lone surrogate '\\\\udc80' at position 5"),
    ],
)
async def test_bad_texts_are_refused_before_any_request(
    openai_server: LoopbackServer, texts: object, message: str
) -> None:
    embedder = ModelEmbedder(model_at("openai:e", openai_server))
    with pytest.raises(InvalidEmbeddingInputError, match=message):
        await embedder.embed(texts)  # type: ignore[arg-type]
    assert openai_server.requests == []
    await embedder.aclose()


def test_get_embedder_names() -> None:
    assert isinstance(get_embedder("local"), LocalEmbedder)
    with pytest.raises(ConfigError, match="unknown provider"):
        get_embedder("nosuch:model")
    with pytest.raises(ConfigError):
        get_embedder("")
    with pytest.raises(ConfigError, match="batch_size"):
        ModelEmbedder(get_embedder("openai:e", api_key="k").model, batch_size=0)  # type: ignore[attr-defined]


async def test_local_model_embeds_by_meaning(local: LocalEmbedder) -> None:
    vectors = np.array(
        await local.embed(
            [
                "The cat is sleeping on the sofa.",
                "A kitten naps on the couch.",
                "Interest rates were raised by the central bank.",
            ]
        )
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.5 > unrelated + 0.3


async def test_local_batches_match_single_texts(local: LocalEmbedder) -> None:
    texts = ["short", "a much longer sentence that needs padding in a batch " * 3, "NUL\x00ok"]
    together = await local.embed(texts)
    alone = [await local.embed_one(t) for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-4
    assert all(math.isfinite(x) for x in together[2])


async def test_a_closed_local_embedder_raises() -> None:
    embedder = LocalEmbedder()
    await embedder.aclose()
    with pytest.raises(EmbeddingError, match="closed"):
        await embedder.embed(["x"])


async def test_local_long_text_is_truncated_not_rejected(local: LocalEmbedder) -> None:
    vector = await local.embed_one("word " * 5000)
    assert len(vector) == 384

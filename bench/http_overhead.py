"""llmkit's OpenAI-format model vs raw httpx, same requests, same loopback server, same run.

    python bench/http_overhead.py [--requests 1000] [--chunks 100] [--rounds 5]

The server runs in its own process. Rounds alternate raw and llmkit so drift in machine load
hits both alike; each side's time is the sum over its rounds. The raw baseline does what a
careful user of httpx would: a pooled AsyncClient, json.loads of each reply or SSE chunk, the
reply text joined, and each stream read to its end so its connection is reused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from _server import openai_server
from llmkit import Message, OpenAIChatModel, get_model

BODY = {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}


async def raw_request(client: httpx.AsyncClient, url: str) -> str:
    response = await client.post(url, json=BODY)
    response.raise_for_status()
    return str(json.loads(response.content)["choices"][0]["message"]["content"])


async def raw_stream(client: httpx.AsyncClient, url: str) -> str:
    body = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
    parts: list[str] = []
    async with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                continue  # read to the end so the connection returns to the pool
            for choice in json.loads(data)["choices"]:
                content = choice["delta"].get("content")
                if content:
                    parts.append(content)
    return "".join(parts)


async def llmkit_request(model: OpenAIChatModel, messages: list[Message]) -> str:
    return (await model.request(messages)).text


async def llmkit_stream(model: OpenAIChatModel, messages: list[Message]) -> str:
    async with model.stream(messages) as stream:
        async for _ in stream:
            pass
    return stream.response.text


async def measure(
    base_url: str, *, requests: int, rounds: int, stream: bool
) -> tuple[float, float]:
    client = httpx.AsyncClient(timeout=60)
    model = get_model("openai-compatible:bench", base_url=base_url)
    assert isinstance(model, OpenAIChatModel)
    messages = [Message.user("hi")]
    url = base_url + "/chat/completions"
    per_round = requests // rounds
    raw_total = llmkit_total = 0.0
    # Warm both pools and check both sides see the same reply.
    raw_text = await (raw_stream(client, url) if stream else raw_request(client, url))
    kit_text = await (llmkit_stream(model, messages) if stream else llmkit_request(model, messages))
    assert raw_text == kit_text, (raw_text[:40], kit_text[:40])
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            await (raw_stream(client, url) if stream else raw_request(client, url))
        raw_total += time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(per_round):
            await (llmkit_stream(model, messages) if stream else llmkit_request(model, messages))
        llmkit_total += time.perf_counter() - start
    await client.aclose()
    await model.aclose()
    return raw_total, llmkit_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'case':<34}{'raw httpx':>12}{'llmkit':>12}{'ratio':>8}")
    with openai_server(args.chunks) as base_url:
        for stream in (False, True):
            raw, kit = asyncio.run(
                measure(base_url, requests=args.requests, rounds=args.rounds, stream=stream)
            )
            label = (
                f"{args.requests} streamed x {args.chunks} chunks"
                if stream
                else f"{args.requests} requests"
            )
            print(f"{label:<34}{raw:>11.2f}s{kit:>11.2f}s{kit / raw:>8.3f}")


if __name__ == "__main__":
    main()

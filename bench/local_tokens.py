"""Streaming tokens/second: llmkit's `LocalModel` against raw llama-cpp-python.

Both sides load the same GGUF file alike (n_ctx 2048, 1 thread), get the same prompt and
settings (temperature 0, max_tokens 128) and run in alternating rounds; medians are compared.
Greedy decoding makes both produce the same tokens, so one token count serves both.

Run: ``python bench/local_tokens.py [--rounds 7] [--max-tokens 128]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from llama_cpp import Llama

from llmkit.messages import Message
from llmkit.models.local import LocalModel
from llmkit.models.request import ModelSettings

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."


def raw_round(llm: Llama, max_tokens: int) -> tuple[float, str]:
    start = time.perf_counter()
    parts: list[str] = []
    chunks: Any = llm.create_chat_completion(
        messages=[{"role": "user", "content": PROMPT}],
        temperature=0,
        max_tokens=max_tokens,
        stream=True,
    )
    for chunk in chunks:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            parts.append(text)
    return time.perf_counter() - start, "".join(parts)


async def llmkit_round(model: LocalModel, max_tokens: int) -> tuple[float, str, int]:
    start = time.perf_counter()
    settings = ModelSettings(temperature=0, max_tokens=max_tokens)
    async with model.stream([Message.user(PROMPT)], settings=settings) as stream:
        async for _ in stream:
            pass
    elapsed = time.perf_counter() - start
    return elapsed, stream.response.text, stream.response.usage.output_tokens


async def main(rounds: int, max_tokens: int) -> None:
    model = LocalModel(n_threads=1)
    raw = Llama(
        model_path=model.model_path,
        n_ctx=model.n_ctx,
        n_threads=1,
        n_threads_batch=1,
        verbose=False,
    )
    # Warm-up: load llmkit's weights and fill both prompt caches.
    raw_round(raw, max_tokens)
    await llmkit_round(model, max_tokens)

    raw_rates: list[float] = []
    kit_rates: list[float] = []
    same = True
    for _ in range(rounds):
        kit_time, kit_text, tokens = await llmkit_round(model, max_tokens)
        raw_time, raw_text = raw_round(raw, max_tokens)
        if raw_text != kit_text:  # should not happen at temperature 0; count raw tokens itself
            same = False
            raw_tokens = len(raw.tokenize(raw_text.encode(), add_bos=False, special=True))
        else:
            raw_tokens = tokens
        kit_rates.append(tokens / kit_time)
        raw_rates.append(raw_tokens / raw_time)
    await model.aclose()
    raw.close()

    raw_med, kit_med = statistics.median(raw_rates), statistics.median(kit_rates)
    print(
        f"SmolLM2-135M Q4_1, n_threads=1, temperature 0, max_tokens {max_tokens}, "
        f"{rounds} alternating rounds, {tokens} tokens per round"
    )
    print(f"{'':24}{'median tok/s':>14}{'min':>9}{'max':>9}")
    for name, rates in (("raw llama-cpp-python", raw_rates), ("llmkit LocalModel", kit_rates)):
        print(f"{name:24}{statistics.median(rates):14.1f}{min(rates):9.1f}{max(rates):9.1f}")
    ratio = kit_med / raw_med
    verdict = "ok" if ratio >= 0.95 else "BELOW TARGET"
    print(f"{'ratio llmkit/raw':24}{ratio:14.3f}   (target >= 0.95: {verdict})")
    print(f"identical output text: {'yes' if same else 'no'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.max_tokens))

"""Answer a prompt with the default model (the in-process SmolLM2 when nothing is configured)."""

import asyncio
import sys

import llmkit


async def main() -> None:
    prompt = " ".join(sys.argv[1:]) or "What is the capital of France? Answer in one sentence."
    model = llmkit.get_model()  # LLMKIT_MODEL or llmkit.toml may name another model
    try:
        reply = await model.request([llmkit.Message.user(prompt)])
    finally:
        await model.aclose()
    print(f"[{model.name}] {reply.text.strip()}")


if __name__ == "__main__":
    asyncio.run(main())

"""Ingest a folder of documents, then answer questions with a retrieval tool.

python examples/rag/ask_docs.py                 # a scripted model, no network
python examples/rag/ask_docs.py local:smollm2   # the in-process local model

The documents (Markdown, HTML and text in examples/rag/docs) are chunked and embedded
offline by all-MiniLM-L6-v2 into an SQLite vector store; the agent's `search_memory` tool
returns the best passages with their sources.
"""

import asyncio
import sys
import tempfile
from pathlib import Path

from llmkit.agents import Agent, LimitExceeded, UsageLimits
from llmkit.memory import Memory
from llmkit.messages import ToolResultPart
from llmkit.testing import ScriptedModel, ToolCall

DOCS = Path(__file__).parent / "docs"
QUESTIONS = [
    ("How often should I descale the kettle?", "Once a month, with water and vinegar."),
    ("How many days do I have to return an item?", "30 days from delivery."),
    ("What does the warranty not cover?", "Limescale damage, drops and wrong voltage."),
]


def scripted() -> ScriptedModel:
    """A stand-in model: it searches with the question, then gives the scripted answer."""
    replies: list[ToolCall | str] = []
    for question, answer in QUESTIONS:
        replies += [ToolCall(name="search_memory", args={"query": question}), answer]
    return ScriptedModel(replies)


def first_source(messages: list) -> str:
    """The source of the best passage the tool returned (its first line)."""
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolResultPart) and part.content.startswith("[1]"):
                return part.content.split("(source: ", 1)[1].split(")", 1)[0]
    return "none"


async def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else scripted()
    with tempfile.TemporaryDirectory() as folder:
        async with Memory(Path(folder) / "memory.db", collection="docs") as memory:
            report = await memory.ingest(DOCS)
            print(f"ingested {report.files} files, {report.chunks} chunks")
            agent = Agent(
                model,
                instructions=(
                    "Call search_memory once with the question, then answer in one short "
                    "sentence from the passages it returns. Do not call it again."
                ),
                tools=[memory.as_tool(k=2, max_tokens=200)],
                # After one search the model must answer: small local models would search on.
                max_tool_rounds=1,
                limits=UsageLimits(max_steps=4),
            )
            for question, _ in QUESTIONS:
                try:
                    result = await agent.run(question)
                except LimitExceeded as exc:
                    print(f"Q: {question}\nA: stopped by {exc}")
                    continue
                answer = " ".join(result.output.split())  # one line, whatever the model wrote
                print(f"Q: {question}\nA: {answer} [{first_source(result.messages)}]")


if __name__ == "__main__":
    asyncio.run(main())

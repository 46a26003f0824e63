"""A conversation resumed from SQLite: each run of this script is a new process that
continues the same conversation.

    python examples/conversation.py DB_FILE "My name is Ada."
    python examples/conversation.py DB_FILE "What is my name?"
"""

import asyncio
import sys

from llmkit.agents import Agent
from llmkit.memory import Conversation, ConversationStore, HistoryWindow
from llmkit.testing import FunctionModel, RecordedRequest


def remembering_model(request: RecordedRequest) -> str:
    # Stands in for a real model: it can only know the name if the history was sent.
    said = [m.text for m in request.messages if m.role == "user"]
    names = [text.rsplit(" ", 1)[-1].rstrip(".") for text in said if "name is" in text]
    if said[-1].endswith("?"):
        return f"Your name is {names[-1]}." if names else "I don't know your name."
    return "Nice to meet you."


async def main(path: str, text: str) -> None:
    agent = Agent(FunctionModel(remembering_model), instructions="Remember what you are told.")
    async with ConversationStore(path) as store:
        conversation = Conversation(store, "user-42", window=HistoryWindow(max_messages=20))
        result = await agent.run(text, conversation=conversation)
        print(result.output)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

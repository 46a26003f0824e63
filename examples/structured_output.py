"""Structured output: the agent's answer is a validated pydantic object.

python examples/structured_output.py                # a scripted model, no network
python examples/structured_output.py local:smollm2  # the local model, JSON-schema mode
"""

import asyncio
import sys

from pydantic import BaseModel

from llmkit.agents import Agent, LimitExceeded
from llmkit.testing import ScriptedModel, ToolCall


class Capital(BaseModel):
    country: str
    city: str


async def main() -> None:
    if len(sys.argv) > 1:
        # Small local models do best with the provider's JSON-schema mode (a grammar).
        agent = Agent(sys.argv[1], output_type=Capital, output_strategy="native")
    else:
        agent = Agent(
            ScriptedModel(
                [
                    ToolCall(name="final_result", args={"country": "France"}),  # missing city
                    ToolCall(name="final_result", args={"country": "France", "city": "Paris"}),
                ]
            ),
            output_type=Capital,
        )
    try:
        result = await agent.run("What is the capital of France?")
        print(repr(result.output))
    except LimitExceeded as stopped:
        print(f"no valid answer: {stopped}")
    finally:
        await agent.model.aclose()


if __name__ == "__main__":
    asyncio.run(main())

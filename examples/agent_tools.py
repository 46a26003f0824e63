"""A tool-using agent: the model calls tools, gets results, and answers.

python examples/agent_tools.py              # a scripted model, no network
python examples/agent_tools.py local:smollm2
"""

import asyncio
import sys

from llmkit.agents import Agent, LimitExceeded, UsageLimits
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool


@tool
def add(a: int, b: int) -> int:
    """Add two whole numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two whole numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a * b


async def main() -> None:
    model = (
        sys.argv[1]
        if len(sys.argv) > 1
        else ScriptedModel(
            [
                [
                    ToolCall(name="add", args={"a": 2, "b": 3}),
                    ToolCall(name="multiply", args={"a": 5, "b": 7}),
                ],
                "2 + 3 = 5, and 5 x 7 = 35.",
            ]
        )
    )
    agent = Agent(
        model,
        instructions="Use the tools for arithmetic, then answer in one sentence.",
        tools=[add, multiply],
        # Two rounds of tool calls, then the model must answer (small models would go on).
        max_tool_rounds=2,
        limits=UsageLimits(max_steps=4),
    )
    try:
        result = await agent.run("What is 2 + 3, and what is 5 times 7?")
        print(result.output.strip() or "(no text)")
    except LimitExceeded as stopped:
        # Small local models may keep calling tools; the limit ends the run, nothing is lost.
        results = [p for m in stopped.messages if m.role == "tool" for p in m.parts]
        print(f"stopped by {stopped.limit} after {len(results)} tool results")
    finally:
        await agent.model.aclose()


if __name__ == "__main__":
    asyncio.run(main())

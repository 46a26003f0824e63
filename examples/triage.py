"""Delegation: a triage agent hands the conversation to one of two specialists.

Run it as is (scripted models, no network), or with LLMKIT_MODEL set to use a real model.
"""

import asyncio
import os

from llmkit.agents import Agent
from llmkit.testing import ScriptedModel, ToolCall
from llmkit.tools import tool


@tool
def refund_status(order_id: str) -> str:
    """Where a refund stands.

    Args:
        order_id: The order number, like A-1001.
    """
    return f"Refund for {order_id} was sent on Monday."


def build(real_model: str | None) -> Agent:
    def model(*replies: object) -> object:
        return real_model or ScriptedModel(list(replies))  # type: ignore[arg-type]

    billing = Agent(
        model(
            ToolCall(name="refund_status", args={"order_id": "A-1001"}),
            "Your refund for A-1001 was sent on Monday.",
        ),
        name="billing",
        description="Payments, invoices and refunds.",
        instructions="You handle billing questions. Use your tools.",
        tools=[refund_status],
    )
    technical = Agent(
        model("Try restarting the router."),
        name="technical",
        description="Devices, connections and errors.",
        instructions="You solve technical problems.",
    )
    return Agent(
        model(ToolCall(name="transfer_to_billing")),
        name="triage",
        instructions="Send each customer to the right specialist.",
        handoffs=[billing, technical],
    )


async def main() -> None:
    triage = build(os.environ.get("LLMKIT_MODEL"))
    result = await triage.run("Where is my refund for order A-1001?")
    print(result.output)


if __name__ == "__main__":
    asyncio.run(main())

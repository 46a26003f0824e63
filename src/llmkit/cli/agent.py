"""``llmkit agent run FILE INPUT``: run an agent declared in a file."""

from __future__ import annotations

import argparse
import json
import sys

from ..agents.agent import Agent
from ..agents.events import RunFinished, TextDeltaEvent
from ..agents.result import RunResult
from ..events.bus import EventBus
from ..events.recording import JsonlRecorder
from ..hooks.builtin.event_hooks import EventHooks
from ..tools.results import serialize_result

__all__ = ["run_agent"]


async def run_agent(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.input == "-" else args.input
    agent = Agent.from_file(args.file, model=args.model)
    recorder = _record(agent, args.record) if args.record else None
    result: RunResult[object] | None = None
    try:
        if args.stream and not args.json:
            async for event in agent.run_stream(text):
                if isinstance(event, TextDeltaEvent):
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                elif isinstance(event, RunFinished):
                    result = event.result
            print()
        else:
            result = await agent.run(text)
    finally:
        await agent.model.aclose()
        if recorder is not None:
            await recorder.aclose()
    assert result is not None
    if result.paused is not None:
        print(json.dumps({"paused": json.loads(result.paused.to_json())}))
        return 0
    if args.json:
        usage = result.usage
        print(
            json.dumps(
                {
                    "output": result.output,
                    "run_id": result.run_id,
                    "usage": {
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "requests": usage.requests,
                    },
                },
                default=str,
            )
        )
    elif not args.stream:
        print(serialize_result(result.output))
    return 0


def _record(agent: Agent, path: str) -> JsonlRecorder:
    """Publish the run's events and append them to `path` as they happen."""
    bus = EventBus()
    recorder = JsonlRecorder(path)
    recorder.attach(bus)
    EventHooks(bus).install(agent.hooks)
    return recorder

"""``llmkit tools list`` and ``llmkit tools call NAME JSON``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..agents.definition import builtin_tools
from ..tools.base import RunContext, ToolError
from ..tools.results import serialize_result

__all__ = ["run_tools"]


async def run_tools(args: argparse.Namespace) -> int:
    tools = builtin_tools()
    if args.tools_command == "list":
        if args.json:
            rows = [
                {
                    "name": t.name,
                    "description": t.description,
                    "capabilities": sorted(t.capabilities),
                    "parameters": t.definition.parameters,
                }
                for t in tools.values()
            ]
            print(json.dumps(rows, indent=2))
        else:
            width = max(len(name) for name in tools)
            for tool in tools.values():
                caps = ",".join(sorted(tool.capabilities)) or "-"
                summary = tool.description.split("\n", 1)[0]
                print(f"{tool.name:<{width}}  {caps:<8}  {summary}")
        return 0
    chosen = tools.get(args.name)
    if chosen is None:
        print(
            f"llmkit tools: unknown tool {args.name!r}; available: {', '.join(tools)}",
            file=sys.stderr,
        )
        return 2
    try:
        arguments = json.loads(args.arguments)
    except ValueError as exc:
        print(f"llmkit tools: arguments are not JSON: {exc}", file=sys.stderr)
        return 2
    if not isinstance(arguments, dict):
        print("llmkit tools: arguments must be a JSON object", file=sys.stderr)
        return 2
    policy = _policy(args)
    policy.check_capabilities(chosen.capabilities)
    ctx: RunContext[Any] = RunContext(deps=None, run_id="cli", policy=policy)
    try:
        value = await chosen.call(ctx, arguments)
    except ToolError as exc:
        print(f"llmkit tools: {args.name}: {exc}", file=sys.stderr)
        return 1
    print(serialize_result(value))
    return 0


def _policy(args: argparse.Namespace) -> Any:
    from ..policy import NetworkPolicy, Policy, ProcessPolicy, Workspace

    return Policy(
        workspace=Workspace(Path(args.workspace), write=args.write) if args.workspace else None,
        network=NetworkPolicy(args.allow_host) if args.allow_host else None,
        processes=ProcessPolicy(args.allow_program) if args.allow_program else None,
    )

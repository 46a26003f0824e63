"""The ``llmkit`` command: ``ask``, ``chat`` and ``models``.

Exit codes: 0 success, 1 other llmkit error, 2 usage error, 3 configuration error,
4 provider error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from ..errors import ConfigError, LLMKitError, ProviderError
from .script import add_script_commands
from .script_test import add_test_command
from .workflow_args import add_workflow_parser

__all__ = ["EXIT_CONFIG", "EXIT_OTHER", "EXIT_PROVIDER", "EXIT_USAGE", "build_parser", "main"]

EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_PROVIDER = 4
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the CLI reference in docs is generated from it."""
    parser = argparse.ArgumentParser(
        prog="llmkit", description="Talk to language models from the command line."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ask = commands.add_parser("ask", help="answer one prompt", description="Answer one prompt.")
    ask.add_argument("prompt", nargs="?", help="the prompt ('-' or omitted: read stdin)")
    _model_options(ask)
    ask.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object with text, usage and model"
    )

    chat = commands.add_parser(
        "chat",
        help="chat interactively, keeping history",
        description="Chat with a model. Type /reset to forget the history, /exit to leave.",
    )
    _model_options(chat)

    models = commands.add_parser(
        "models",
        help="list providers, whether their keys are set, and the default model",
        description="List providers, whether their keys are set, and the default model.",
    )
    models.add_argument("--json", action="store_true", help="print JSON")

    agent = commands.add_parser("agent", help="run agents declared in YAML or JSON files")
    agent_commands = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    agent_run = agent_commands.add_parser(
        "run", help="run an agent file on one input", description="Run an agent file."
    )
    agent_run.add_argument("file", help="the agent definition (.yaml, .yml or .json)")
    agent_run.add_argument("input", help="the user's message ('-' reads stdin)")
    agent_run.add_argument("-m", "--model", help="override the file's model")
    agent_run.add_argument("--stream", action="store_true", help="print text as it arrives")
    agent_run.add_argument("--json", action="store_true", help="print output, usage and run id")
    agent_run.add_argument(
        "--record", metavar="FILE", help="record the run's events as JSON lines in FILE"
    )

    events = commands.add_parser("events", help="watch or replay recorded events")
    event_commands = events.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    events_tail = event_commands.add_parser(
        "tail", help="follow a recording as it grows", description="Print new events of FILE."
    )
    events_tail.add_argument("pattern", nargs="?", default="**", help="e.g. 'tool.**'")
    events_tail.add_argument("--file", required=True, help="a JSON lines recording")
    events_replay = event_commands.add_parser(
        "replay", help="replay a recording", description="Replay a JSONL or SQLite recording."
    )
    events_replay.add_argument("file", help="the recording")
    events_replay.add_argument(
        "--speed", type=float, default=0.0, help="1 = real time, 0 = as fast as possible (default)"
    )
    events_replay.add_argument(
        "--seek",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="skip the first SECONDS of the recording",
    )
    events_replay.add_argument("--pattern", default="**", help="only events matching it")

    tools = commands.add_parser("tools", help="list or call the built-in tools")
    tool_commands = tools.add_subparsers(dest="tools_command", metavar="ACTION", required=True)
    tools_list = tool_commands.add_parser("list", help="list the built-in tools")
    tools_list.add_argument("--json", action="store_true", help="print names and schemas")
    tools_call = tool_commands.add_parser(
        "call",
        help="call a built-in tool with JSON arguments",
        description="Call a tool. Nothing is granted unless a flag grants it.",
    )
    tools_call.add_argument("name", help="the tool's name")
    tools_call.add_argument("arguments", nargs="?", default="{}", help="a JSON object")
    tools_call.add_argument("--workspace", metavar="DIR", help="grant file reading in DIR")
    tools_call.add_argument("--write", action="store_true", help="also grant writing there")
    tools_call.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST", help="grant HTTP to HOST"
    )
    tools_call.add_argument(
        "--allow-program",
        action="append",
        default=[],
        metavar="NAME",
        help="grant running the program NAME",
    )
    add_workflow_parser(commands)
    add_script_commands(commands)
    add_test_command(commands)
    from .memory import add_memory_parser

    add_memory_parser(commands)
    return parser


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", help="provider:model (default: the configured default)")
    parser.add_argument("--system", metavar="TEXT", help="a system prompt")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="limit the answer's length")
    parser.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ask":
            from .ask import run_ask

            return asyncio.run(run_ask(args))
        if args.command == "chat":
            from .chat import run_chat

            return asyncio.run(run_chat(args))
        if args.command == "agent":
            from .agent import run_agent

            return asyncio.run(run_agent(args))
        if args.command == "events":
            from .events import run_events

            return asyncio.run(run_events(args))
        if args.command in ("run", "exec", "repl"):
            from .script import run_script_command

            return run_script_command(args)
        if args.command == "test":
            from .script_test import run_test_command

            return run_test_command(args)
        if args.command == "memory":
            from .memory import run_memory

            return asyncio.run(run_memory(args))
        if args.command == "tools":
            from .tools import run_tools

            return asyncio.run(run_tools(args))
        if args.command == "workflow":
            from .workflow import run_workflow

            return asyncio.run(run_workflow(args))
        from .models import run_models

        return run_models(args)
    except ConfigError as exc:
        print(f"llmkit: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ProviderError as exc:
        print(f"llmkit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_PROVIDER
    except LLMKitError as exc:
        print(f"llmkit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_OTHER
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`llmkit ... | head`): stop quietly, as Unix tools do, and keep
        # the interpreter's final flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OTHER


if __name__ == "__main__":
    sys.exit(main())

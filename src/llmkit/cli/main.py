"""The ``llmkit`` command: ``ask``, ``chat`` and ``models``.

Exit codes: 0 success, 1 other llmkit error, 2 usage error, 3 configuration error,
4 provider error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ..errors import ConfigError, LLMKitError, ProviderError

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


if __name__ == "__main__":
    sys.exit(main())

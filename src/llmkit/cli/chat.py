"""``llmkit chat``: an interactive conversation that keeps its history."""

from __future__ import annotations

import argparse
import sys

from ..errors import ProviderError
from ..messages import Message
from .session import make_model, make_settings, take_turn

__all__ = ["run_chat"]


async def run_chat(args: argparse.Namespace) -> int:
    model = make_model(args)
    settings = make_settings(args)
    system = [Message.system(args.system)] if args.system else []
    history: list[Message] = []
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"Chatting with {model.name}. /reset forgets, /exit leaves.", file=sys.stderr)
    try:
        while True:
            if interactive:
                print("> ", end="", flush=True, file=sys.stderr)
            line = sys.stdin.readline()
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/exit", "/quit"):
                break
            if text == "/reset":
                history.clear()
                print("(history cleared)", file=sys.stderr)
                continue
            history.append(Message.user(text))
            try:
                response = await take_turn(model, system + history, settings, stream=True)
            except ProviderError as exc:
                # Keep the session: drop the unanswered turn and let the user try again.
                history.pop()
                print(f"\nllmkit: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            print()
            history.append(response.message)
    finally:
        await model.aclose()
    return 0

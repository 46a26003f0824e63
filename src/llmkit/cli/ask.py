"""``llmkit ask``: one prompt, one answer."""

from __future__ import annotations

import argparse
import json
import sys

from ..messages import Message
from .session import make_model, make_settings, take_turn

__all__ = ["run_ask"]


async def run_ask(args: argparse.Namespace) -> int:
    prompt = args.prompt
    if prompt in (None, "-"):
        if sys.stdin.isatty():
            print("llmkit ask: give a PROMPT or pipe one on stdin", file=sys.stderr)
            return 2
        prompt = sys.stdin.read()
    if not prompt.strip():
        print("llmkit ask: the prompt is empty", file=sys.stderr)
        return 2
    model = make_model(args)
    messages = [Message.system(args.system)] if args.system else []
    messages.append(Message.user(prompt))
    try:
        stream_text = args.stream and not args.json
        response = await take_turn(model, messages, make_settings(args), stream=stream_text)
    finally:
        await model.aclose()
    if args.json:
        usage = response.usage
        print(
            json.dumps(
                {
                    "text": response.text,
                    "model": model.name,
                    "finish_reason": response.finish_reason,
                    "usage": {
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "total_tokens": usage.total_tokens,
                    },
                },
                ensure_ascii=False,
            )
        )
    elif stream_text:
        print()
    else:
        print(response.text)
    return 0

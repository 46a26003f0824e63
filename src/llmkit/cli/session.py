"""What `ask` and `chat` share: building the model, the settings and one streamed or whole turn."""

from __future__ import annotations

import argparse
import sys

from ..messages import Message
from ..models.base import Model
from ..models.request import ModelResponse, ModelSettings
from ..models.stream import TextDelta
from .spinner import Spinner

__all__ = ["make_model", "make_settings", "take_turn"]


def make_model(args: argparse.Namespace) -> Model:
    from ..providers.resolve import get_model

    return get_model(args.model)


def make_settings(args: argparse.Namespace) -> ModelSettings | None:
    if args.max_tokens is None and args.temperature is None:
        return None
    return ModelSettings(max_tokens=args.max_tokens, temperature=args.temperature)


async def take_turn(
    model: Model, messages: list[Message], settings: ModelSettings | None, *, stream: bool
) -> ModelResponse:
    """One request; when streaming, text is printed to stdout as it arrives."""
    spinner = Spinner(sys.stderr)
    async with spinner:
        if not stream:
            return await model.request(messages, settings=settings)
        async with model.stream(messages, settings=settings) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    await spinner.stop()
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            return events.response

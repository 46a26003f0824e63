"""`FunctionModel`: a Python function decides each reply."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from .replies import InProcessModel, RecordedRequest, Reply

__all__ = ["FunctionModel", "ReplyFunction"]

ReplyFunction = Callable[[RecordedRequest], Reply | Awaitable[Reply]]


class FunctionModel(InProcessModel):
    """A model whose every reply is `fn(request)`; `fn` may be sync or async.

    The request carries the messages, tools and settings the caller sent, so `fn` can answer
    the way a real model would (call a tool when tools are offered, then answer in text).
    """

    def __init__(
        self, fn: ReplyFunction, *, model_name: str = "function", chunk_size: int = 4
    ) -> None:
        super().__init__(model_name=model_name, provider_name="test", chunk_size=chunk_size)
        self.fn = fn

    async def _reply(self, request: RecordedRequest) -> Reply:
        reply = self.fn(request)
        if inspect.isawaitable(reply):
            return await reply
        return reply

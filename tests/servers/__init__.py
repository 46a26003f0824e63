"""Loopback HTTP servers that speak the OpenAI, Anthropic and Gemini wire formats."""

from . import anthropic_wire, gemini_wire, openai_wire
from .anthropic_wire import anthropic_default_handler
from .gemini_wire import gemini_default_handler
from .http import LoopbackServer
from .openai_wire import openai_default_handler, openai_stream_handler
from .replies import (
    CloseWithoutResponse,
    Delayed,
    Fault,
    Handler,
    JsonReply,
    Pause,
    RawReply,
    RecordedRequest,
    Reply,
    ResetConnection,
    StreamItem,
    StreamReply,
    TruncatedBody,
)
from .scripted import ScriptedHandler
from .sse import SSEEvent, parse_sse, sse, sse_done
from .synth import count_tokens, fake_vector, split_text

__all__ = [
    "CloseWithoutResponse",
    "Delayed",
    "Fault",
    "Handler",
    "JsonReply",
    "LoopbackServer",
    "Pause",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ResetConnection",
    "SSEEvent",
    "ScriptedHandler",
    "StreamItem",
    "StreamReply",
    "TruncatedBody",
    "anthropic_default_handler",
    "anthropic_wire",
    "count_tokens",
    "fake_vector",
    "gemini_default_handler",
    "gemini_wire",
    "openai_default_handler",
    "openai_stream_handler",
    "openai_wire",
    "parse_sse",
    "split_text",
    "sse",
    "sse_done",
]

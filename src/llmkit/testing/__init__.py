"""Test doubles that ship with llmkit: models that answer from a script or a function, and
a guard that keeps tests off the network. Never used on a production path."""

from .function import FunctionModel, ReplyFunction
from .network import NetworkBlockedError, block_network
from .replies import RecordedRequest, Reply, ToolCall, last_user_text
from .scripted import ScriptedModel

__all__ = [
    "FunctionModel",
    "NetworkBlockedError",
    "RecordedRequest",
    "Reply",
    "ReplyFunction",
    "ScriptedModel",
    "ToolCall",
    "block_network",
    "last_user_text",
]

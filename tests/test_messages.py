"""Messages and parts: constructors, keyword-only slots, and the one JSON round trip."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from llmkit import (
    ImagePart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
    messages_from_json,
    messages_to_json,
)


def conversation() -> list[Message]:
    return [
        Message.system("be brief"),
        Message.user(
            [TextPart(text="what is this?"), ImagePart.from_bytes(b"\x89PNG", "image/png")]
        ),
        Message.assistant(
            [
                TextPart(text="let me look"),
                ToolCallPart(id="c1", name="lookup", arguments={"q": "png", "n": 2}),
                ToolCallPart.from_raw(id="c2", name="broken", raw_arguments='{"q": '),
            ]
        ),
        Message.tool_results(
            [ToolResultPart(tool_call_id="c1", name="lookup", content="an image")]
        ),
        Message.assistant("It is a PNG."),
    ]


def test_json_round_trip_is_lossless() -> None:
    original = conversation()
    restored = messages_from_json(messages_to_json(original))
    assert restored == original
    assert type(restored[1].parts[1]) is ImagePart
    assert type(restored[2].parts[2]) is ToolCallPart


def test_parts_carry_kind_discriminators() -> None:
    assert [p.kind for p in conversation()[2].parts] == ["text", "tool_call", "tool_call"]
    assert b'"kind":"tool_result"' in messages_to_json(conversation())


def test_dataclasses_are_slotted_and_keyword_only() -> None:
    for cls in (Message, TextPart, ImagePart, ToolCallPart, ToolResultPart, Usage):
        assert "__slots__" in cls.__dict__, cls
        assert all(f.kw_only for f in dataclasses.fields(cls)), cls
    with pytest.raises(TypeError):
        TextPart("positional")  # type: ignore[misc]


def test_invalid_tool_arguments_keep_the_raw_text() -> None:
    part = ToolCallPart.from_raw(id="x", name="f", raw_arguments='{"a": 1')
    assert not part.valid
    assert part.arguments is None
    assert part.raw_arguments == '{"a": 1'
    assert "not valid JSON" in (part.invalid_reason or "")
    assert part.arguments_json() == '{"a": 1'


def test_tool_arguments_must_be_an_object() -> None:
    part = ToolCallPart.from_raw(id="x", name="f", raw_arguments="[1, 2]")
    assert not part.valid
    assert "JSON object" in (part.invalid_reason or "")
    empty = ToolCallPart.from_raw(id="y", name="f", raw_arguments="")
    assert empty.valid and empty.arguments == {}


def test_message_text_and_tool_calls() -> None:
    msg = conversation()[2]
    assert msg.text == "let me look"
    assert [c.id for c in msg.tool_calls] == ["c1", "c2"]


def test_image_from_bytes_round_trips_its_data() -> None:
    part = ImagePart.from_bytes(b"abc", "image/jpeg")
    assert part.data() == ("image/jpeg", b"abc")
    assert ImagePart(url="https://example.org/cat.png").data() is None


def test_usage_adds_up() -> None:
    total = Usage(input_tokens=3, output_tokens=4, requests=1) + Usage(
        input_tokens=1, output_tokens=1, cache_read_tokens=2, requests=1
    )
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (4, 5, 9)
    assert (total.cache_read_tokens, total.requests) == (2, 2)


def test_bad_json_is_a_validation_error_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        messages_from_json(b'[{"role": "robot", "parts": []}]')
    assert "role" in str(info.value)
    with pytest.raises(ValidationError):
        messages_from_json(b'[{"role": "user", "parts": [{"kind": "video"}]}]')

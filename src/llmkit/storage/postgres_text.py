"""Text PostgreSQL can keep: it refuses NUL (``\\u0000``) in `text` and `jsonb`, and a
lone surrogate cannot be sent as UTF-8 at all.

JSON columns stay lossless: JSON escapes NUL, and `ascii_json` escapes lone surrogates
(``\\udc80``), which `json.loads` reads back as they were. Plain text columns either
refuse such a value (`has_unstorable`) or, for free-form messages, replace what cannot be
kept (`storable_text`).
"""

from __future__ import annotations

import json

__all__ = [
    "ascii_json",
    "escape_text",
    "has_unstorable",
    "storable_text",
    "unescape_text",
    "unstorable_reason",
]


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL cannot keep `text` in a text column, or None when it can."""
    if "\x00" in text:
        return f"it holds a NUL character at position {text.index(chr(0))}"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"it holds a lone surrogate {text[exc.start]!r} at position {exc.start}"
    return None


def has_unstorable(text: str) -> bool:
    """Whether `text` holds NUL or a lone surrogate."""
    return unstorable_reason(text) is not None


def storable_text(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD (for error messages)."""
    if not has_unstorable(text):
        return text
    return "".join("\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def ascii_json(encoded: str) -> str:
    """JSON text `encoded`, re-encoded so a lone surrogate travels as an escape."""
    if encoded.isascii() or not has_unstorable(encoded):
        return encoded
    return json.dumps(json.loads(encoded), ensure_ascii=True, allow_nan=False)


# Text that PostgreSQL would refuse is stored as this marker plus its JSON (ASCII) form;
# text that happens to start with the marker is escaped the same way, so the mapping is
# one-to-one and `unescape_text` always restores the original.
_ESCAPED = "\x01json:"


def escape_text(text: str) -> str:
    """`text` in a form PostgreSQL keeps (itself, unless it holds NUL or a surrogate)."""
    if text.startswith(_ESCAPED) or has_unstorable(text):
        return _ESCAPED + json.dumps(text, ensure_ascii=True)
    return text


def unescape_text(stored: str) -> str:
    """The text `escape_text` was given."""
    if stored.startswith(_ESCAPED):
        original: str = json.loads(stored[len(_ESCAPED) :])
        return original
    return stored

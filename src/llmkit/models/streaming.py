"""What a wire-format stream does when it breaks."""

from __future__ import annotations

from ..errors import ProviderError, StreamInterrupted
from .stream import StreamAssembler

__all__ = ["interrupted_or"]


def interrupted_or(asm: StreamAssembler, error: ProviderError) -> ProviderError:
    """`StreamInterrupted` (keeping the partial text) if content had arrived, else `error`.

    Content seen by the caller cannot be taken back, so such a stream is never retried and
    its partial reply is never turned into a finished message.
    """
    if isinstance(error, StreamInterrupted) or not asm.has_content:
        return error
    interrupted = StreamInterrupted(
        f"the stream broke after content had arrived: {error}",
        partial_text=asm.partial_text,
        provider=error.provider,
    )
    interrupted.__cause__ = error
    return interrupted

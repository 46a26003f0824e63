"""The typed errors of vector memory: bad records, bad filters, unreadable documents."""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = [
    "DimensionMismatchError",
    "DocumentTooLargeError",
    "IngestError",
    "InvalidFilterError",
    "InvalidRecordError",
    "UnknownCollectionError",
    "UnreadableDocumentError",
    "VectorStoreError",
]


class VectorStoreError(LLMKitError):
    """A vector store cannot do what was asked (SQLite failed, store closed…)."""


class InvalidRecordError(VectorStoreError, ValueError):
    """One record cannot be stored: empty id, NaN or infinite values, a lone surrogate…

    `record_id` names the record when it has a usable id.
    """

    def __init__(self, message: str, *, record_id: str | None = None) -> None:
        super().__init__(message)
        self.record_id = record_id


class DimensionMismatchError(InvalidRecordError):
    """A vector's size differs from the collection's dimension."""


class InvalidFilterError(VectorStoreError, ValueError):
    """A metadata filter uses an unknown operator, key or value type."""


class UnknownCollectionError(VectorStoreError, KeyError):
    """No collection has that name (and no dimension was given to create it)."""

    def __str__(self) -> str:
        return str(self.args[0])


class IngestError(LLMKitError):
    """A document could not be ingested; `path` names it."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnreadableDocumentError(IngestError):
    """A file is not what its type says (a broken or encrypted PDF, undecodable text)."""


class DocumentTooLargeError(IngestError):
    """A file is larger than the ingest limit (`max_bytes`)."""

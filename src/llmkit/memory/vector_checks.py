"""Checks every vector store backend applies to a record before it writes it."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from .vector_errors import DimensionMismatchError, InvalidRecordError
from .vector_records import RejectedRecord, VectorRecord

__all__ = [
    "CheckedRecord",
    "check_collection",
    "check_collection_name",
    "check_records",
    "unit_vector",
]

CheckedRecord = tuple[VectorRecord, Any, str]
"""A record that passed, its unit vector (float32 array) and its metadata as JSON."""


def check_collection_name(name: object) -> str:
    """`name` if it can name a collection (1-200 characters, UTF-8), else `InvalidRecordError`."""
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise InvalidRecordError(f"a collection name must be 1-200 characters, got {name!r}")
    _utf8(name, "collection name", None)
    return name


def check_collection(name: object, dimension: object) -> None:
    """The arguments of ``VectorStore.collection``: a valid name, and a dimension that is
    None (open an existing collection) or a positive integer."""
    check_collection_name(name)
    if dimension is not None and (not isinstance(dimension, int) or dimension < 1):
        raise DimensionMismatchError(f"dimension must be a positive integer, got {dimension}")


def check_records(
    records: Sequence[VectorRecord], dimension: int
) -> tuple[list[CheckedRecord], list[RejectedRecord]]:
    """Split `records` into those a store can keep and those it must refuse (with why).

    A later record with the same id as an earlier one in the batch wins.
    """
    if isinstance(records, VectorRecord | str) or not isinstance(records, Sequence):
        raise InvalidRecordError(f"upsert takes a sequence of VectorRecord, got {records!r:.80}")
    accepted: dict[str, CheckedRecord] = {}
    rejected: list[RejectedRecord] = []
    for index, record in enumerate(records):
        try:
            accepted.pop(getattr(record, "id", None), None)  # type: ignore[arg-type]
            checked = _check(record, dimension)
        except InvalidRecordError as error:
            rejected.append(RejectedRecord(index=index, error=error))
            continue
        accepted[record.id] = checked
    return list(accepted.values()), rejected


def _check(record: object, dimension: int) -> CheckedRecord:
    if not isinstance(record, VectorRecord):
        raise InvalidRecordError(f"expected a VectorRecord, got {type(record).__name__}")
    rid = record.id
    if not isinstance(rid, str) or not rid:
        raise InvalidRecordError(f"a record id must be a non-empty string, got {rid!r}")
    _utf8(rid, "id", None)
    if not isinstance(record.text, str):
        raise InvalidRecordError(f"record {rid!r}: text must be a string", record_id=rid)
    _utf8(record.text, f"record {rid!r}: text", rid)
    vector = unit_vector(record.vector, dimension, rid)
    if not isinstance(record.metadata, dict):
        raise InvalidRecordError(f"record {rid!r}: metadata must be a dict", record_id=rid)
    try:
        metadata = json.dumps(record.metadata, ensure_ascii=False, allow_nan=False)
        metadata.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(
            f"record {rid!r}: metadata is not plain JSON ({exc})", record_id=rid
        ) from None
    return record, vector, metadata


def unit_vector(values: Any, dimension: int, record_id: str | None = None) -> Any:
    """`values` as a float32 unit vector; `InvalidRecordError` if it has the wrong size,
    NaN or infinite values, or no direction (all zeros)."""
    from .vector_index import import_numpy

    numpy = import_numpy()
    who = f"record {record_id!r}: " if record_id is not None else ""
    try:
        vector = numpy.asarray(values, dtype=numpy.float64)
    except (TypeError, ValueError):
        raise InvalidRecordError(
            f"{who}vector must be a list of numbers", record_id=record_id
        ) from None
    if vector.ndim != 1 or vector.shape[0] != dimension:
        raise DimensionMismatchError(
            f"{who}vector has shape {vector.shape}, the collection holds {dimension} dimensions",
            record_id=record_id,
        )
    if not numpy.isfinite(vector).all():
        raise InvalidRecordError(f"{who}vector has NaN or infinite values", record_id=record_id)
    norm = float(numpy.linalg.norm(vector))
    if norm == 0.0 or not math.isfinite(norm):
        raise InvalidRecordError(f"{who}vector is all zeros (no direction)", record_id=record_id)
    return (vector / norm).astype(numpy.float32)


def _utf8(text: str, what: str, record_id: str | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRecordError(
            f"{what} has a lone surrogate {text[exc.start]!r} at position {exc.start}; "
            "only valid Unicode can be stored",
            record_id=record_id,
        ) from None

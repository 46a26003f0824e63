"""Ingestion: files to chunks to vectors, with per-file metadata and progress reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .documents import DEFAULT_MAX_BYTES, iter_files, load_document
from .vector_errors import IngestError
from .vector_records import RejectedRecord

if TYPE_CHECKING:
    from .retrieval import Memory

__all__ = ["IngestProgress", "IngestReport", "ingest_path"]


@dataclass(slots=True, kw_only=True, frozen=True)
class IngestProgress:
    """Where an ingest is: the file just finished, files done of total, chunks so far."""

    file: str
    files_done: int
    files_total: int
    chunks: int


@dataclass(slots=True, kw_only=True)
class IngestReport:
    """What an ingest stored: files read, chunks written, files and chunks refused."""

    files: int = 0
    chunks: int = 0
    failed: list[tuple[str, IngestError]] = field(default_factory=list)
    rejected: list[tuple[str, RejectedRecord]] = field(default_factory=list)


async def ingest_path(
    memory: Memory,
    path: Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    max_bytes: int | None = None,
    progress: Callable[[IngestProgress], None] | None = None,
) -> IngestReport:
    """Ingest a file, or every supported file (.txt .md .html .pdf) under a folder.

    Each chunk is stored with id ``<source>#<n>`` and the file's metadata (``source``,
    ``type``, ``title``, ``bytes``) plus `metadata` and ``chunk`` (its number).
    Re-ingesting a file replaces its chunks. A single file that cannot be read raises its
    `IngestError`; in a folder, such files are listed in `IngestReport.failed` and the
    others are still ingested.
    """
    # Disk reads run in a thread so the event loop keeps serving while a big PDF parses.
    single = await asyncio.to_thread(path.is_file)
    files = await asyncio.to_thread(lambda: list(iter_files(path)))
    report = IngestReport()
    for done, file in enumerate(files, start=1):
        try:
            document = await asyncio.to_thread(
                load_document, file, max_bytes=max_bytes or DEFAULT_MAX_BYTES
            )
        except IngestError as error:
            if single:
                raise
            report.failed.append((str(file), error))
        else:
            source = document.metadata["source"]
            chunks = memory.chunker.split(document.text)
            before = await memory.count({"source": source})
            written = await memory.remember(
                [c.text for c in chunks],
                metadata=[
                    {**document.metadata, **(metadata or {}), "chunk": c.index} for c in chunks
                ],
                ids=[f"{source}#{c.index}" for c in chunks],
            )
            # Chunks past the new end are left over from a longer earlier version.
            await memory.forget([f"{source}#{n}" for n in range(len(chunks), before)])
            report.files += 1
            report.chunks += len(written.written)
            report.rejected += [(source, r) for r in written.rejected]
        if progress is not None:
            progress(
                IngestProgress(
                    file=str(file), files_done=done, files_total=len(files), chunks=report.chunks
                )
            )
    return report

"""``llmkit memory``: ingest files into a collection, search it, and show what is stored."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..memory.ingest import IngestProgress
    from ..memory.vector_store import VectorStore

__all__ = ["DEFAULT_DB", "add_memory_parser", "run_memory"]

#: Where the CLI keeps vector memory unless --db says otherwise.
DEFAULT_DB = ".llmkit/memory.db"


def add_memory_parser(commands: Any) -> None:
    """Add ``memory ingest | search | stats`` to the top-level subcommands."""
    memory = commands.add_parser("memory", help="ingest documents and search them")
    actions = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)
    ingest = actions.add_parser(
        "ingest",
        help="chunk, embed and store a file or folder (.txt .md .html .pdf)",
        description="Ingest a file, or every supported file under a folder.",
    )
    ingest.add_argument("path", help="a file or a folder")
    _common(ingest)
    ingest.add_argument(
        "--max-mb", type=float, default=20.0, metavar="MB", help="skip larger files (default 20)"
    )
    search = actions.add_parser(
        "search", help="search a collection", description="Search a collection."
    )
    search.add_argument("query", help="what to look for")
    _common(search)
    search.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    search.add_argument(
        "--mode", choices=["hybrid", "vector", "keyword"], default="hybrid", help="how to rank"
    )
    search.add_argument("--json", action="store_true", help="print JSON")
    stats = actions.add_parser(
        "stats", help="list collections and their sizes", description="List collections."
    )
    stats.add_argument("--db", default=DEFAULT_DB, help=f"the database (default {DEFAULT_DB})")
    stats.add_argument("--json", action="store_true", help="print JSON")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--collection", default="default", help="collection name")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the database (default {DEFAULT_DB})")
    parser.add_argument(
        "--embedder", default="local", help="'local' (offline MiniLM) or provider:model"
    )


async def run_memory(args: argparse.Namespace) -> int:
    """Run one ``llmkit memory`` action; returns the exit code."""
    if args.memory_command == "stats":
        return await _stats(args)
    from ..memory.retrieval import Memory

    async with (
        _vector_store(args.db) as store,
        Memory(store, collection=args.collection, embedder=args.embedder) as memory,
    ):
        if args.memory_command == "ingest":
            return await _ingest(memory, args)
        return await _search(memory, args)


async def _ingest(memory: Any, args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    report = await memory.ingest(
        args.path, max_bytes=int(args.max_mb * 2**20), progress=bar.update if bar else None
    )
    if bar is not None:
        bar.finish()
    print(f"ingested {report.files} file(s), {report.chunks} chunk(s) into {args.collection!r}")
    for path, error in report.failed:
        print(f"failed: {path}: {error}", file=sys.stderr)
    for source, rejected in report.rejected:
        print(f"skipped a chunk of {source}: {rejected.error}", file=sys.stderr)
    return 1 if report.failed else 0


async def _search(memory: Any, args: argparse.Namespace) -> int:
    hits = await memory.recall(args.query, k=args.k, mode=args.mode)
    if args.json:
        rows = [
            {"id": h.id, "score": h.score, "text": h.text, "metadata": h.metadata} for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no results")
    for rank, hit in enumerate(hits, start=1):
        source = hit.metadata.get("source", hit.id)
        snippet = " ".join(hit.text.split())[:200]
        print(f"{rank}. {source}  (score {hit.score:.3f})\n   {snippet}")
    return 0


async def _stats(args: argparse.Namespace) -> int:
    postgres = args.db.startswith(("postgresql://", "postgres://"))
    if not postgres and not await asyncio.to_thread(Path(args.db).is_file):
        print(f"no memory database at {args.db}")
        return 0
    async with _vector_store(args.db) as store:
        infos = await store.collections()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "records": i.count,
                        "dimension": i.dimension,
                        "embedder": i.embedder,
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return 0
    print(f"{args.db}: {len(infos)} collection(s)")
    for info in infos:
        print(f"  {info.name}: {info.count} records, {info.dimension}-d, {info.embedder}")
    return 0


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width

    def update(self, progress: IngestProgress) -> None:
        """Redraw for `progress`."""
        done = progress.files_done / max(progress.files_total, 1)
        filled = int(done * self.width)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
            f"{progress.files_done}/{progress.files_total} files, {progress.chunks} chunks"
        )
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line."""
        self.stream.write("\n")
        self.stream.flush()


def _vector_store(target: str) -> VectorStore:
    """The store `--db` names: a SQLite file (its folder created) or a PostgreSQL URL."""
    from ..storage import open_vector_store

    if not target.startswith(("postgresql://", "postgres://")):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    return open_vector_store(target)

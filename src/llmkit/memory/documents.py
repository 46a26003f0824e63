"""Loading documents for ingestion: plain text, Markdown, HTML and PDF files, with metadata.

Every loader returns the document's text and metadata (``source``, ``type``, ``title``,
``bytes``); a file it cannot read raises a typed `IngestError` naming the file and why.
pypdf (the ``memory`` extra) is imported only for PDFs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .vector_errors import DocumentTooLargeError, IngestError, UnreadableDocumentError

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_SUFFIXES", "Document", "iter_files", "load_document"]

#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 20 * 2**20

_TYPES = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES = frozenset(_TYPES)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


@dataclass(slots=True, kw_only=True)
class Document:
    """A loaded document: its text and its metadata."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def iter_files(path: Path) -> Iterator[Path]:
    """`path` itself if it is a file, else the supported files below it, sorted."""
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        raise IngestError(f"{path} does not exist", path=str(path))
    for child in sorted(path.rglob("*")):
        if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
            yield child


def load_document(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one file as a `Document`; the type comes from the suffix.

    Raises `DocumentTooLargeError` above `max_bytes`, `UnreadableDocumentError` for a file
    that is not what its suffix says, and `IngestError` for an unsupported suffix.
    """
    file = Path(path)
    kind = _TYPES.get(file.suffix.lower())
    if kind is None:
        raise IngestError(
            f"{file}: unsupported file type {file.suffix!r}; "
            f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}",
            path=str(file),
        )
    try:
        size = file.stat().st_size
        if size > max_bytes:
            raise DocumentTooLargeError(
                f"{file} is {size:,} bytes, over the ingest limit of {max_bytes:,} "
                "(pass a larger max_bytes to accept it)",
                path=str(file),
            )
        data = file.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {file}: {exc.strerror or exc}", path=str(file)) from None
    text, title = _pdf(file, data) if kind == "pdf" else _decoded(file, data, kind)
    metadata: dict[str, Any] = {"source": str(file), "type": kind, "bytes": size}
    if title:
        metadata["title"] = title
    return Document(text=text, metadata=metadata)


def _decoded(file: Path, data: bytes, kind: str) -> tuple[str, str | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            f"{file} is not UTF-8 text (bad byte at offset {exc.start})", path=str(file)
        ) from None
    if kind == "html":
        return _html_text(text)
    if kind == "markdown":
        heading = _HEADING.search(text)
        return text, heading.group(1) if heading else None
    return text, None


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: no scripts, styles or markup; blocks become lines."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skipping = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skipping:
            self.parts.append(data)


def _html_text(html: str) -> tuple[str, str | None]:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))
    text = re.sub(r" *\n[\n ]*\n *", "\n\n", text).strip()
    title = " ".join("".join(parser.title).split()) or None
    return text, title


def _pdf(file: Path, data: bytes) -> tuple[str, str | None]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise IngestError("reading PDFs needs pypdf: pip install 'llmkit[memory]'") from None
    import io

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{file} is an encrypted PDF", path=str(file))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocumentError(
            f"{file} is not a readable PDF: {exc}", path=str(file)
        ) from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise UnreadableDocumentError(
            f"{file} has no extractable text (a scanned PDF needs OCR first)", path=str(file)
        )
    return text, str(title) if title else None

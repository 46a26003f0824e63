"""Start the loopback OpenAI-format test server in its own process, for benchmarks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def openai_server(chunks: int) -> Iterator[str]:
    """Yield the base URL of a server whose every reply has exactly `chunks` content chunks."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "servers" / "run_openai.py"),
            "--chunks",
            str(chunks),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"server did not start: {line!r}")
        yield line.split(" ", 1)[1] + "/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

"""Run the fake OpenAI server in the foreground: `python tests/servers/run_openai.py --port 0`.

Prints `READY http://127.0.0.1:PORT` once listening and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

if __name__ == "__main__" and __package__ in (None, ""):
    # Run as a script, sys.path[0] is this directory, whose http.py would shadow the stdlib's
    # `http`; swap it for the repository root so `tests.servers` imports as a package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent.parent))

from tests.servers.http import LoopbackServer
from tests.servers.openai_wire import (
    openai_default_handler,
    openai_stream_handler,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--chunks",
        type=int,
        default=None,
        help="answer every chat request with exactly N content chunks (default: echo)",
    )
    args = parser.parse_args(argv)
    handler = openai_default_handler if args.chunks is None else openai_stream_handler(args.chunks)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with LoopbackServer(handler, host=args.host, port=args.port) as server:
        print(f"READY {server.url}", flush=True)
        # A timed wait keeps the main thread responsive to signals.
        while not stopping.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

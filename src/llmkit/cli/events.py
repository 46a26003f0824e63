"""``llmkit events tail`` and ``llmkit events replay``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ..events.replay import replay_file, tail_file

__all__ = ["run_events"]


async def run_events(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if args.events_command == "tail":
        # A run about to start may not have written it yet.
        await asyncio.to_thread(path.touch, exist_ok=True)
        await tail_file(path, args.pattern, sys.stdout)
        return 0
    if not await asyncio.to_thread(path.is_file):
        print(f"llmkit events: no recording at {args.file}", file=sys.stderr)
        return 2
    await replay_file(args.file, sys.stdout, speed=args.speed, seek=args.seek, pattern=args.pattern)
    return 0

"""Repairing a typical broken model reply: `llmkit.output.repair_json` vs raw `json_repair`.

    python bench/json_repair.py [--rounds 300]

Both run in this process on the same ~2 KB reply (nested lists, trailing commas, single
quotes, a comment, cut off at the end); the figures are medians over the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# This script shares its name with the library it measures: run as a script, its folder comes
# first on sys.path and `import json_repair` would import this file. Keep the folder off it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from json_repair import repair_json as raw_repair  # noqa: E402
from llmkit.output import repair_json  # noqa: E402


def broken_reply() -> str:
    """A ~2 KB reply as models write it when JSON mode is off."""
    items = ",\n".join(
        f"    {{'id': {i}, 'name': 'item {i}', 'tags': ['a', 'b', 'c',], 'score': {i * 1.5},"
        f" 'active': True}}"
        for i in range(20)
    )
    reply = (
        "{\n  // generated inventory\n  'title': 'Inventory',\n  'items': [\n"
        + items
        + ",\n  ],\n  'summary': {'count': 20, 'notes': ['ok', 'checked',]"
    )
    return reply  # truncated: the summary and the object are never closed


def median_seconds(fn: Callable[[str], object], text: str, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(text)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    text = broken_reply()
    assert repair_json(text) == raw_repair(text, ensure_ascii=False)
    for fn in (repair_json, raw_repair):  # warm-up: imports and caches
        fn(text)
    ours = median_seconds(repair_json, text, args.rounds)
    raw = median_seconds(lambda t: raw_repair(t, ensure_ascii=False), text, args.rounds)
    print(f"reply: {len(text)} characters, {args.rounds} rounds (medians)")
    print(f"llmkit.output.repair_json: {ours * 1e6:9.1f} µs")
    print(f"json_repair.repair_json:   {raw * 1e6:9.1f} µs")
    print(f"ratio (llmkit / raw):      {ours / raw:9.3f}")


if __name__ == "__main__":
    main()

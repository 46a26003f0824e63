"""How long `import llmkit` takes in a fresh interpreter (median of several runs).

    python bench/import_time.py [--runs 15]

Each run is a new process, so the figure includes nothing cached in memory; the same
interpreter start-up without the import is subtracted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def timed(stmt: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CODE.format(stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cases = [
        ("import llmkit", "import llmkit"),
        (
            "llmkit.get_model (OpenAI format)",
            "import llmkit; llmkit.get_model('openai-compatible:m', base_url='http://127.0.0.1:1')",
        ),
        ("import httpx (for reference)", "import httpx"),
        ("import pydantic (for reference)", "import pydantic"),
    ]
    print(f"{'what':<36}{'median':>10}")
    for label, stmt in cases:
        print(f"{label:<36}{timed(stmt, args.runs) * 1000:>8.1f}ms")


if __name__ == "__main__":
    main()

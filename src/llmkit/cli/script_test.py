"""``llmkit test SCRIPT``: run the test suites a script declares with ``Test``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .script import _options, _sandbox_options

__all__ = ["add_test_command", "run_test_command"]


def add_test_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``test`` to the ``llmkit`` parser."""
    test = commands.add_parser(
        "test",
        help="run the test suites of a script",
        description="Run a script, then every case it declared with Test.suite/Test.case; "
        "print one line per case and a summary. Exit 1 if a case failed or none was found.",
    )
    test.add_argument("script", help="the script file (.lua, .js)")
    test.add_argument(
        "-k", dest="filter", metavar="TEXT", help="only cases whose suite/name has TEXT"
    )
    test.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    _sandbox_options(test)


def run_test_command(args: argparse.Namespace) -> int:
    """Load the script, run its cases one by one and report; returns the exit code."""
    from ..scripting import ScriptError
    from ..sync import run_sync

    started = time.perf_counter()
    try:
        failed, total = run_sync(_run_cases(args))
    except ScriptError as exc:
        print(f"llmkit test: the script failed before its cases ran: {exc}", file=sys.stderr)
        if exc.traceback:
            print(exc.traceback, file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    if total == 0:
        print(f"no test cases found in {args.script} (declare them with Test.suite)")
        return 1
    summary = f"{total - failed} passed" + (f", {failed} failed" if failed else "")
    print(f"{'FAILED' if failed else 'OK'}: {summary} in {seconds:.2f}s")
    return 1 if failed else 0


async def _run_cases(args: argparse.Namespace) -> tuple[int, int]:
    from ..scripting import load_script
    from ..scripting.bridges.testing import TestBridge

    script = await load_script(Path(args.script), _options(args))
    async with script:
        bridge = script.session.bridge("Test")
        assert isinstance(bridge, TestBridge)
        cases = bridge.selected(args.filter)
        failed = 0
        for case in cases:
            result = await script.engine.on_thread_async(bridge.run_case, case)
            label = f"{result.suite} / {result.name}"
            if result.passed:
                if args.verbose:
                    print(f"PASS  {label}  ({result.seconds:.3f}s)")
                continue
            failed += 1
            print(f"FAIL  {label}\n      {result.error}")
        return failed, len(cases)

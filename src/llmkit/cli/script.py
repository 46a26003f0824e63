"""``llmkit run SCRIPT``, ``llmkit exec --engine lua|js -e CODE`` and ``llmkit repl``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scripting import ScriptOptions

__all__ = ["add_script_commands", "run_script_command"]


def add_script_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run``, ``exec`` and ``repl`` to the ``llmkit`` parser."""
    run = commands.add_parser(
        "run",
        help="run a sandboxed script (engine from the extension)",
        description="Run a script in the sandbox. Nothing is granted unless a flag grants it.",
    )
    run.add_argument("script", help="the script file (.lua, .js)")
    run.add_argument("args", nargs="*", help="the script's ARGS")
    _sandbox_options(run)
    _isolated_option(run)
    run_exec = commands.add_parser(
        "exec",
        help="run a line of script code",
        description="Run script code given on the command line, in the sandbox.",
    )
    run_exec.add_argument("--engine", default="lua", help="lua or js (default: lua)")
    run_exec.add_argument("-e", dest="code", required=True, metavar="CODE", help="the code")
    run_exec.add_argument("args", nargs="*", help="the script's ARGS")
    _sandbox_options(run_exec)
    _isolated_option(run_exec)
    repl = commands.add_parser(
        "repl",
        help="an interactive sandboxed script session",
        description="Read script lines, run each in one sandboxed environment, print the "
        "results. Leave with .exit or end of input.",
    )
    repl.add_argument("--engine", default="lua", help="lua or js (default: lua)")
    _sandbox_options(repl)


def _isolated_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="run in a worker process with OS limits (address space, CPU time, a clean "
        "environment), killed at the deadline",
    )


def _sandbox_options(parser: argparse.ArgumentParser) -> None:
    for name, metavar, what in (
        ("read", "DIR", "reading below DIR"),
        ("write", "DIR", "writing below DIR"),
        ("net", "HOST", "connecting to HOST"),
        ("run", "PROGRAM", "running PROGRAM"),
        ("env", "VAR", "reading environment variable VAR"),
    ):
        parser.add_argument(
            f"--allow-{name}", action="append", default=[], metavar=metavar, help=f"grant {what}"
        )
    parser.add_argument("--deny-models", action="store_true", help="refuse calls to models")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="wall time limit")
    parser.add_argument("--memory", type=int, default=64, metavar="MB", help="memory limit")


def run_script_command(args: argparse.Namespace) -> int:
    """Run the script ``run``/``exec`` names; print its output, then its result as JSON.
    ``repl`` reads lines instead (see `llmkit.cli.repl`)."""
    from ..scripting import ScriptError, run

    options = _options(args)
    if args.command == "repl":
        from .repl import run_repl

        return run_repl(options)
    source = Path(args.script) if args.command == "run" else args.code
    try:
        result = run(source, options)
    except ScriptError as exc:
        print(f"llmkit {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if exc.traceback:
            print(exc.traceback, file=sys.stderr)
        return 1
    if result.value is not None:
        print(json.dumps(result.value, ensure_ascii=False, default=repr))
    return 0


def _options(args: argparse.Namespace) -> ScriptOptions:
    from ..scripting import Limits, Permissions, ScriptOptions

    flags = [
        f"--allow-{name}={value}"
        for name in ("read", "write", "net", "run", "env")
        for value in getattr(args, f"allow_{name}")
    ]
    if args.deny_models:
        flags.append("--deny-models")
    return ScriptOptions(
        engine=getattr(args, "engine", None),
        args=list(getattr(args, "args", [])),
        permissions=Permissions.from_flags(flags),
        limits=Limits(timeout=args.timeout, memory=args.memory * 2**20),
        output=_print,
        isolated=getattr(args, "isolated", False),
    )


def _print(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()

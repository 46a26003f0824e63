"""The argument parser of ``llmkit workflow``; kept apart so ``llmkit --help`` stays light."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_workflow_parser"]

_STATUSES = ("running", "paused", "completed", "failed", "interrupted", "cancelled")


def add_workflow_parser(commands: Any) -> None:
    """Add ``workflow`` and its actions to the top-level subparsers `commands`."""
    workflow = commands.add_parser(
        "workflow",
        help="run, check, draw and control workflows",
        description=(
            "Run workflows from YAML or JSON files; durable runs are checkpointed in a SQLite "
            "file (--db, else $LLMKIT_CHECKPOINT_DB, else [workflows] checkpoint_db in "
            "llmkit.toml, else $XDG_DATA_HOME/llmkit/checkpoints.db). Exit codes: 0 done, "
            "1 the workflow failed or was cancelled, 2 bad input, 5 paused for an approval."
        ),
    )
    actions = workflow.add_subparsers(dest="workflow_command", metavar="ACTION", required=True)

    run = actions.add_parser(
        "run",
        help="run a workflow file",
        description=(
            "Run FILE and print its output as JSON. The run is durable (checkpointed, "
            "resumable) with --durable, --db or --run-id, and always when FILE has approval "
            "steps. Tool steps may name the built-in tools; agent steps need --agent."
        ),
    )
    run.add_argument("file", help="the workflow definition (.yaml, .yml or .json)")
    run.add_argument("--input", default="null", metavar="JSON", help="the input ('-': stdin)")
    run.add_argument("--durable", action="store_true", help="checkpoint the run")
    run.add_argument("--run-id", metavar="ID", help="the durable run's id (default: a new one)")
    _db(run)
    _agents(run)
    _json(run)

    validate = actions.add_parser(
        "validate", help="check a workflow file", description="Parse and validate FILE."
    )
    validate.add_argument("file", help="the workflow definition")

    visualize = actions.add_parser(
        "visualize", help="print a Mermaid flowchart", description="Print FILE as Mermaid."
    )
    visualize.add_argument("file", help="the workflow definition")

    actions.add_parser(
        "schema",
        help="print the JSON Schema of workflow files",
        description="Print the JSON Schema (draft 2020-12) that workflow YAML/JSON files follow.",
    )

    listing = actions.add_parser(
        "list", help="list durable runs, newest first", description="List durable runs."
    )
    listing.add_argument("--status", choices=_STATUSES, help="only runs with this status")
    listing.add_argument("--workflow", metavar="NAME", help="only runs of this workflow")
    listing.add_argument("--limit", type=int, metavar="N", help="at most N runs")
    _db(listing)
    _json(listing)

    status = actions.add_parser(
        "status", help="show one run and its steps", description="Show a run and its steps."
    )
    status.add_argument("run_id", metavar="RUN_ID")
    _db(status)
    _json(status)

    resume = actions.add_parser(
        "resume",
        help="continue a stopped or paused run",
        description=(
            "Continue RUN_ID with the workflow stored with it. A run paused at an approval "
            "needs --approve or --reject."
        ),
    )
    resume.add_argument("run_id", metavar="RUN_ID")
    decision = resume.add_mutually_exclusive_group()
    decision.add_argument(
        "--approve",
        nargs="?",
        const=None,
        default=argparse.SUPPRESS,
        metavar="VALUE",
        help="approve, optionally with a value (read as JSON, else as text)",
    )
    decision.add_argument("--reject", metavar="REASON", help="reject; the step fails")
    resume.add_argument(
        "--idempotent",
        action="append",
        default=[],
        metavar="STEP",
        help="re-run STEP even if it was in flight when the run stopped",
    )
    _db(resume)
    _agents(resume)
    _json(resume)

    cancel = actions.add_parser(
        "cancel",
        help="cancel a run",
        description="Mark RUN_ID cancelled: it stops at its next step and cannot be resumed.",
    )
    cancel.add_argument("run_id", metavar="RUN_ID")
    _db(cancel)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="the checkpoint database")


def _agents(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="make the agent file FILE available to agent steps as NAME",
    )


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")

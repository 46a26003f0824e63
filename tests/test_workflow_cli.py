"""`llmkit workflow`, driven as a real process: run, pause, resume, list, status, cancel."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.terminal import run_on_terminal
from tests.test_cli import run_cli

CALC = """
name: calc
steps:
  - {id: sum, kind: tool, tool: math_calculator, input: {expression: "{{ input.a }} + 2"}}
  - {id: twice, kind: transform, value: {total: "${ steps.sum }", label: "n={{ steps.sum }}"}}
"""

REVIEW = """
name: review
steps:
  - {id: draft, kind: transform, value: "notes on {{ input.topic }}"}
  - {id: ok, kind: approval, prompt: "Publish '{{ steps.draft }}'?", options: [publish, hold]}
  - {id: final, kind: transform, value: {choice: "${ steps.ok.value }", text: "${ steps.draft }"}}
"""

SLOW_MAP = """
name: slow
steps:
  - id: each
    kind: map
    over: input
    concurrency: 1
    steps:
      - {id: wait, kind: delay, seconds: 0.15}
      - {id: echo, kind: transform, value: "${ item }"}
  - {id: done, kind: transform, value: "${ length(steps.each) }"}
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in {"calc": CALC, "review": REVIEW, "slow": SLOW_MAP}.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


def wf(*args: str, db: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    extra = ["--db", str(db)] if db is not None else []
    done = run_cli("workflow", *args, *extra, **env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_run_prints_the_output_and_nothing_on_a_non_terminal(files: Path) -> None:
    done = wf("run", str(files / "calc.yaml"), "--input", '{"a": 40}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"total": 42, "label": "n=42"}
    assert done.stderr == ""  # no progress bar when stderr is not a terminal


def test_validate_and_visualize(files: Path) -> None:
    done = wf("validate", str(files / "review.yaml"))
    assert (done.returncode, done.stdout) == (
        0,
        f"{files / 'review.yaml'}: workflow 'review' is valid (3 steps)\n",
    )
    drawn = wf("visualize", str(files / "review.yaml"))
    assert drawn.stdout.startswith("flowchart TD\n") and 'ok{{"ok<br/>approval"}}' in drawn.stdout
    (files / "bad.yaml").write_text("name: bad\nsteps: [{id: a, kind: transform}]\n")
    bad = wf("validate", str(files / "bad.yaml"))
    assert bad.returncode == 2
    assert "step 'a', field 'value': missing required field" in bad.stderr


def test_pause_resume_and_control_across_processes(files: Path) -> None:
    db = files / "runs.db"
    paused = wf("run", str(files / "review.yaml"), "--input", '{"topic": "llamas"}', db=db)
    assert paused.returncode == 5, paused.stderr
    assert "Publish 'notes on llamas'?" in paused.stdout
    run_id = paused.stdout.split()[1]
    assert f"llmkit workflow resume {run_id} --db {db}" in paused.stdout

    listed = json.loads(wf("list", "--status", "paused", "--json", db=db).stdout)
    assert [(r["run_id"], r["waiting_on"]) for r in listed] == [(run_id, "ok")]
    status = wf("status", run_id, db=db).stdout
    assert "paused" in status and "ok                   waiting for approval" in status

    wrong = wf("resume", run_id, "--approve", "maybe", db=db)
    assert wrong.returncode == 2 and "must be one of ['publish', 'hold']" in wrong.stderr
    missing = wf("resume", run_id, db=db)
    assert missing.returncode == 2 and "paused at approval step 'ok'" in missing.stderr
    done = wf("resume", run_id, "--approve", "publish", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"choice": "publish", "text": "notes on llamas"}
    assert wf("list", "--status", "completed", db=db).stdout.startswith(run_id)

    second = wf("run", str(files / "review.yaml"), "--input", '{"topic": "x"}', db=db)
    other = second.stdout.split()[1]
    rejected = wf("resume", other, "--reject", "not now", db=db)
    assert rejected.returncode == 1 and "approval rejected: not now" in rejected.stderr

    third = wf(
        "run", str(files / "review.yaml"), "--input", '{"topic": "y"}', "--run-id", "t", db=db
    )
    assert third.returncode == 5
    cancelled = wf("cancel", "t", db=db)
    assert (cancelled.returncode, cancelled.stdout) == (0, "run t cancelled (it was paused)\n")
    refused = wf("resume", "t", "--approve", "hold", db=db)
    assert refused.returncode == 1 and "cancelled; it cannot be resumed" in refused.stderr
    statuses = {r["run_id"]: r["status"] for r in json.loads(wf("list", "--json", db=db).stdout)}
    assert statuses == {run_id: "completed", other: "failed", "t": "cancelled"}


def test_bad_input_exits_2_with_a_message(files: Path) -> None:
    db = files / "runs.db"
    calc = str(files / "calc.yaml")
    cases = [
        (("run", calc, "--input", "{nope"), "--input is not JSON"),
        (("status", "ghost", "--db", str(db)), "no checkpoint database at"),
        (("run", str(files / "missing.yaml")), "cannot read"),
    ]
    (files / "script.yaml").write_text("name: s\nsteps: [{id: a, kind: script, script: f}]\n")
    cases.append((("run", str(files / "script.yaml")), "scripts need the Python API"))
    (files / "agent.yaml").write_text(
        "name: g\nsteps: [{id: a, kind: agent, agent: w, prompt: p}]\n"
    )
    cases.append((("run", str(files / "agent.yaml")), "pass --agent w=FILE"))
    for args, message in cases:
        done = wf(*args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    failed = wf("run", calc, "--durable", "--input", '{"a": "("}', "--run-id", "f", db=db)
    assert failed.returncode == 1 and "run f did not finish" in failed.stderr
    assert "failed" in wf("status", "f", db=db).stdout
    wf("run", calc, "--durable", "--input", '{"a": 1}', "--run-id", "r", db=db)
    unknown = wf("resume", "ghost", db=db)
    assert unknown.returncode == 2 and f"no run 'ghost' in {db}" in unknown.stderr
    again = wf("run", calc, "--input", '{"a": 1}', "--run-id", "r", db=db)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_garbage_checkpoint_file_is_reported_without_a_traceback(files: Path) -> None:
    garbage = files / "garbage.db"
    garbage.write_bytes(b"definitely not sqlite " * 100)
    for args in (("list",), ("status", "r"), ("run", str(files / "calc.yaml"), "--durable")):
        done = wf(*args, db=garbage)
        assert done.returncode == 2, args
        assert f"checkpoint database {garbage}" in done.stderr and "corrupted" in done.stderr


def test_default_database_location(files: Path) -> None:
    data = files / "data"
    done = wf(
        "run", str(files / "calc.yaml"), "--durable", "--input", '{"a": 1}', XDG_DATA_HOME=str(data)
    )
    assert done.returncode == 0, done.stderr
    assert (data / "llmkit" / "checkpoints.db").is_file()
    chosen = files / "chosen.db"
    wf(
        "run",
        str(files / "calc.yaml"),
        "--durable",
        "--input",
        '{"a": 1}',
        LLMKIT_CHECKPOINT_DB=str(chosen),
    )
    assert chosen.is_file()
    (files / "llmkit.toml").write_text('[workflows]\ncheckpoint_db = "from-config.db"\n')
    listed = wf("list", "--json", LLMKIT_CONFIG=str(files / "llmkit.toml"))
    assert listed.returncode == 2 and str(files / "from-config.db") in listed.stderr


def test_progress_bar_on_a_terminal(files: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMKIT_")}
    args = ["workflow", "run", str(files / "slow.yaml"), "--input", "[1, 2, 3, 4]"]
    done, terminal = run_on_terminal(args, env)
    assert (done.returncode, done.stdout) == (0, "4\n")
    shown = terminal.decode()
    assert "] 0/2 each (2 items)" in shown  # the map's iterations are counted as they end
    assert "[############------------] 1/2" in shown
    assert terminal.endswith(b"\r\x1b[K")  # the bar erases itself before the output

"""examples/rag/ask_docs.py runs as its own process and answers from the right documents."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "rag" / "ask_docs.py"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scripted_model_answers_from_the_retrieved_documents() -> None:
    out = run()
    assert out.splitlines() == [
        "ingested 3 files, 3 chunks",
        "Q: How often should I descale the kettle?",
        "A: Once a month, with water and vinegar. [Kettle care]",
        "Q: How many days do I have to return an item?",
        "A: 30 days from delivery. [Returns policy]",
        "Q: What does the warranty not cover?",
        "A: Limescale damage, drops and wrong voltage. [warranty.txt]",
    ]


@pytest.mark.slow
def test_local_model_runs_the_same_example() -> None:
    out = run("local:smollm2")
    lines = out.splitlines()
    assert lines[0] == "ingested 3 files, 3 chunks" and len(lines) == 7
    # After one search `max_tool_rounds=1` makes the model answer: never a stopped run.
    for answer in lines[2::2]:
        assert answer.startswith("A: ") and len(answer) > 3
        assert "stopped by" not in answer

"""``llmkit memory ingest | search | stats`` with the real offline embedder."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from llmkit.cli.main import main


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettle.md").write_text(
        "# Kettle manual\n\nDescale the kettle monthly with vinegar.", encoding="utf-8"
    )
    (folder / "garden.html").write_text(
        "<title>Garden</title><p>Water tomatoes early in the morning.</p>", encoding="utf-8"
    )
    return folder


def test_ingest_search_and_stats(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "m.db")
    assert main(["memory", "ingest", str(docs), "--collection", "home", "--db", db]) == 0
    assert "ingested 2 file(s), 2 chunk(s) into 'home'" in capsys.readouterr().out
    query = "when should I water my vegetables"
    assert main(["memory", "search", query, "--collection", "home", "--db", db, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["metadata"]["source"] == str(docs / "garden.html")
    assert main(["memory", "search", "limescale", "--collection", "home", "--db", db]) == 0
    assert "kettle.md" in capsys.readouterr().out.splitlines()[0]
    assert main(["memory", "stats", "--db", db]) == 0
    assert "home: 2 records, 384-d, local:all-minilm-l6-v2" in capsys.readouterr().out


def test_failures_exit_non_zero_and_say_why(
    docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (docs / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    db = str(tmp_path / "m.db")
    assert main(["memory", "ingest", str(docs), "--db", db]) == 1
    captured = capsys.readouterr()
    assert "ingested 2 file(s)" in captured.out
    assert f"failed: {docs / 'scan.pdf'}" in captured.err
    assert main(["memory", "ingest", str(tmp_path / "nowhere"), "--db", db]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["memory", "stats", "--db", str(tmp_path / "none.db")]) == 0
    assert "no memory database" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["memory", "search"])


def test_progress_bar_on_a_terminal(docs: Path, tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    db = str(tmp_path / "m.db")
    command = [sys.executable, "-m", "llmkit", "memory", "ingest", str(docs), "--db", db]
    done = subprocess.run(command, stderr=follower, stdout=subprocess.PIPE, timeout=120)
    os.close(follower)
    shown = os.read(leader, 65536).decode()
    os.close(leader)
    assert done.returncode == 0
    assert "\r[###############...............] 1/2 files" in shown
    assert "2/2 files, 2 chunks" in shown

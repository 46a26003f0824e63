"""Run the llmkit command with stderr on a pseudo-terminal and collect what it drew there."""

from __future__ import annotations

import os
import pty
import subprocess
import sys


def run_on_terminal(
    args: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """``python -m llmkit ARGS`` with stdout piped and stderr a terminal; returns both."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "llmkit", *args],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env=env,
            timeout=60,
        )
        os.close(follower)
        follower = -1
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end is closed and drained
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    return done, terminal

"""The host distrusts the worker: forged, malformed and oversized messages are refused,
permissions are checked on the host whatever the worker asks, and a worker that stops
answering is killed with its whole process group. Each "worker" here is a small program
that speaks (or abuses) the protocol in place of the real one."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from llmkit.scripting import HostSession, Limits, ScriptTimeout, default_registry
from llmkit.scripting.isolated import IsolatedEngine
from llmkit.scripting.protocol import MAX_MESSAGE, FrameReader, ProtocolError, write_message

from .test_scripting_isolated import gone

FAKE_WORKER = """
import json, os, sys, time
def send(message=None, raw=None):
    data = raw if raw is not None else json.dumps(message).encode()
    os.write(1, len(data).to_bytes(4, "big") + data)
def receive():
    head = b""
    while len(head) < 4:
        head += os.read(0, 4 - len(head))
    size, body = int.from_bytes(head, "big"), b""
    while len(body) < size:
        body += os.read(0, size - len(body))
    return json.loads(body)
receive()  # init
send({"op": "ready"})
run = receive()
"""


def fake_engine(behaviour: str) -> IsolatedEngine:
    return IsolatedEngine("lua", command=[sys.executable, "-c", FAKE_WORKER + behaviour])


def run_fake(engine: IsolatedEngine, timeout: float = 5.0) -> Any:
    session = HostSession(engine="lua", limits=Limits(timeout=timeout))
    return engine.on_thread(
        lambda: engine.execute("return 1", chunk_name="fake", folder=None, session=session)
    )


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [
        pytest.param(
            f"os.write(1, ({MAX_MESSAGE} + 1).to_bytes(4, 'big')); time.sleep(30)",
            "over the",
            id="oversized",
        ),
        pytest.param("send(raw=b'{not json'); time.sleep(30)", "not JSON", id="not-json"),
        pytest.param("send(raw=b'[1, 2]'); time.sleep(30)", "with an 'op'", id="not-an-object"),
        pytest.param(
            "send({'op': 'call', 'index': 10**6, 'args': []}); time.sleep(30)",
            "does not exist",
            id="bridge-index",
        ),
        pytest.param(
            "send({'op': 'call', 'index': 0, 'args': 'x'}); time.sleep(30)",
            "malformed",
            id="arguments-not-a-list",
        ),
        pytest.param("send({'op': 'spawn'}); time.sleep(30)", "unknown message", id="unknown-op"),
        pytest.param(
            "send({'op': 'done', 'ok': False, 'error': {'type': 'SystemExit', 'message': 'x'}})",
            "unknown error type",
            id="forged-error-type",
        ),
        pytest.param(
            "send({'op': 'done', 'ok': False, 'error': {'type': 'ScriptTimeout', 'message': 'x'}})",
            "names no limit",
            id="limit-error-without-limit",
        ),
        pytest.param("sys.exit(3)", r"exited unexpectedly \(status 3\)", id="exit"),
    ],
)
def test_malformed_messages_from_the_worker_are_refused(behaviour: str, problem: str) -> None:
    engine = fake_engine(behaviour)
    with pytest.raises(ProtocolError, match=problem):
        run_fake(engine)
    assert engine.pid is not None and gone(engine.pid)  # a worker that misbehaves is killed
    engine.close()


def test_a_forged_call_to_a_guarded_bridge_is_checked_by_the_host() -> None:
    # The worker skips its own sandbox and calls a method that needs "write" directly.
    guarded = next(m for m in default_registry().methods() if m.permission == "write")
    behaviour = (
        f"send({{'op': 'call', 'index': {guarded.index}, 'args': ['x', 'y']}})\n"
        "reply = receive()\n"
        "send({'op': 'done', 'ok': True, 'value': reply})\n"
    )
    reply = run_fake(fake_engine(behaviour))
    assert reply["ok"] is False and reply["error"]["type"] == "PermissionDenied"


def test_a_silent_worker_is_killed_with_its_process_group_at_the_deadline(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "child.pid"
    behaviour = (
        "import subprocess\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    engine = fake_engine(behaviour)
    started = time.monotonic()
    with pytest.raises(ScriptTimeout, match="killed"):
        run_fake(engine, timeout=0.5)
    assert time.monotonic() - started < 5.0
    assert engine.pid is not None and gone(engine.pid)
    grandchild = int(marker.read_text())
    for _ in range(50):  # a grandchild is reaped by init a moment later
        if gone(grandchild):
            break
        time.sleep(0.05)
    assert gone(grandchild)
    engine.close()


def test_frames_round_trip_and_the_reader_refuses_oversized_frames() -> None:
    read_end, write_end = os.pipe()
    try:
        write_message(write_end, {"op": "out", "text": "héllo"}, lambda f: 0)
        reader = FrameReader(read_end, "lua")
        assert reader.read(time.monotonic() + 1) == {"op": "out", "text": "héllo"}
        assert reader.read(time.monotonic() + 0.05) is None  # nothing more: the deadline wins
        os.write(write_end, (MAX_MESSAGE + 1).to_bytes(4, "big"))
        with pytest.raises(ProtocolError, match="over the"):
            reader.read(time.monotonic() + 1)
        body = json.dumps({"op": "x"}).encode()
        os.write(write_end, len(body).to_bytes(4, "big") + body)
    finally:
        os.close(read_end)
        os.close(write_end)

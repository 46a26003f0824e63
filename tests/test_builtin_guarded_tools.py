"""file_operations, http_request and process_execution under attack: each test fails if the
attack works. The tools obey the run's policy; nothing is granted by default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from llmkit.policy import NetworkPolicy, Policy, PolicyError, ProcessPolicy, Workspace
from llmkit.tools import ModelRetry, RunContext
from llmkit.tools.builtin.file_operations import file_operations
from llmkit.tools.builtin.http_request import http_request
from llmkit.tools.builtin.process_execution import process_execution
from tests.servers import JsonReply, LoopbackServer, RecordedRequest, Reply

TRAVERSALS = [
    "../outside.txt",
    "a/../../outside.txt",
    "/etc/passwd",
    "inside\x00.txt",
    "escape_link/outside.txt",
    "../work-evil/secret.txt",
]
OPERATIONS = [
    "read",
    "write",
    "append",
    "list",
    "exists",
    "stat",
    "mkdir",
    "copy",
    "move",
    "delete",
]


def ctx(policy: Policy | None) -> RunContext[None]:
    return RunContext(deps=None, run_id="test", policy=policy)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "note.txt").write_text("hello")
    (tmp_path / "outside.txt").write_text("SECRET")
    (tmp_path / "work-evil").mkdir()
    (tmp_path / "work-evil" / "secret.txt").write_text("SECRET")
    (work / "escape_link").symlink_to(tmp_path)
    return work


def arguments(operation: str, path: str) -> dict[str, Any]:
    args: dict[str, Any] = {"operation": operation, "path": path}
    if operation in ("write", "append"):
        args["content"] = "pwned"
    if operation in ("copy", "move"):
        args["destination"] = "copied.txt"
    return args


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("path", TRAVERSALS)
async def test_path_traversal_against_every_operation(
    layout: Path, operation: str, path: str
) -> None:
    policy = Policy(workspace=Workspace(layout, write=True))
    with pytest.raises((PolicyError, ModelRetry)):
        await file_operations.call(ctx(policy), arguments(operation, path))
    assert (layout.parent / "outside.txt").read_text() == "SECRET"
    assert (layout.parent / "work-evil" / "secret.txt").read_text() == "SECRET"
    assert not (layout / "copied.txt").exists()


@pytest.mark.parametrize("operation", ["copy", "move"])
async def test_copy_and_move_destinations_cannot_escape(layout: Path, operation: str) -> None:
    policy = Policy(workspace=Workspace(layout, write=True))
    with pytest.raises(PolicyError):
        await file_operations.call(
            ctx(policy),
            {"operation": operation, "path": "note.txt", "destination": "../stolen.txt"},
        )
    assert not (layout.parent / "stolen.txt").exists()


async def test_file_operations_inside_the_workspace(layout: Path) -> None:
    policy = Policy(workspace=Workspace(layout, write=True))
    run = ctx(policy)
    assert await file_operations.call(run, {"operation": "read", "path": "note.txt"}) == "hello"
    await file_operations.call(run, {"operation": "mkdir", "path": "sub/deeper"})
    await file_operations.call(run, {"operation": "write", "path": "sub/a.txt", "content": "1"})
    await file_operations.call(run, {"operation": "append", "path": "sub/a.txt", "content": "2"})
    assert (layout / "sub" / "a.txt").read_text() == "12"
    await file_operations.call(
        run, {"operation": "copy", "path": "sub/a.txt", "destination": "b.txt"}
    )
    await file_operations.call(
        run, {"operation": "move", "path": "b.txt", "destination": "sub/c.txt"}
    )
    listing = await file_operations.call(run, {"operation": "list", "path": "sub"})
    assert listing == ["a.txt", "c.txt", "deeper/"]
    info = await file_operations.call(run, {"operation": "stat", "path": "sub/c.txt"})
    assert info["type"] == "file" and info["size"] == 2
    await file_operations.call(run, {"operation": "delete", "path": "sub/c.txt"})
    assert await file_operations.call(run, {"operation": "exists", "path": "sub/c.txt"}) is False


async def test_read_only_workspace_refuses_writes_and_no_policy_refuses_all(layout: Path) -> None:
    read_only = Policy(workspace=Workspace(layout))
    with pytest.raises(PolicyError, match=r"fs\.write"):
        await file_operations.call(ctx(read_only), arguments("write", "note.txt"))
    assert (layout / "note.txt").read_text() == "hello"
    with pytest.raises(PolicyError, match=r"fs\.read"):
        await file_operations.call(ctx(None), arguments("read", "note.txt"))


SSRF_URLS = [
    "http://127.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://2130706433:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://localhost:{port}/",
    "http://0.0.0.0:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("template", SSRF_URLS)
async def test_ssrf_payloads_never_reach_the_server(template: str) -> None:
    with LoopbackServer(lambda request: JsonReply(200, {"leak": True})) as server:
        url = template.format(port=server.port)
        policy = Policy(network=NetworkPolicy(allowed_hosts=["*"]))
        with pytest.raises(PolicyError):
            await http_request.call(ctx(policy), {"url": url})
        assert server.requests == []


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/steal"]
)
async def test_redirect_to_a_blocked_address_is_refused(target: str) -> None:
    with LoopbackServer(lambda request: JsonReply(200, {"leak": True})) as inner:
        location = target.format(port=inner.port)

        def redirect(request: RecordedRequest) -> Reply:
            return JsonReply(302, {}, headers={"location": location})

        with LoopbackServer(redirect) as outer:
            # The first hop's address is explicitly allowed; the redirect target is not.
            policy = Policy(network=NetworkPolicy(allowed_hosts=["127.0.0.1"]))
            with pytest.raises(PolicyError):
                await http_request.call(ctx(policy), {"url": f"{outer.url}/start"})
            assert len(outer.requests) == 1
            assert inner.requests == []


async def test_http_request_to_an_allowed_loopback_host() -> None:
    with LoopbackServer(lambda request: JsonReply(200, {"ok": request.method})) as server:
        policy = Policy(network=NetworkPolicy(allowed_hosts=["127.0.0.1"]))
        result = await http_request.call(
            ctx(policy), {"url": f"{server.url}/api", "method": "POST", "json_body": {"a": 1}}
        )
        assert result["status"] == 200 and '"ok"' in result["body"]
        assert server.last_request.json == {"a": 1}
    with pytest.raises(PolicyError, match="net"):
        await http_request.call(ctx(None), {"url": "http://127.0.0.1:9/"})


INJECTIONS = [
    "; touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    "&& touch {marker}",
    "| touch {marker}",
    "\ntouch {marker}",
]


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_shell_metacharacters_are_inert(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    policy = Policy(processes=ProcessPolicy(["echo"]))
    argument = payload.format(marker=marker)
    result = await process_execution.call(ctx(policy), {"program": "echo", "args": [argument]})
    assert result["stdout"] == argument + "\n"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("program", "args"),
    [
        ("sh", ["-c", "id"]),
        ("/bin/sh", ["-c", "id"]),
        ("bash", []),
        ("echo; id", []),
        ("../bin/echo", ["x"]),
        ("env", ["sh", "-c", "id"]),
    ],
)
async def test_programs_outside_the_allowlist_are_refused(program: str, args: list[str]) -> None:
    policy = Policy(processes=ProcessPolicy(["echo"]))
    with pytest.raises(PolicyError):
        await process_execution.call(ctx(policy), {"program": program, "args": args})


async def test_argument_injection_stays_an_argument(tmp_path: Path) -> None:
    # `--help`-style options reach the program as data; they cannot add a second program.
    policy = Policy(processes=ProcessPolicy(["echo"]))
    result = await process_execution.call(
        ctx(policy), {"program": "echo", "args": ["-e", "a\\nb", "--", "-n"]}
    )
    assert result["returncode"] == 0 and "-n" in result["stdout"]


async def test_processes_get_a_clean_environment_and_a_timeout() -> None:
    os.environ["LLMKIT_TEST_SECRET"] = "hunter2"
    try:
        policy = Policy(processes=ProcessPolicy(["env", "sleep"]))
        result = await process_execution.call(ctx(policy), {"program": "env"})
        assert "hunter2" not in result["stdout"]
        slow = await process_execution.call(
            ctx(policy), {"program": "sleep", "args": ["10"], "timeout": 0.3}
        )
        assert slow["timed_out"] is True
    finally:
        del os.environ["LLMKIT_TEST_SECRET"]
    with pytest.raises(PolicyError, match="process"):
        await process_execution.call(ctx(None), {"program": "echo"})

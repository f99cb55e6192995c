"""Fuzz targets that need something running: the emulator on a socket, the hook script, a runs
directory, the MCP tool boundary."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from fuzzing.hostile import JSON_VALUES, ODD_STRINGS, mutated_bytes, mutated_json
from fuzzing.parsers import CLAUDE, HERE, JOURNAL_LINES, _expected, run_files, scratch_dir

# --- the emulator, facing bad clients --------------------------------------------------------


@contextlib.contextmanager
def emulator() -> Iterator[tuple[str, int]]:
    from sre_latency.emulator import EmulatorProfile, run_emulator_in_thread

    profile = EmulatorProfile.build(ttft_ms=0, itl_ms=0, output_tokens=2, port=0)
    with run_emulator_in_thread(profile) as emu:
        host, _, port = emu.base_url.removeprefix("http://").rpartition(":")
        yield host, int(port)


def _exchange(address: tuple[str, int], data: bytes, limit: int = 65536) -> bytes:
    """Send ``data``, half-close, read what comes back (at most ``limit`` bytes, 10 s)."""
    with socket.create_connection(address, timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close before the end
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        got = b""
        with contextlib.suppress(OSError):
            while len(got) < limit and (chunk := sock.recv(65536)):
                got += chunk
    return got


def _alive(address: tuple[str, int]) -> None:
    got = _exchange(address, b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"
                              b"connection: close\r\n\r\n")  # fmt: skip
    assert got.startswith(b"HTTP/1.1 200"), f"the emulator stopped answering: {got[:80]!r}"


def _no_handler_crash(response: bytes) -> None:
    assert b"Emulator bug" not in response, response[:300]


ROUTES = {
    "/v1/messages": {"model": "m", "max_tokens": 4, "stream": True,
                     "messages": [{"role": "user", "content": "hi"}]},
    "/v1/messages/count_tokens": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/chat/completions": {"model": "m", "max_tokens": 4, "stream": True,
                             "messages": [{"role": "user", "content": "hi"}]},
    "/model/m/invoke": {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4,
                        "messages": [{"role": "user", "content": "hi"}]},
    "/model/m/invoke-with-response-stream": {"anthropic_version": "bedrock-2023-05-31",
                                             "max_tokens": 4,
                                             "messages": [{"role": "user", "content": "hi"}]},
    "/model/m/converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
    "/model/m/converse-stream": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
}  # fmt: skip
_AUTH = "x-api-key: k\r\nauthorization: Bearer emulator-bedrock-api-key\r\n"


def request_bytes(path: str, body: bytes, extra: str = "") -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"{_AUTH}{extra}content-length: {len(body)}\r\nconnection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


route_bodies = st.sampled_from(sorted(ROUTES)).flatmap(
    lambda path: st.tuples(st.just(path), st.one_of(
        mutated_json(ROUTES[path], max_mutations=3).map(lambda v: json.dumps(v).encode()),
        st.just(json.dumps(ROUTES[path]).encode()).flatmap(mutated_bytes))))  # fmt: skip


def check_route(case: tuple[str, bytes], address: tuple[str, int]) -> None:
    path, body = case
    response = _exchange(address, request_bytes(path, body))
    _no_handler_crash(response)
    assert response.startswith(b"HTTP/1.1 "), response[:80]


RAW_REQUEST = request_bytes("/v1/messages", json.dumps(ROUTES["/v1/messages"]).encode())
raw_requests = st.one_of(mutated_bytes(RAW_REQUEST, max_mutations=6), st.binary(max_size=300),
                         st.just(RAW_REQUEST).flatmap(mutated_bytes))  # fmt: skip


def check_raw_request(data: bytes, address: tuple[str, int]) -> None:
    _no_handler_crash(_exchange(address, data))
    _alive(address)


# --- the hook script ---------------------------------------------------------------------------

HOOK = HERE.parent / "claude_config" / "sre-latency-hook"
PAYLOADS = [json.loads(line)["payload"] for line in
            (CLAUDE / "hook-payload-examples.jsonl").read_text().splitlines() if line]  # fmt: skip
hook_payloads = st.one_of(
    st.sampled_from(PAYLOADS).flatmap(mutated_json).map(
        lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.sampled_from(PAYLOADS).map(lambda v: json.dumps(v).encode()).flatmap(mutated_bytes),
    st.binary(max_size=200),
)  # fmt: skip


def check_hook(payload: bytes, home: Path) -> None:
    log = home / "claude" / "tool-latency.jsonl"
    before = log.read_bytes() if log.exists() else b""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SRE_LATENCY_HOME": str(home)}
    done = subprocess.run(["/bin/sh", str(HOOK)], input=payload, env=env, capture_output=True,
                          timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0 and not done.stdout and not done.stderr, done
    added = (log.read_bytes() if log.exists() else b"")[len(before) :]
    for line in added.splitlines():
        event = json.loads(line)  # every line stays valid JSON (and UTF-8)
        assert type(event["ts_ns"]) is int and isinstance(event["session_id"], str), event
        assert all(isinstance(v, str | int | float | bool) for v in event.values()), event


# --- the runs listing (sre-latency://runs) -------------------------------------------------------

INDEX_LINE = {"path": "/dev/zero", "run_id": "r", "kind": "benchmark",
              "created_at": "2026-12-01T20:14:55+00:00"}  # fmt: skip
listing_files = st.tuples(
    st.lists(st.one_of(run_files, st.just(b"\n".join(JOURNAL_LINES)).flatmap(mutated_bytes),
                       st.binary(max_size=64)), min_size=1, max_size=5),
    st.lists(mutated_json(INDEX_LINE).map(lambda v: json.dumps(v).encode()), max_size=4).map(
        b"\n".join).flatmap(mutated_bytes),
)  # fmt: skip


def check_listing(case: tuple[list[bytes], bytes], tmp: Path) -> None:
    from sre_latency.store import LocalStore
    from sre_latency.tools.run_status import runs_listing

    files, index = case
    store = LocalStore(tmp / "home")
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    for old in store.runs_dir.iterdir():
        old.unlink()
    for i, data in enumerate(files):
        (store.runs_dir / f"f{i}.{'jsonl' if i % 2 else 'json'}").write_bytes(data)
    (store.runs_dir / ".index.jsonl").write_bytes(index)
    os.mkfifo(store.runs_dir / "pipe.json")  # reading it would block the listing forever
    lines = runs_listing(store, limit=100).splitlines()
    assert len(lines) >= len(files) + 1, lines


# --- the MCP boundary: tool options ------------------------------------------------------------


def _tool_options() -> st.SearchStrategy[tuple[str, dict]]:
    from sre_latency.tools import for_face

    specs = {s.name: s for s in for_face("mcp")}
    value = st.one_of(JSON_VALUES, ODD_STRINGS, st.text(min_size=4000, max_size=5000))

    def values(name: str) -> st.SearchStrategy[dict]:
        fields = [*sorted(specs[name].module.OPTIONS.model_fields), "no_such_option"]
        return st.dictionaries(st.sampled_from(fields), value, max_size=4)

    return st.sampled_from(sorted(specs)).flatmap(lambda n: st.tuples(st.just(n), values(n)))


def check_tool_options(case: tuple[str, dict], _: Any) -> None:
    from mcp.server.mcpserver.exceptions import ToolError

    from sre_latency.errors import ConfigError
    from sre_latency.server.tools import refuse_oversized
    from sre_latency.tools import for_face
    from sre_latency.tools.options import build

    name, values = case
    spec = {s.name: s for s in for_face("mcp")}[name]
    if _expected(ToolError, lambda: refuse_oversized(values) or True) is not None:
        _expected(ConfigError, lambda: build(spec.module.OPTIONS, values, face="mcp"))


@contextlib.contextmanager
def hook_home() -> Iterator[Path]:
    with scratch_dir() as tmp:
        yield tmp

"""Every parser of hostile bytes, as a fuzz target: a strategy and a check of its promise.

``check(value, resource)`` returns when the parser kept its promise (a result, or the one
expected error with a sentence) and raises anything else: an unexpected exception or a broken
invariant is a crash. ``tests/test_parsers_total.py`` runs each with a small budget in CI;
``benchmarks/fuzz.py`` runs them for as long as asked and counts inputs and crashes per target.
Targets that need a running thing (the emulator, a scratch directory) get it from ``setup``.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from fuzzing.hostile import (
    JSON_VALUES,
    chunked,
    mutated_bytes,
    mutated_json,
)
from sre_latency.errors import ERROR_CLASSES

HERE = Path(__file__).resolve().parents[1]
STREAMS = HERE / "fixtures" / "streams"
CLAUDE = HERE / "fixtures" / "claude_code"
RUN_FILE = HERE / "fixtures" / "runs" / "faulty.json"


@dataclass(frozen=True)
class FuzzTarget:
    name: str
    strategy: st.SearchStrategy
    check: Callable[[Any, Any], None]
    setup: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    ci_examples: int = 200


def _expected(error: type[BaseException], call: Callable[[], Any]) -> Any:
    """``call()``; ``error`` (a one-sentence LatencyError) is a kept promise, not a crash."""
    try:
        return call()
    except error as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 2000, message
        return None


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sre-fuzz-") as tmp:
        yield Path(tmp)


# --- streams (SSE and Bedrock event streams) -----------------------------------------------


def _sse_events(body: bytes) -> list[tuple[bytes, Any]]:
    """(event line, parsed data) of each event of a captured SSE body."""
    out = []
    for block in body.split(b"\n\n"):
        head, _, data = block.rpartition(b"data: ")
        if data:
            try:
                out.append((head, json.loads(data)))
            except ValueError:
                out.append((head, data.decode()))
    return out


def sse_streams(capture: str) -> st.SearchStrategy[list[bytes]]:
    """A captured stream with its events' JSON mutated, then its bytes, cut into chunks."""
    body = (STREAMS / capture).read_bytes()
    events = _sse_events(body)
    heads = [head for head, _ in events]

    def encode(datas: Any) -> bytes:
        datas = datas if isinstance(datas, list) else [datas]
        out = []
        for head, value in zip(heads * 2, datas, strict=False):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            out.append(head + b"data: " + text.encode("utf-8", "surrogatepass") + b"\n\n")
        return b"".join(out)

    json_level = mutated_json([data for _, data in events], max_mutations=3).map(encode)
    raw = st.one_of(json_level, mutated_bytes(body), st.binary(max_size=256))
    return st.one_of(raw, json_level.flatmap(mutated_bytes)).flatmap(chunked)


def _frames(body: bytes) -> list[tuple[dict, bytes]]:
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(body)
    return [(dict(m.headers), m.payload) for m in buffer]


def _mutated_frame_payloads(body: bytes, invoke: bool) -> st.SearchStrategy[bytes]:
    import base64

    from sre_latency.emulator.protocols.eventstream import encode_frame

    frames = _frames(body)
    payloads = []
    for _, payload in frames:
        obj = json.loads(payload)
        if invoke and "bytes" in obj:
            obj["bytes"] = json.loads(base64.b64decode(obj["bytes"]))
        payloads.append(obj)

    def encode(objs: Any) -> bytes:
        objs = objs if isinstance(objs, list) else [objs]
        out = []
        for (headers, _), obj in zip(frames, objs, strict=False):
            if invoke and isinstance(obj, dict) and "bytes" in obj:
                inner = json.dumps(obj["bytes"]).encode()
                obj = {**obj, "bytes": base64.b64encode(inner).decode()}
            headers = {k: v for k, v in headers.items() if isinstance(v, str)}
            out.append(encode_frame(headers, json.dumps(obj).encode()))
        return b"".join(out)

    return mutated_json(payloads, max_mutations=3).map(encode)


def event_streams(capture: str, invoke: bool) -> st.SearchStrategy[list[bytes]]:
    body = (STREAMS / capture).read_bytes()
    json_level = _mutated_frame_payloads(body, invoke)
    raw = st.one_of(json_level, mutated_bytes(body), json_level.flatmap(mutated_bytes))
    return raw.flatmap(chunked)


ADAPTER_ENV = {"ANTHROPIC_API_KEY": "sk-fuzz-key-0123456789", "OPENAI_API_KEY": "sk-fuzz-key",
               "AWS_ACCESS_KEY_ID": "AKIDFUZZ", "AWS_SECRET_ACCESS_KEY": "s" * 40,
               "AWS_REGION": "us-east-1"}  # fmt: skip


def adapter(provider: str, api: str = "invoke"):
    from sre_latency.probe.providers import adapter_class
    from sre_latency.probe.providers.base import ProbeSettings, Target

    target = Target(provider, provider, "haiku-4.5", "http://127.0.0.1:9")  # type: ignore[arg-type]
    return adapter_class(provider)(target, ProbeSettings(env=ADAPTER_ENV, bedrock_api=api))


def check_stream(provider: str, api: str = "invoke") -> Callable[[list[bytes], Any], None]:
    def check(chunks: list[bytes], _: Any) -> None:
        from sre_latency.probe.providers.base import StreamState

        parser, state = adapter(provider, api).parser(), StreamState()
        for t, chunk in enumerate(chunks):
            parser.feed(chunk, 1000 + t, state)
            if state.error is not None:
                break
        if state.error is None:
            parser.close(state)
        assert state.done or state.error is not None, "a stream neither done nor failed"
        if state.error is not None:
            assert state.error.class_ in ("protocol", "stream_error"), state.error
        assert all(g >= 0 for g in state.gaps_ns) and state.content_deltas >= 0
        for count in (state.input_tokens, state.output_tokens):
            assert count is None or -(2**63) <= count < 2**63

    return check


# --- HTTP error bodies, JSON helper --------------------------------------------------------

ERROR_BODY = json.dumps({"type": "error", "error": {"type": "rate_limit_error", "message": "m"},
                         "message": "m", "__type": "ThrottlingException"}).encode()  # fmt: skip
http_errors = st.tuples(
    st.sampled_from(["anthropic", "openai", "bedrock"]),
    st.integers(100, 599),
    st.dictionaries(st.sampled_from(["x-amzn-errortype", "request-id", "x"]), st.text(max_size=40)),
    st.one_of(mutated_json(json.loads(ERROR_BODY)).map(lambda v: json.dumps(v).encode()),
              mutated_bytes(ERROR_BODY), st.binary(max_size=128)),
)  # fmt: skip


def check_http_error(case: tuple, _: Any) -> None:
    provider, status, headers, body = case
    error = adapter(provider).error_from_response(status, headers, body)
    assert error.class_ in ERROR_CLASSES and error.status == status and len(error.message) <= 300


def check_json_object(data: bytes, _: Any) -> None:
    from sre_latency.probe.providers.base import json_object

    assert json_object(data) is None or isinstance(json_object(data), dict)


# --- local files: hook logs, transcripts, journals, run files, SLO tables -----------------


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line]


def line_files(lines: list[bytes], mutate_json: bool = True) -> st.SearchStrategy[bytes]:
    """A file of real lines, some of them mutated (as JSON or as bytes), some added."""
    one = st.sampled_from(lines)
    bad = st.one_of(one.flatmap(mutated_bytes),
                    one.map(json.loads).flatmap(mutated_json).map(lambda v: json.dumps(v).encode())
                    if mutate_json else one.flatmap(mutated_bytes),
                    JSON_VALUES.map(lambda v: json.dumps(v).encode()))  # fmt: skip
    return st.lists(st.one_of(one, one, bad), min_size=1, max_size=12).map(b"\n".join)


HOOK_LINES = _lines(CLAUDE / "tool-latency.jsonl")  # what the real hook wrote for the fixtures
TRANSCRIPT_LINES = _lines(CLAUDE / "transcript_bash_read_mcp.jsonl")


def check_hook_log(data: bytes, tmp: Path) -> None:
    from sre_latency.claude_code.hook_log import read_log
    from sre_latency.errors import ConfigError

    path = tmp / "tool-latency.jsonl"
    path.write_bytes(data)
    found = _expected(ConfigError, lambda: read_log(path, last=3))
    if found is not None:
        assert 0 <= found.malformed_lines <= found.lines_read
        for events in found.sessions.values():
            assert len(events.kind) == len(events.ts_ns) == len(events.duration_ms)
            for name, codes in events.codes.items():
                assert all(events.text(name, int(c)) is None or c >= 0 for c in codes[:50])


def check_transcript(data: bytes, tmp: Path) -> None:
    from sre_latency.claude_code.transcript import read_transcript
    from sre_latency.errors import ConfigError

    path = tmp / "session.jsonl"
    path.write_bytes(data)
    found = _expected(ConfigError, lambda: read_transcript(path))
    if found is not None:
        assert 0 <= found.malformed_lines <= found.lines_read
        assert all(type(e["ts_ns"]) is int for e in found.events)


def _journal_lines() -> list[bytes]:
    from sre_latency.core.contract import Run
    from sre_latency.store.journal import journal_header, sample_line

    run = Run.model_validate_json(RUN_FILE.read_bytes())
    lines = [json.dumps(journal_header(run)).encode()]
    for label, p in run.providers.items():
        lines += [sample_line(label, s).rstrip(b"\n") for s in p.samples[:4]]
    return lines


JOURNAL_LINES = _journal_lines()
journals = st.one_of(
    line_files(JOURNAL_LINES[1:]).map(lambda body: JOURNAL_LINES[0] + b"\n" + body),
    line_files(JOURNAL_LINES),
)


def check_journal(data: bytes, _: Any) -> None:
    from sre_latency.errors import StoreError
    from sre_latency.store.journal import run_from_journal

    run = _expected(StoreError, lambda: run_from_journal(data, "fuzz.jsonl"))
    if run is not None:
        assert not run.complete
        assert all(p.summary.n == len(p.samples) for p in run.providers.values())


def _run_file_base() -> Any:
    data = json.loads(RUN_FILE.read_bytes())
    for p in data["providers"].values():
        p["samples"] = p["samples"][:12]
    return data


RUN_BASE = _run_file_base()
run_files = st.one_of(
    mutated_json(RUN_BASE, max_mutations=4).map(lambda v: json.dumps(v).encode()),
    st.just(json.dumps(RUN_BASE).encode()).flatmap(mutated_bytes),
)


def check_run_file(data: bytes, tmp: Path) -> None:
    from sre_latency.analysis.columns import ANALYSED_KINDS, load_columns
    from sre_latency.errors import StoreError
    from sre_latency.store import parse_run

    path = tmp / "run.json"
    path.write_bytes(data)
    judged = _expected(StoreError, lambda: parse_run(data, path))
    loaded = _expected(StoreError, lambda: load_columns(path))
    contract_accepts = judged is not None and judged.kind in ANALYSED_KINDS
    assert contract_accepts == (loaded is not None), "the loader and the contract disagree"


SLO_BASE = (b'replace_defaults = false\nthresholds = ["ttft_ms p95 < 500", "error_rate < 1%"]\n'
            b"[grades]\nttft_ms.p50 = [400, 700, 1000, 1500]\nerror_rate = [0, 0.01, 0.05, 0.1]\n"
            b"[goodput]\nttft_ms = 800\ntotal_ms = 5000\n")  # fmt: skip


class HugeInt:
    """A TOML integer of more digits than Python turns into an int (4,300)."""

    def __repr__(self) -> str:
        return "1" * 5000


TOML_ATOMS = st.one_of(
    st.just(HugeInt()),
    st.integers(),
    st.sampled_from([10**400, -(10**30), float("inf"), float("nan"), -1.5, True]),
    st.floats(),
    st.text(max_size=8),
    st.integers(1, 300).map(lambda d: json.loads("[" * d + "1" + "]" * d)),
)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return (
            "nan"
            if v != v
            else "inf"
            if v == float("inf")
            else "-inf"
            if v == float("-inf")
            else repr(v)
        )
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()
                               if x is not None) + "}"  # fmt: skip
    return json.dumps(v) if isinstance(v, str) else repr(v) if isinstance(v, HugeInt) else str(v)


def toml_dumps(table: dict) -> bytes:
    """Enough of a TOML writer for SLO tables: scalars first, then one [section] per table."""
    head = [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in table.items()
            if v is not None and not isinstance(v, dict)]  # fmt: skip
    body = [f"[{json.dumps(str(k))}]\n" + "\n".join(
        f"{json.dumps(str(kk))} = {_toml_value(vv)}" for kk, vv in v.items() if vv is not None)
        for k, v in table.items() if isinstance(v, dict)]  # fmt: skip
    return ("\n".join(head) + "\n" + "\n".join(body) + "\n").encode("utf-8", "surrogatepass")


@st.composite
def _slo_tables(draw) -> bytes:
    import tomllib

    table = tomllib.loads(SLO_BASE.decode())
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(["grades", "goodput", "top"]))
        node = table if section == "top" else table.setdefault(section, {})
        if isinstance(node, dict):
            key = draw(
                st.sampled_from(
                    ["ttft_ms", "total_ms", "error_rate", "thresholds", "replace_defaults", "p99"]
                )
                | st.text(max_size=6)
            )
            node[key] = draw(
                TOML_ATOMS
                | st.lists(TOML_ATOMS, max_size=5)
                | st.dictionaries(st.text(max_size=5), TOML_ATOMS, max_size=3)
            )
    return toml_dumps(table)


slo_files = st.one_of(mutated_bytes(SLO_BASE), _slo_tables(), _slo_tables().flatmap(mutated_bytes))


def check_slo_file(data: bytes, tmp: Path) -> None:
    from sre_latency.core.slo import load_slo_file
    from sre_latency.errors import ConfigError

    path = tmp / "slo.toml"
    path.write_bytes(data)
    table = _expected(ConfigError, lambda: load_slo_file(path))
    if table is not None:
        assert all(len(rule.bounds) == 4 for rule in table.rules)


THRESHOLD_PIECES = st.sampled_from(
    [
        "ttft_ms",
        "error_rate",
        "output_tps",
        "p95",
        "p(99.9)",
        " ",
        ".",
        "<",
        ">=",
        "<=",
        "5",
        "0.5",
        "%",
        "ms",
        "-",
        "(",
        "x",
    ]
)
thresholds = st.one_of(st.lists(THRESHOLD_PIECES, max_size=10).map("".join), st.text(max_size=40),
                       st.text(alphabet=" .<0p", min_size=100, max_size=300))  # fmt: skip


def check_threshold(expression: str, _: Any) -> None:
    from sre_latency.core.slo import parse_threshold
    from sre_latency.errors import ConfigError

    found = _expected(ConfigError, lambda: parse_threshold(expression))
    if found is not None:
        assert found.op in ("<", "<=", ">", ">=")


# --- Claude Code's OTLP exports (session benchmarks) ----------------------------------------

OTLP = CLAUDE / "otlp"


def _otlp_bodies() -> tuple[list[Any], list[bytes]]:
    as_json = [json.loads(p.read_bytes()) for p in sorted((OTLP / "otel-json").glob("*.body"))]
    binary = [p.read_bytes() for p in sorted(OTLP.glob("*protobuf/*.body"))]
    return as_json, binary


_OTLP_JSON, _OTLP_BINARY = _otlp_bodies()
otlp_exports = st.one_of(
    st.sampled_from(_OTLP_JSON).flatmap(mutated_json).map(
        lambda v: ("application/json", "", json.dumps(v).encode())),
    st.sampled_from(_OTLP_BINARY).flatmap(mutated_bytes).map(
        lambda b: ("application/x-protobuf", "gzip" if b[:2] == b"\x1f\x8b" else "", b)),
    st.sampled_from(_OTLP_BINARY).map(lambda b: ("application/x-protobuf", "gzip", b)),
)  # fmt: skip


def check_otlp(case: tuple[str, str, bytes], _: Any) -> None:
    from sre_latency.claude_code.otlp import Export
    from sre_latency.claude_code.otlp_decode import decode, flag, number

    content_type, encoding, body = case
    exports = [Export(path, content_type, encoding, body, 0) for path in ("/v1/logs",
                                                                       "/v1/metrics")]  # fmt: skip
    decoded = decode(exports)
    assert 0 <= decoded.undecodable <= 2
    for event in decoded.events:
        for value in event.attributes.values():
            number(value), flag(value)

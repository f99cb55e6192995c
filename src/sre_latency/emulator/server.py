"""The emulator: shared state (profile, seeded randomness, faults, recorder), routing, lifecycle.

``Emulator`` runs on the caller's event loop (``async with Emulator(profile) as emu``);
``run_emulator_in_thread`` runs one on its own loop in a daemon thread, for in-process
``--emulate`` use by synchronous callers. Protocol handlers live in ``anthropic.py``,
``openai.py`` and ``bedrock.py`` and are written against the contract in ``http.py``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import threading
from collections.abc import Awaitable, Callable
from time import perf_counter_ns
from typing import Any

from sre_latency.emulator.http import HttpServer, Request, Responder
from sre_latency.emulator.profile import (  # content helpers re-exported for protocol handlers
    EmulatorProfile,
    PromptCache,
    estimate_input_tokens,
    json_bytes,
    split_text,
    synthetic_pieces,
)
from sre_latency.emulator.records import Recorder, RequestRecord
from sre_latency.errors import ConfigError

__all__ = [
    "Emulator",
    "EmulatorState",
    "EmulatorThread",
    "Schedule",
    "estimate_input_tokens",
    "json_bytes",
    "run_emulator_in_thread",
    "sleep_until",
    "split_text",
    "synthetic_pieces",
]
log = logging.getLogger("sre_latency.emulator")

Handler = Callable[[Request, Responder, "EmulatorState"], Awaitable[None]]
CONTROL_PREFIX = "/_emulator/"


async def sleep_until(target_ns: int) -> None:
    """Sleep until perf_counter_ns() ≥ target_ns: never early (uvloop timers can fire ~1 ms early)."""
    first = True
    while (remaining_ns := target_ns - perf_counter_ns()) > 0:
        # the first sleep is exact; a re-sleep rounds up to whole ms so uvloop cannot spin
        await asyncio.sleep(remaining_ns / 1e9 if first else -(-remaining_ns // 1_000_000) / 1e3)
        first = False


class Schedule:
    """Absolute send times for one response, anchored at the request's arrival.

    Targets never drift: if one event goes out late, the next is still due at its own time.
    """

    __slots__ = ("_state", "first_byte_ns", "next_ns")

    def __init__(self, state: EmulatorState, received_ns: int, overhead_ms: float):
        self._state = state
        self.first_byte_ns = received_ns + int(overhead_ms * 1e6)
        self.next_ns = self.first_byte_ns

    def first_token_at(self, extra_ms: float = 0.0) -> int:
        """Due time of the first content delta: first byte + jittered TTFT (+ extra_ms)."""
        ttft_ms = self._state.jittered(self._state.profile.ttft_ms)
        self.next_ns = self.first_byte_ns + int((ttft_ms + extra_ms) * 1e6)
        return self.next_ns

    def next_token_at(self) -> int:
        """Due time of the next content delta: previous due time + jittered inter-token gap."""
        self.next_ns += int(self._state.jittered(self._state.profile.itl_ms) * 1e6)
        return self.next_ns


class EmulatorState:
    """Everything handlers share: the profile, seeded randomness, the fault picker, the recorder."""

    def __init__(self, profile: EmulatorProfile, script: Any = None):
        self.profile = profile
        self.recorder = Recorder(profile.max_records)
        self.script = script
        self.prompt_cache = PromptCache()
        self._instance_id = secrets.token_hex(6)  # request ids stay unique across runs and resets
        self._id_seq = 0
        self.reseed()

    def reseed(self) -> None:
        seed = self.profile.seed
        self.rng = random.Random(f"jitter:{seed}")
        self._fault_rng = random.Random(f"faults:{seed}")

    def pick_fault(self, protocol: str) -> str | None:
        """Draw at most one fault behaviour for a request of ``protocol`` (seeded, in arrival order)."""
        faults = [f for f in self.profile.faults if f.protocol in (None, protocol)]
        if not faults:
            return None
        draw = self._fault_rng.random()
        cumulative = 0.0
        for fault in faults:
            cumulative += fault.rate
            if draw < cumulative:
                return fault.behaviour
        return None

    def jittered(self, ms: float) -> float:
        """``ms`` plus a seeded uniform ±jitter_ms, never below zero."""
        jitter = self.profile.jitter_ms
        if not jitter:
            return ms
        return max(0.0, ms + self.rng.uniform(-jitter, jitter))

    async def delay(self, ms: float) -> None:
        """Sleep a jittered ``ms`` (never early)."""
        await sleep_until(perf_counter_ns() + int(self.jittered(ms) * 1e6))

    def schedule(self, request: Request, protocol: str, extra_overhead_ms: float = 0.0) -> Schedule:
        """The send-time plan for one response: the protocol's overhead, then TTFT, then gaps."""
        overhead_ms = self.profile.overhead_ms(protocol) + extra_overhead_ms
        return Schedule(self, request.received_ns, overhead_ms)

    def prompt_usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Input-token usage of an Anthropic-shaped body, with prompt caching emulated."""
        return self.prompt_cache.usage(body)

    def new_request_id(self, prefix: str = "req_") -> str:
        self._id_seq += 1
        return f"{prefix}emu{self._instance_id}{self._id_seq:08d}"


async def _not_found(req: Request, resp: Responder, state: EmulatorState) -> None:
    body = {
        "type": "error",
        "error": {"type": "not_found_error", "message": f"No emulated route for {req.path}."},
    }
    await resp.send_full(404, [("content-type", "application/json")], json_bytes(body))


async def _models(req: Request, resp: Responder, state: EmulatorState) -> None:
    """``GET /v1/models``: the Claude models sre-latency knows, in the asking client's shape
    (Anthropic clients send ``anthropic-version`` or ``x-api-key``)."""
    from sre_latency.emulator import anthropic, openai
    from sre_latency.probe.model_names import MODELS

    ids = [model.anthropic for model in MODELS.values()]
    resp.record.request_id = state.new_request_id()
    if "anthropic-version" in req.headers or "x-api-key" in req.headers:
        resp.record.protocol = "anthropic"
        if not anthropic.api_key(req):
            await anthropic.send_error(resp, 401, "An x-api-key header is required.")
            return
        created = "2025-01-01T00:00:00Z"
        data = [{"type": "model", "id": i, "display_name": i, "created_at": created} for i in ids]
        body = {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}
        id_header = "request-id"
    else:
        resp.record.protocol = "openai"
        if not openai.bearer_token(req):
            await openai.send_error(
                resp, 401, "You didn't provide an API key.", code="invalid_api_key"
            )
            return
        data = [
            {"id": i, "object": "model", "created": 1735689600, "owned_by": "emulator"} for i in ids
        ]
        body = {"object": "list", "data": data}
        id_header = "x-request-id"
    headers = [("content-type", "application/json"), (id_header, resp.record.request_id)]
    await resp.send_full(200, headers, json_bytes(body))


def _route(path: str) -> Handler:
    from sre_latency.emulator import anthropic, bedrock, openai

    if path == "/v1/messages":
        return anthropic.handle_messages
    if path == "/v1/messages/count_tokens":
        return anthropic.handle_count_tokens
    if path == "/v1/chat/completions":
        return openai.handle_chat_completions
    if path == "/v1/models":
        return _models
    if path.startswith("/model/"):
        return bedrock.handle
    return _not_found


class Emulator:
    """The emulator on the running event loop. ``async with Emulator(profile) as emu: emu.base_url``."""

    def __init__(self, profile: EmulatorProfile | None = None, *, script: Any = None, **knobs: Any):
        self.profile = profile if profile is not None else EmulatorProfile.build(**knobs)
        self.state = EmulatorState(self.profile, script)
        self._http = HttpServer(self._dispatch, self._make_record)
        self.port = 0

    @property
    def base_url(self) -> str:
        host = f"[{self.profile.host}]" if ":" in self.profile.host else self.profile.host
        return f"http://{host}:{self.port}"

    @property
    def recorder(self) -> Recorder:
        return self.state.recorder

    @property
    def records(self) -> list[RequestRecord]:
        return self.state.recorder.snapshot()

    async def start(self) -> str:
        _route("/v1/messages")  # import the protocol modules now, not during the first request
        if self.profile.script is not None and self.state.script is None:
            from sre_latency.emulator.scripted import Script

            self.state.script = Script.load(self.profile.script)
        try:
            self.port = await self._http.listen(self.profile.host, self.profile.port)
        except OSError as exc:
            raise ConfigError(
                f"the emulator cannot listen on {self.profile.host}:{self.profile.port}: "
                f"{exc.strerror or exc}."
            ) from None
        return self.base_url

    async def stop(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _make_record(self, req: Request) -> RequestRecord:
        if req.path.startswith(CONTROL_PREFIX):
            return RequestRecord(0, req.method, req.path, req.received_ns)  # not recorded
        return self.state.recorder.new(req.method, req.path, req.received_ns)

    async def _dispatch(self, req: Request, resp: Responder) -> None:
        handler = self._control if req.path.startswith(CONTROL_PREFIX) else _route(req.path)
        try:
            await handler(req, resp, self.state)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("emulator handler failed on %s %s", req.method, req.path)
            resp.record.outcome = "error"
            if not resp.started:
                body = {"type": "error", "error": {"type": "api_error", "message": "Emulator bug."}}
                await resp.send_full(500, [("content-type", "application/json")], json_bytes(body))
            elif not resp.ended:
                resp.cut()

    async def _control(self, req: Request, resp: Responder, state: EmulatorState) -> None:
        recorder = self.state.recorder
        if req.path == "/_emulator/records" and req.method == "GET":
            try:
                since = int(req.query.get("since", "0") or 0)
            except ValueError:
                since = 0
            records = [r.to_dict() for r in recorder.snapshot(since)]
            body: dict[str, Any] = {"last_seq": recorder.last_seq, "records": records}
        elif req.path == "/_emulator/reset" and req.method == "POST":
            recorder.clear()
            self.state.reseed()
            body = {"ok": True, "last_seq": recorder.last_seq}
        elif req.path == "/_emulator/profile" and req.method == "GET":
            secrets = {"aws_secret_access_key", "aws_bearer_token"}
            body = self.profile.model_dump(mode="json", exclude=secrets)
        else:
            await _not_found(req, resp, self.state)
            return
        await resp.send_full(200, [("content-type", "application/json")], json_bytes(body))


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (lower per-chunk cost), else the standard loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class EmulatorThread:
    """An emulator on its own event loop in a daemon thread; a context manager."""

    def __init__(self, profile: EmulatorProfile, script: Any = None):
        self.emulator = Emulator(profile, script=script)
        self._loop = new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sre-latency-emulator", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.emulator.start())
        except BaseException as exc:  # handed to the starting thread
            self._error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self.emulator.stop())
            self._loop.close()

    def start(self, timeout_s: float = 10.0) -> str:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise ConfigError("the emulator did not start within 10 seconds.")
        if self._error is not None:
            raise self._error
        return self.base_url

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def records(self) -> list[RequestRecord]:
        return self.emulator.recorder.snapshot()

    @property
    def recorder(self) -> Recorder:
        return self.emulator.recorder

    def __enter__(self) -> EmulatorThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_emulator_in_thread(
    profile: EmulatorProfile | None = None, *, script: Any = None, **knobs: Any
) -> EmulatorThread:
    """Start an emulator in a daemon thread and return its running handle (``with`` stops it)."""
    handle = EmulatorThread(
        profile if profile is not None else EmulatorProfile.build(**knobs), script
    )
    handle.start()
    return handle

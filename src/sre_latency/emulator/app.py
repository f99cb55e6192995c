"""The emulator: routing, the control routes and the lifecycle (own loop, or a daemon thread).

``Emulator`` runs on the caller's event loop (``async with Emulator(profile) as emu``);
``run_emulator_in_thread`` runs one on its own loop in a daemon thread, for in-process
``--emulate`` use by synchronous callers. Protocol handlers live in ``protocols/`` and are
written against ``http.py`` and ``state.py``; they never import this module.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from sre_latency.emulator.content import json_bytes
from sre_latency.emulator.http import HttpServer, Request, Responder, WireShape
from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.emulator.protocols import anthropic, bedrock, models, openai
from sre_latency.emulator.records import Recorder, RequestRecord
from sre_latency.emulator.state import EmulatorState, Handler
from sre_latency.errors import ConfigError

__all__ = ["Emulator", "EmulatorThread", "new_event_loop", "run_emulator_in_thread"]
log = logging.getLogger("sre_latency.emulator")

CONTROL_PREFIX = "/_emulator/"


async def _not_found(req: Request, resp: Responder, state: EmulatorState) -> None:
    body = {
        "type": "error",
        "error": {"type": "not_found_error", "message": f"No emulated route for {req.path}."},
    }
    await resp.send_full(404, [("content-type", "application/json")], json_bytes(body))


async def _root(req: Request, resp: Responder, state: EmulatorState) -> None:
    """``GET /``, as the profile's ``root_response`` says: a 404, a 404 that closes, or nothing."""
    mode = state.profile.root_response
    if mode == "stall":
        await _never()
    if mode == "404-close":
        resp.close_after()
    await _not_found(req, resp, state)


async def _never() -> None:
    """Wait until the server stops (its connection tasks are cancelled)."""
    await asyncio.Event().wait()


def _route(path: str) -> Handler:
    if path == "/":
        return _root
    if path == "/v1/messages":
        return anthropic.handle_messages
    if path == "/v1/messages/count_tokens":
        return anthropic.handle_count_tokens
    if path == "/v1/chat/completions":
        return openai.handle_chat_completions
    if path == "/v1/models":
        return models.handle_models
    if path.startswith("/model/"):
        return bedrock.handle
    return _not_found


class Emulator:
    """The emulator on the running event loop. ``async with Emulator(profile) as emu: emu.base_url``."""

    def __init__(self, profile: EmulatorProfile | None = None, *, script: Any = None, **knobs: Any):
        self.profile = profile if profile is not None else EmulatorProfile.build(**knobs)
        self.state = EmulatorState(self.profile, script)
        profile = self.profile
        shape = None
        if profile.split_first_event_ms or profile.buffered_writes:
            shape = WireShape(profile.split_first_event_ms, profile.buffered_writes)
        self._http = HttpServer(self._dispatch, self._make_record, self._refuse, shape)
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
        control = req.path.startswith(CONTROL_PREFIX)
        if self.profile.unresponsive and not control:
            await _never()  # a stalled upstream: the request was read, no byte goes back
        handler = self._control if control else _route(req.path)
        try:
            await handler(req, resp, self.state)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except RecursionError:  # JSON nested deeper than any request of these APIs
            if not resp.started:
                await self._refuse(req, resp, 400, "The request body is nested too deeply.")
        except Exception:
            log.exception("emulator handler failed on %s %s", req.method, req.path)
            resp.record.outcome = "error"
            if not resp.started:
                body = {"type": "error", "error": {"type": "api_error", "message": "Emulator bug."}}
                await resp.send_full(500, [("content-type", "application/json")], json_bytes(body))
            elif not resp.ended:
                resp.cut()
        finally:
            self.state.capacity.leave(id(req))  # its generation slot, if it held one

    async def _refuse(self, req: Request, resp: Responder, status: int, message: str) -> None:
        """A client's mistake (a body too large or nested too deep) answered in the error
        shape of the API the route belongs to, as that API would."""
        resp.record.request_id = resp.record.request_id or self.state.new_request_id()
        if req.path.startswith("/model/"):
            await bedrock.send_error(resp, status, "ValidationException", message)
        elif req.path.startswith("/v1/chat/"):
            await openai.send_error(resp, status, message)
        else:
            await anthropic.send_error(resp, status, message)

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

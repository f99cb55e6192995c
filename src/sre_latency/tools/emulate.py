"""The ``emulate`` command: the local API emulator in the foreground until Ctrl-C or SIGTERM.

Its options are the emulator profile's own fields (``emulator.profile.EmulatorProfile``), so
the emulator's settings are declared once. Secrets are not options: the emulator reads its own
AWS secret key and Bedrock API key from ``SRE_LATENCY_EMULATOR_AWS_SECRET_ACCESS_KEY`` and
``SRE_LATENCY_EMULATOR_AWS_BEARER_TOKEN`` (a process's arguments are visible to every user).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from sre_latency.emulator.profile import EmulatorProfile
from sre_latency.tools.options import Face, Options

DESCRIPTION = """\
Serve emulated Anthropic (/v1/messages), OpenAI (/v1/chat/completions) and Bedrock (/model/...)
APIs on 127.0.0.1 with a latency profile and injected faults, to rehearse alerts and client
failure handling offline. Point a client at it with ANTHROPIC_BASE_URL / OPENAI_BASE_URL (any
non-empty key is accepted)."""
HIDDEN = {"aws_secret_access_key", "aws_bearer_token", "faults"}


def _option(name: str) -> tuple[Any, Any]:
    info = EmulatorProfile.model_fields[name]
    bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le") if hasattr(m, k)}
    annotation = info.annotation if name != "script" else str | None
    return annotation, Field(info.default, description=info.description, **bounds)


EmulateOptions: type[Options] = create_model(  # type: ignore[call-overload]
    "EmulateOptions",
    __base__=Options,
    **{name: _option(name) for name in EmulatorProfile.model_fields if name not in HIDDEN},
    fault=(
        Annotated[list[str], Face(repeat=True, metavar="[PROTOCOL:]NAME:RATE")],
        Field(
            default_factory=list,
            description="inject a fault into a fraction of requests, e.g. rate_limit:0.1 or "
            "bedrock:overloaded:0.05; repeatable. Names: auth, permission, rate_limit, "
            "overloaded, server, client, timeout|stall, connection|cut, stream_error, "
            "protocol|truncate, malformed",
        ),
    ),
    log_requests=(bool, Field(False, description="print one line per finished request on stderr")),
)


class EmulateResult(BaseModel):
    url: str
    requests_served: int
    summary: str


def profile_of(opts: Any) -> EmulatorProfile:
    from sre_latency.tools.emulation import secrets_from_environment

    values = opts.model_dump(exclude={"fault", "log_requests"}, exclude_none=True)
    return EmulatorProfile.build(**values, faults=list(opts.fault), **secrets_from_environment())


def _say(text: str, err: bool = False) -> None:
    import sys

    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def run(opts: Any, *, store=None, confined: bool = False, say: Callable[..., None] = _say):
    """Serve until SIGINT/SIGTERM; ``say(text, err)`` prints the address (stdout), the client
    set-up and, with ``log_requests``, each finished request (stderr)."""
    from sre_latency.emulator import new_event_loop

    profile = profile_of(opts)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(_serve(profile, opts.log_requests, say))


async def _serve(profile: EmulatorProfile, log_requests: bool, say) -> EmulateResult:
    from sre_latency.emulator import Emulator

    emulator = Emulator(profile)
    url = await emulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still interrupts
            loop.add_signal_handler(signum, stop.set)
    say(f"sre-latency emulator listening on {url}")
    say(
        f"  export ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=dummy\n"
        f"  export OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY=dummy\n"
        f"  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}\n"
        f"  records: curl {url}/_emulator/records   (Ctrl-C stops)",
        True,
    )
    request_log = RequestLog(emulator.recorder, say) if log_requests else None
    try:
        while not stop.is_set():
            if request_log is not None:
                request_log.print_finished()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.2 if request_log else None)
    finally:
        await emulator.stop()
        if request_log is not None:
            request_log.print_finished()
    served = emulator.recorder.last_seq
    return EmulateResult(url=url, requests_served=served,
                         summary=f"sre-latency emulator stopped after {served} requests")  # fmt: skip


class RequestLog:
    """Says each finished request once: seq, protocol, route, status, fault, truth timings."""

    def __init__(self, recorder: Any, say: Callable[..., None]):
        self._recorder = recorder
        self._say = say
        self._seen = 0
        self._pending: dict[int, Any] = {}

    def print_finished(self) -> None:
        for record in self._recorder.snapshot(self._seen):
            self._pending[record.seq] = record
            self._seen = max(self._seen, record.seq)
        for seq in sorted(self._pending):
            record = self._pending[seq]
            if not record.complete:
                continue
            del self._pending[seq]
            ttft = f"{record.ttft_ns / 1e6:.1f}" if record.ttft_ns is not None else "-"
            total = (record.ended_ns - record.received_ns) / 1e6
            self._say(
                f"#{seq} {record.protocol or '-'} {record.method} {record.route} "
                f"status={record.status} fault={record.fault or '-'} outcome={record.outcome} "
                f"ttft_ms={ttft} total_ms={total:.1f}",
                True,
            )


OPTIONS = EmulateOptions
RESULT = "sre_latency.tools.emulate:EmulateResult"

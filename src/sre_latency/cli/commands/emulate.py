"""``sre-latency emulate``: run the local API emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any

PROFILE_FLAGS = (
    # (flag, type, default, help)
    ("--ttft-ms", float, 200.0, "time to first token after the first byte (default 200)"),
    ("--itl-ms", float, 10.0, "gap between output tokens (default 10)"),
    ("--output-tokens", int, 64, "output tokens per reply, capped by max_tokens (default 64)"),
    (
        "--thinking-tokens",
        int,
        32,
        "thinking deltas before the text when a request enables extended thinking (default 32)",
    ),
    ("--jitter-ms", float, 0.0, "seeded uniform ± jitter on the TTFT and each gap (default 0)"),
    ("--seed", int, 0, "seed for jitter and fault draws (default 0)"),
    (
        "--anthropic-overhead-ms",
        float,
        0.0,
        "extra delay before the first byte on Anthropic routes",
    ),
    ("--openai-overhead-ms", float, 0.0, "extra delay before the first byte on OpenAI routes"),
    ("--bedrock-overhead-ms", float, 0.0, "extra delay before the first byte on Bedrock routes"),
    ("--guardrail-overhead-ms", float, 120.0, "extra Bedrock delay when a guardrail is applied"),
    (
        "--bedrock-optimized-overhead-ms",
        float,
        None,
        "Bedrock overhead for latency-optimized requests (default: half of --bedrock-overhead-ms)",
    ),
    (
        "--stall-ms",
        float,
        30_000.0,
        "how long the timeout/stall fault waits before the first token",
    ),
    ("--retry-after-s", int, 1, "retry-after seconds sent with an injected 429 (default 1)"),
    ("--aws-access-key-id", str, None, "access key id Bedrock SigV4 signatures must use"),
    ("--aws-secret-access-key", str, None, "secret key Bedrock SigV4 signatures are checked with"),
    ("--aws-bearer-token", str, None, "Bedrock API key (Bearer) accepted instead of SigV4"),
    ("--max-records", int, 100_000, "requests kept in the records log (default 100000)"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulate",
        help="run a local emulator of the Anthropic, OpenAI and Bedrock APIs",
        description="Serve emulated Anthropic (/v1/messages), OpenAI (/v1/chat/completions) and "
        "Bedrock (/model/...) APIs on 127.0.0.1 with a latency profile and injected faults, to "
        "rehearse alerts and client failure handling offline. Point a client at it with "
        "ANTHROPIC_BASE_URL / OPENAI_BASE_URL (any non-empty key is accepted).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default), localhost or ::1")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    for flag, kind, default, help_text in PROFILE_FLAGS:
        parser.add_argument(flag, type=kind, default=default, help=help_text)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="[PROTOCOL:]NAME:RATE",
        help="inject a fault into a fraction of requests, e.g. rate_limit:0.1 or "
        "bedrock:overloaded:0.05; repeatable. Names: auth, permission, rate_limit, overloaded, "
        "server, client, timeout|stall, connection|cut, stream_error, protocol|truncate, malformed",
    )
    parser.add_argument(
        "--script",
        default=None,
        metavar="FILE",
        help="play a scripted conversation (tool calls, then text) instead of synthetic text",
    )
    parser.add_argument(
        "--log-requests", action="store_true", help="print one line per finished request on stderr"
    )
    parser.set_defaults(handler=run)


def profile_from_args(args: argparse.Namespace) -> Any:
    """Build the EmulatorProfile from parsed flags (ConfigError with one sentence if bad)."""
    from sre_latency.emulator.profile import EmulatorProfile

    values: dict[str, Any] = {"host": args.host, "port": args.port, "faults": list(args.fault)}
    for flag, _kind, _default, _help in PROFILE_FLAGS:
        name = flag.removeprefix("--").replace("-", "_")
        value = getattr(args, name)
        if value is not None:
            values[name] = value
    if args.script is not None:
        values["script"] = args.script
    return EmulatorProfile.build(**values)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from sre_latency.emulator.app import new_event_loop

    profile = profile_from_args(args)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(_serve(profile, args.log_requests))
    return 0


async def _serve(profile: Any, log_requests: bool) -> None:
    import asyncio
    import contextlib
    import signal
    import sys

    from sre_latency.emulator.app import Emulator

    emulator = Emulator(profile)
    url = await emulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still interrupts
            loop.add_signal_handler(signum, stop.set)
    print(f"sre-latency emulator listening on {url}", flush=True)
    print(
        f"  export ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=dummy\n"
        f"  export OPENAI_BASE_URL={url}/v1 OPENAI_API_KEY=dummy\n"
        f"  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}\n"
        f"  records: curl {url}/_emulator/records   (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    request_log = RequestLog(emulator.recorder) if log_requests else None
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
        print(f"sre-latency emulator stopped after {served} requests", file=sys.stderr, flush=True)


class RequestLog:
    """Prints each finished request once: seq, protocol, route, status, fault, truth timings."""

    def __init__(self, recorder: Any):
        self._recorder = recorder
        self._seen = 0
        self._pending: dict[int, Any] = {}

    def print_finished(self) -> None:
        import sys

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
            print(
                f"#{seq} {record.protocol or '-'} {record.method} {record.route} "
                f"status={record.status} fault={record.fault or '-'} outcome={record.outcome} "
                f"ttft_ms={ttft} total_ms={total:.1f}",
                file=sys.stderr,
                flush=True,
            )

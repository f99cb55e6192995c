"""``sre-latency latency-check``: one streamed request per provider, a one-screen answer."""

from __future__ import annotations

import argparse
import sys

from sre_latency.cli.common import add_json_flag


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "latency-check",
        help="one request per provider right now: TTFT, total time, connection set-up",
        description="Send one streamed request to each provider on a fresh connection and print "
        "TTFT, total time and the connection set-up. 'all' checks every provider whose "
        "credentials are present. Costs one request per provider unless --emulate is given.",
    )
    p.add_argument(
        "provider",
        nargs="?",
        default="all",
        choices=("anthropic", "openai", "bedrock", "all"),
        help="which provider (default all)",
    )
    p.add_argument(
        "--emulate",
        action="store_true",
        help="check the built-in emulator (in-process, dummy keys): no credentials, no cost",
    )
    p.add_argument(
        "--model", default=None, help="model name(s), comma-separated (default haiku-4.5)"
    )
    p.add_argument("--max-tokens", type=int, default=64, help="output token cap (default 64)")
    p.add_argument(
        "--timeout-s", type=float, default=60.0, help="total deadline per request (default 60)"
    )
    p.add_argument(
        "--bedrock-api", choices=("invoke", "converse"), default="invoke", help="Bedrock API"
    )
    p.add_argument("--bedrock-geo", default="us", help="inference-profile geography (default us)")
    add_json_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from sre_latency.cli.commands.benchmark import run_async
    from sre_latency.cli.common import bad_flag, console, emit_json
    from sre_latency.probe.targets import split_list
    from sre_latency.tools.latency_check import LatencyCheckOptions, run_latency_check

    try:
        opts = LatencyCheckOptions(
            provider=args.provider,
            models=split_list(args.model),
            max_tokens=args.max_tokens,
            timeout_s=args.timeout_s,
            emulate=args.emulate,
            bedrock_api=args.bedrock_api,
            bedrock_geo=args.bedrock_geo,
        )
    except ValidationError as exc:
        raise bad_flag(exc) from None
    try:
        result = run_async(run_latency_check(opts))
    except KeyboardInterrupt:
        print("sre-latency: interrupted", file=sys.stderr)
        return 130
    if args.json:
        emit_json(result)
    else:
        print_check(console(), result)
    return 0 if any(r.status == "ok" for r in result.providers) else 1


def print_check(con, result) -> None:
    from rich.table import Table

    table = Table(title="latency check · one request each · times in ms", title_justify="left")
    for col in ("provider", "status", "TTFT", "total", "connect", "TLS", "tokens", "detail"):
        table.add_column(
            col, justify="right" if col in ("TTFT", "total", "connect", "TLS") else "left"
        )

    def ms(v):
        return "-" if v is None else f"{v:.0f}" if v >= 10 else f"{v:.1f}"

    for r in result.providers:
        detail = r.error if r.error else (r.request_id or "")
        status = "ok" if r.status == "ok" else f"[red]{r.error_class}[/]"
        table.add_row(
            r.label,
            status,
            ms(r.ttft_ms),
            ms(r.total_ms),
            ms(r.connect_ms),
            ms(r.tls_ms),
            "-" if r.output_tokens is None else str(r.output_tokens),
            detail,
        )
    con.print(table)
    if result.skipped:
        con.print(f"skipped (no credentials): {', '.join(result.skipped)}")
    con.print(result.summary)

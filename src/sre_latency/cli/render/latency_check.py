"""The latency check: one row per provider, under the conditions it was measured in."""

from __future__ import annotations

from typing import Any

from sre_latency.cli.common import show_table


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def render(con: Any, result: Any) -> None:
    mark = " · [bold yellow]EMULATED[/]" if result.emulated else ""
    if result.conditions is not None:
        con.print(f"conditions: {result.conditions.line()}")
    header = ["provider", "status", "TTFT", "total", "connect", "TLS", "tokens"]
    rows = [
        [r.label, "ok" if r.status == "ok" else f"[red]{r.error_class}[/]", _ms(r.ttft_ms),
         _ms(r.total_ms), _ms(r.connect_ms), _ms(r.tls_ms),
         "-" if r.output_tokens is None else str(r.output_tokens)]
        for r in result.providers
    ]  # fmt: skip
    title = f"latency check {result.run_id}{mark} · one request each · times in ms"
    show_table(con, header, rows, title=title, right=[2, 3, 4, 5, 6])
    for r in result.providers:
        detail = f"{r.error_class}: {r.error}" if r.error else f"request id {r.request_id or '-'}"
        con.print(f"  {r.label} ({r.model}): {detail}")
    if result.skipped:
        con.print(f"skipped (no credentials): {', '.join(result.skipped)}")
    con.print(result.summary)
    con.print(f"saved {result.path}")


def exit_code(result: Any, opts: Any) -> int:
    return 0 if any(r.status == "ok" for r in result.providers) else 1

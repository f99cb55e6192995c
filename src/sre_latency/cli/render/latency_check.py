"""The latency check: one row per provider."""

from __future__ import annotations

from typing import Any


def render(con: Any, result: Any) -> None:
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


def exit_code(result: Any, opts: Any) -> int:
    return 0 if any(r.status == "ok" for r in result.providers) else 1

"""The benchmark table, its conditions, rates, errors explained, comparisons and warnings."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from sre_latency.cli.common import print_run_footer, show_table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


_PHASES = (("DNS", "dns_p50_ms"), ("connect", "connect_p50_ms"), ("TLS", "tls_p50_ms"))


def _tps(row: Any) -> str:
    if row.output_tps_mean is None and getattr(row, "buffered", 0):
        return "buffered"  # a stream a server or proxy buffered has no throughput
    return _rate(row.output_tps_mean)


def columns(result: Any) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and right-aligned columns of the table (connection set-up when cold).

    Errors are counted here and explained under the table, one example per class and target.
    """
    cold = result.cold  # a warm run's few new connections would make a p50 of one or two
    header = ["target", "n", "ok", "errors", "TTFT\np50", "TTFT\np99", "total\np50",
              "total\np99", "ITL\nmean", "tok/s\nmean", "req/s", "out\ntok/s", "good\nreq/s"]  # fmt: skip
    phases = [(name, field) for name, field in _PHASES
              if cold and (field == "connect_p50_ms" or any(getattr(r, field) is not None
                                                            for r in result.targets))]  # fmt: skip
    header += [f"{name}\np50" for name, _ in phases]
    rows = []
    for r in result.targets:
        row = [r.label, str(r.n), str(r.ok), str(r.n - r.ok) if r.n > r.ok else "-",
               _ms(r.ttft_p50_ms), _ms(r.ttft_p99_ms), _ms(r.total_p50_ms), _ms(r.total_p99_ms),
               _ms(r.itl_mean_ms), _tps(r), _rate(r.request_rate_per_s),
               _rate(r.output_tokens_per_s), _rate(r.goodput_per_s)]  # fmt: skip
        row += [_ms(getattr(r, field)) for _, field in phases]
        rows.append(row)
    right = [i for i, h in enumerate(header) if h != "target"]
    return header, rows, right


def render_errors(con: Any, targets: list[Any]) -> None:
    """One example message per error class and target, with the endpoint it came from."""
    examples = [(t.label, e) for t in targets for e in t.error_examples]
    if not examples:
        return
    con.print("errors (one example per class and target):")
    for label, e in examples:
        status = f" HTTP {e.status}" if e.status else ""
        text = f"{label} · {e.error_class} ×{e.count}{status} · {e.endpoint_host}: {e.message}"
        con.print(f"  {escape(text)}")


def render(con: Any, result: Any) -> None:
    """The conditions, the table, rates, errors, comparisons and any validity warning."""
    mark = " · [bold yellow]EMULATED[/]" if result.emulated else ""
    con.print(f"benchmark {result.run_id}{mark} · times in ms, rates per second")
    if result.conditions is not None:
        con.print(f"conditions: {result.conditions.line()}")
    models = sorted({row.model for row in result.targets})
    con.print(f"model{'s' if len(models) > 1 else ''}: {', '.join(models)}")
    header, rows, right = columns(result)
    show_table(con, header, rows, right=right)
    if result.throughput is not None:
        from sre_latency.tools.benchmark_result import rates_sentence

        slo = ", ".join(f"{k} {'≥' if k == 'output_tps' else '≤'} {v:g}"
                        for k, v in result.goodput_slo.items())  # fmt: skip
        con.print(f"overall: {rates_sentence(result.throughput)}; good = succeeded with {slo}")
    render_errors(con, result.targets)
    if result.comparisons:
        con.print("paired comparisons (same model on another provider first):")
    for sentence in result.comparisons:
        con.print(f"  {sentence}")
    print_run_footer(con, result)


def exit_code(result: Any, opts: Any) -> int:
    """1 when every request failed (the run is saved all the same)."""
    return 1 if result.finished and all(row.ok == 0 for row in result.targets) else 0

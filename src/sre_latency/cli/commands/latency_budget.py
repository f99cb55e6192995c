"""``sre-latency latency-budget``: where each millisecond goes, per provider, warm and cold."""

from __future__ import annotations

import argparse

from sre_latency.cli.common import add_json_flag

BAR_WIDTH = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "latency-budget",
        help="where each ms goes: DNS, connect, TLS, server wait, first token, generation",
        description="Measure (warm and cold connections) or read a run, and split each "
        "provider's request time into phases, with provider-vs-provider differences and CIs.",
    )
    p.add_argument("run", nargs="?", help="read this run instead of measuring (id, name or path)")
    p.add_argument("--providers", default=None, help="comma-separated providers to measure")
    p.add_argument("--model", default=None, help="model (short name or id) to measure")
    p.add_argument("-n", type=int, default=20, help="requests per provider and mode (default 20)")
    p.add_argument("--max-tokens", type=int, default=64, help="output tokens per request")
    p.add_argument("--emulate", action="store_true", help="measure the built-in emulator")
    p.add_argument("--output", metavar="FILE", help="where to save the measured run")
    add_json_flag(p)
    p.set_defaults(handler=_handle)


def _bar(start: float, length: float, scale: float) -> str:
    if scale <= 0:
        return ""
    a = round(start / scale * BAR_WIDTH)
    b = max(round((start + length) / scale * BAR_WIDTH), a + (1 if length > 0 else 0))
    return " " * a + "█" * (b - a)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _target_table(t, scale: float):
    from rich.table import Table

    modes = {m.mode: m for m in t.modes}
    shown = [modes[k] for k in ("warm", "cold") if k in modes]
    lead = shown[0] if shown else None
    title = f"{t.label} ({t.model})" + "".join(f"  {m.mode} n={m.n}" for m in shown)
    table = Table(title=title, title_justify="left")
    table.add_column("phase")
    for m in shown:
        table.add_column(f"{m.mode} ms", justify="right")
    table.add_column(f"waterfall ({lead.mode} mean)" if lead else "waterfall", no_wrap=True)
    if lead is None:
        return table
    for i, ph in enumerate(lead.phases):
        cells = [_ms(m.phases[i].mean_ms) for m in shown]
        if all(m.phases[i].mean_ms in (None, 0.0) for m in shown):
            continue  # e.g. DNS on an IP literal, TLS over plain HTTP
        table.add_row(ph.phase, *cells, _bar(ph.start_ms or 0.0, ph.mean_ms or 0.0, scale))
    table.add_row("[bold]total[/]", *[f"[bold]{_ms(m.total_mean_ms)}[/]" for m in shown], "",
                  end_section=True)  # fmt: skip
    if any(m.server_latency_mean_ms is not None for m in shown):
        table.add_row("server (reported)", *[_ms(m.server_latency_mean_ms) for m in shown], "")
        table.add_row("network overhead", *[_ms(m.network_overhead_mean_ms) for m in shown], "")
    return table


def _print(result) -> None:
    from rich.table import Table

    from sre_latency.cli.common import console

    out = console()
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}")
    out.print(f"[bold]Latency budget — run {result.run_id}[/] (mean ms per phase)")
    scale = max((m.total_mean_ms or 0.0 for t in result.targets for m in t.modes), default=0.0)
    for t in result.targets:
        out.print(_target_table(t, scale))
    if result.deltas:
        dt = Table(title="Phase differences (median of paired differences, 95 % CI)",
                   title_justify="left")  # fmt: skip
        for col in ("targets", "mode", "phase", "Δ ms", "95 % CI", "pairs"):
            dt.add_column(col, justify="left" if col in ("targets", "mode", "phase") else "right")
        for d in result.deltas:
            style = "bold" if d.significant else "dim"
            dt.add_row(
                f"{d.b} − {d.a}", d.mode, d.phase, f"[{style}]{d.delta_p50_ms:+.1f}[/]",
                f"[{d.ci95_low:+.1f}, {d.ci95_high:+.1f}]", str(d.paired_n),
            )  # fmt: skip
        out.print(dt)
    out.print(result.summary)


def _handle(args: argparse.Namespace) -> int:
    from sre_latency.cli.common import emit_json

    if args.run:
        from sre_latency.analysis.budget import latency_budget_from_run
        from sre_latency.errors import ConfigError

        measuring = [f for f, v in (("--providers", args.providers), ("--model", args.model),
                                    ("--emulate", args.emulate), ("--output", args.output)) if v]  # fmt: skip
        if measuring:
            raise ConfigError(
                f"{', '.join(measuring)} only apply when measuring; RUN reads a saved run, so "
                "drop one or the other."
            )

        result = latency_budget_from_run(args.run)
    else:
        import asyncio

        from sre_latency.analysis.budget import LatencyBudgetOptions, run_latency_budget

        options = LatencyBudgetOptions.build(
            providers=args.providers, model=args.model, n=args.n, max_tokens=args.max_tokens,
            emulate=args.emulate, output=args.output,
        )  # fmt: skip
        result = asyncio.run(run_latency_budget(options))
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return 0

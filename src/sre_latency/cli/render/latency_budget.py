"""The latency budget: a waterfall per target, and the phase differences."""

from __future__ import annotations

from typing import Any

BAR_WIDTH = 30


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


def render(out: Any, result: Any) -> None:
    from rich.table import Table

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


def exit_code(result: Any, opts: Any) -> int:
    return 0

"""The monitor's runs in the store (kind ``monitor``, one per rotation) and its final result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sre_latency.core.contract import Run, RunConfig
from sre_latency.store import RunStore, RunWriter


def monitor_config(m: Any) -> RunConfig:
    """Every knob of a monitor, as its run files record it."""
    from sre_latency.probe.transport import choose_transport

    o = m.opts
    return RunConfig(
        providers=m.providers, models=o.model, n=0, prompt_size=o.prompt_size,
        max_tokens=o.max_tokens, concurrency=1, warmup=0, timeout_s=o.timeout_s, cold=False,
        emulate=o.emulate, first_token_timeout_s=o.first_token_timeout_s or o.timeout_s,
        connect_timeout_s=o.connect_timeout_s, transport=choose_transport(o.transport, False),
        bedrock_api=o.bedrock_api, bedrock_geo=o.bedrock_geo, emulator=m.overrides or None,
        every_s=m.every_s, jitter_pct=o.jitter_pct, rotate_s=m.rotate_s, window_s=m.window_s,
        location=m.location, slo_objective=m.table.objective, goodput=dict(m.table.goodput),
    )  # fmt: skip


def finish_run(run: Run, writer: RunWriter | None, store: RunStore, why: str) -> str:
    """Summarise and save one monitor run (in a worker thread); returns where it is."""
    from sre_latency.core.paired import compare_targets
    from sre_latency.probe.session import summarize_run

    summarize_run(run)
    run.complete = True
    run.finished_at = datetime.now(UTC)
    run.config.n = max((len(p.samples) for p in run.providers.values()), default=0)
    run.extra["ended"] = why
    if len(run.providers) > 1:
        run.comparisons = compare_targets(run, seed=0)
    if writer is not None:
        writer.finish(run)
        return writer.location
    return str(store.save(run))


def monitor_result(m: Any) -> Any:
    from sre_latency.tools.monitor import MonitorResult

    window = m.window.status() if m.window is not None else None
    targets = window.targets if window is not None else []
    head = (f"{m.rounds_done} rounds from {m.location} every {m.opts.every}: {m.requests} "
            f"requests, {m.errors} errors")  # fmt: skip
    if m.failed_probes:
        head += f", {m.failed_probes} probes failed"
    skipped = m.scheduler.skipped if m.scheduler is not None else 0
    if skipped:
        head += f", {skipped} slots skipped (a probe still running)"
    summary = head + (f"; {window.summary}" if window is not None and targets else ".")
    return MonitorResult(
        location=m.location, started_at=m.started_at, stopped_at=m.stopped_at,
        stopped_by=m.stopped_by, every_s=m.every_s, rounds=m.rounds_done, requests=m.requests,
        errors=m.errors, failed_probes=m.failed_probes, skipped_slots=skipped,
        metrics_url=f"{m.http.url}/metrics" if m.http is not None else None,
        otlp_endpoint=m.opts.otlp_endpoint, runs=m.saved, targets=targets, notes=m.notes,
        summary=summary,
    )  # fmt: skip

"""The ``monitor_status`` tool: what the monitor saw, per location and target, lately.

From the store (default): the monitor's runs (kind ``monitor``; a run in progress is read from
its journal), newest first per location, until one began before the span. From a running
monitor (``monitor_url``): its rolling window, over ``/status``.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from pydantic import Field, field_validator

from sre_latency.core.durations import parse_duration
from sre_latency.core.metrics import PER_REQUEST_SLO_METRICS
from sre_latency.core.slo import DEFAULT_GOODPUT, SloTable
from sre_latency.errors import ConfigError, LatencyError
from sre_latency.monitor.observation import Observation, observe
from sre_latency.monitor.status import MonitorStatus, summarise
from sre_latency.store import RunStore
from sre_latency.tools.options import Face
from sre_latency.tools.store_option import StoreOptions, store_for

DESCRIPTION = """\
What the latency monitor (`sre-latency monitor`, running somewhere with the same store) saw in
the last hour (or `last`): per location and target, requests, errors by class, TTFT and total
time p50/p99, the share of good requests against the SLO objective, and the last success.
Answers "what did the monitor see for Bedrock in the last hour?". Reads the monitor's runs in
the store (or a running monitor's rolling window with monitor_url); costs nothing."""
MAX_LAST_S = 7 * 86400
MAX_RUNS = 400
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class MonitorStatusOptions(StoreOptions):
    provider: Annotated[str | None, Face(positional=True)] = Field(
        None, description="a provider (anthropic, bedrock, openai) or a target such as "
        "bedrock+optimized (default: every target)",
    )  # fmt: skip
    location: Annotated[str | None, Face(agent_max_length=64)] = Field(
        None, max_length=200, description="one location's monitor only (default: every location)"
    )
    last: Annotated[str, Face(metavar="DURATION")] = Field(
        "1h", description="how far back: 15m, 1h, 24h (at most 7d)"
    )
    monitor_url: Annotated[str | None, Face(metavar="URL")] = Field(
        None, max_length=200,
        description="read a running monitor's rolling window instead of the store: its "
        "--listen address, e.g. http://127.0.0.1:9464 (MCP: on this machine only)",
    )  # fmt: skip

    @field_validator("last")
    @classmethod
    def _last(cls, value: str) -> str:
        if parse_duration(value, "last") > MAX_LAST_S:
            raise ValueError("must be at most 7d")
        return value


def _slug(stem: str) -> str | None:
    """The location part of ``<utc>-monitor-<location>-<hex>``; None for other runs."""
    _, sep, rest = stem.partition("-monitor-")
    if not sep or "-" not in rest:
        return None
    return rest.rsplit("-", 1)[0]


def _slugify(location: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in location.lower()).strip("-")[:40]


def _picked(label: str, provider_name: str, provider: str | None) -> bool:
    return provider is None or provider in (label, provider_name)


def from_store(store: RunStore, provider: str | None, location: str | None, last_s: float,
               now_s: float | None = None) -> MonitorStatus:  # fmt: skip
    now_s = time.time() if now_s is None else now_s
    since = now_s - last_s
    by_place: dict[str, list] = {}
    for loc in store.list_paths():
        slug = _slug(loc.stem)
        if slug is not None and (location is None or slug == _slugify(location)):
            by_place.setdefault(slug, []).append(loc)
    seen: list[Observation] = []
    runs, notes, objective = [], [], None
    for locs in by_place.values():
        for loc in locs[:MAX_RUNS]:
            try:
                run = store.load_path(loc)
            except LatencyError as exc:
                notes.append(f"{loc.name} is unreadable: {exc}")
                continue
            runs.append(str(loc))
            place = run.environment.location or run.environment.host
            goodput = _recorded_goodput(getattr(run.config, "goodput", None))
            objective = objective or _recorded_objective(getattr(run.config, "slo_objective", None))
            for label, p in run.providers.items():
                if _picked(label, p.provider, provider):
                    seen += [observe(label, p.provider, p.model, place, s, goodput)
                             for s in p.samples if s.started_at.timestamp() >= since]  # fmt: skip
            if run.created_at.timestamp() <= since:
                break  # this location's older runs ended before the span began
    if not runs:
        notes.append(f"no monitor runs in {store.location}: start `sre-latency monitor` with "
                     "this store (--store or SRE_LATENCY_STORE)")  # fmt: skip
    return summarise(seen, since, now_s, f"the monitor runs in {store.location}",
                     objective or SloTable.objective, runs, notes)  # fmt: skip


def _recorded_goodput(value: object) -> dict[str, float]:
    """The goodput a run file recorded, when it is metric → number (any JSON may be there)."""
    if not isinstance(value, dict) or not value:
        return DEFAULT_GOODPUT
    fine = all(k in PER_REQUEST_SLO_METRICS and isinstance(v, int | float)
               and not isinstance(v, bool) and math.isfinite(v) for k, v in value.items())  # fmt: skip
    return value if fine else DEFAULT_GOODPUT


def _recorded_objective(value: object) -> float | None:
    fine = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1
    return float(value) if fine else None


def monitor_status_url(url: str, confined: bool) -> str:
    """``http://host:port`` of a monitor; on this machine only for an MCP call."""
    url = url if "://" in url else f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"monitor_url must be the monitor's http address, e.g. "
                          f"http://127.0.0.1:9464, not {url!r:.80}.")  # fmt: skip
    if confined and parts.hostname not in LOOPBACK:
        raise ConfigError("monitor_url must be on this machine (127.0.0.1, localhost or ::1).")
    path = parts.path.rstrip("/").removesuffix("/metrics").removesuffix("/status")
    return f"{parts.scheme}://{parts.netloc}{path}/status"


def from_monitor(url: str, provider: str | None, location: str | None, last: str) -> MonitorStatus:
    import urllib.error
    import urllib.request

    query = {k: v for k, v in (("provider", provider), ("location", location), ("last", last)) if v}
    try:
        with urllib.request.urlopen(f"{url}?{urlencode(query)}", timeout=5) as answer:
            body = answer.read(4 << 20)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ConfigError(f"cannot read the monitor's window at {url}: {reason}.") from None
    try:
        return MonitorStatus.model_validate_json(body)
    except ValueError:
        raise ConfigError(f"{url} did not answer as an sre-latency monitor.") from None


async def run(opts: MonitorStatusOptions, *, store: RunStore | None = None,
              confined: bool = False) -> MonitorStatus:  # fmt: skip
    last_s = parse_duration(opts.last, "last")
    if opts.monitor_url:
        url = monitor_status_url(opts.monitor_url, confined)
        return await asyncio.to_thread(from_monitor, url, opts.provider, opts.location, opts.last)
    chosen = store_for(opts, store)
    return await asyncio.to_thread(from_store, chosen, opts.provider, opts.location, last_s)


OPTIONS = MonitorStatusOptions
RESULT = "sre_latency.monitor.status:MonitorStatus"

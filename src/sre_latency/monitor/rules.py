"""Prometheus rules from an SLO file: SLIs as recording rules, multi-window multi-burn-rate alerts.

The SRE workbook's pattern: an alert fires when the error budget burns fast over a long window
*and* a short one (the short window lets it stop soon after the burn stops):

- fast burn: 14.4 × the budget rate over 1 h and 5 m (2 % of a 30-day budget in one hour), page;
- slow burn: 6 × over 6 h and 30 m (5 % of a 30-day budget in six hours), page.

SLIs, per ``provider, model, target, location`` (label ``sli``):

- ``availability``: errors / requests;
- one latency SLI per ``[goodput]`` bound a histogram counts (``ttft_ms``, ``total_ms``,
  ``itl_ms``): the share of successful requests above the bound, read from the bucket whose
  ``le`` is the bound (the monitor adds the bounds of its ``--slo`` file as buckets).

The budget is ``1 - objective`` (the SLO file's ``objective``, default 0.99). Rule names follow
Prometheus's ``level:metric:operations`` convention: ``sre_latency:slo_bad:ratio_rate5m`` and
``sre_latency:slo_burn:rate5m``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sre_latency.core.durations import parse_duration
from sre_latency.core.slo import SloTable
from sre_latency.monitor.buckets import HISTOGRAM_OF_METRIC

BY = "provider, model, target, location"
HISTOGRAM_NAMES = {"ttft": "sre_latency_ttft_seconds",
                   "duration": "sre_latency_request_duration_seconds",
                   "itl": "sre_latency_itl_seconds"}  # fmt: skip
SLI_NAMES = {"ttft_ms": "ttft", "total_ms": "request_duration", "itl_ms": "itl"}


@dataclass(frozen=True)
class BurnWindow:
    name: str  # "fast" or "slow"
    long: str  # a Prometheus duration, e.g. "1h"
    short: str
    burn: float  # times the budget rate that would spend the whole budget over the period
    severity: str = "page"

    @property
    def budget_share(self) -> float:
        """The share of a 30-day budget spent over ``long`` at this burn rate."""
        return self.burn * parse_duration(self.long) / (30 * 86400)


FAST = BurnWindow("fast", "1h", "5m", 14.4)
SLOW = BurnWindow("slow", "6h", "30m", 6.0)


def go_float(value: float) -> str:
    """Go's float formatting, as prometheus-client writes ``le`` (``2.5``, ``5.0``)."""
    text = repr(float(value))
    return text if "e" in text or "." in text else text + ".0"


def slis(table: SloTable) -> tuple[dict[str, str], list[str]]:
    """SLI name → the bad-ratio expression template (``{w}`` = window); and the skipped bounds."""
    out = {"availability": f"sum by ({BY}) (rate(sre_latency_errors_total[{{w}}]))\n/\n"
                           f"sum by ({BY}) (rate(sre_latency_requests_total[{{w}}]))"}  # fmt: skip
    skipped = []
    for metric, bound in table.goodput.items():
        if metric not in HISTOGRAM_OF_METRIC:
            skipped.append(f"{metric} ≤ {bound:g}: no histogram counts it (the monitor's "
                           "compliance gauge does)")  # fmt: skip
            continue
        hist = HISTOGRAM_NAMES[HISTOGRAM_OF_METRIC[metric]]
        le = go_float(bound / 1000.0)
        out[SLI_NAMES[metric]] = (
            f'1 - (\n  sum by ({BY}) (rate({hist}_bucket{{{{le="{le}"}}}}[{{w}}]))\n  /\n'
            f"  sum by ({BY}) (rate({hist}_count[{{w}}]))\n)"
        )
    return out, skipped


def rule_groups(table: SloTable, windows: tuple[BurnWindow, ...] = (FAST, SLOW)) -> dict[str, Any]:
    """The rule file's content: one group of recording rules, one of alerts."""
    budget = 1.0 - table.objective
    exprs, _ = slis(table)
    spans = sorted({w for b in windows for w in (b.long, b.short)}, key=parse_duration)
    records: list[dict[str, Any]] = []
    for w in spans:
        for name, template in exprs.items():
            records.append({"record": f"sre_latency:slo_bad:ratio_rate{w}",
                            "expr": template.format(w=w), "labels": {"sli": name}})  # fmt: skip
        records.append({"record": f"sre_latency:slo_burn:rate{w}",
                        "expr": f"sre_latency:slo_bad:ratio_rate{w} / {budget:g}"})  # fmt: skip
    alerts = [_alert(b, table.objective) for b in windows]
    return {"groups": [{"name": "sre-latency-slo-records", "rules": records},
                       {"name": "sre-latency-slo-alerts", "rules": alerts}]}  # fmt: skip


def _alert(b: BurnWindow, objective: float) -> dict[str, Any]:
    share = f"{100 * b.budget_share:.2g} %"
    return {
        "alert": f"SreLatency{b.name.capitalize()}Burn",
        "expr": f"sre_latency:slo_burn:rate{b.long} > {b.burn:g}\n"
                f"and\nsre_latency:slo_burn:rate{b.short} > {b.burn:g}",
        "labels": {"severity": b.severity, "window": b.name},
        "annotations": {
            "summary": f"{{{{ $labels.target }}}} from {{{{ $labels.location }}}} burns its "
                       f"{{{{ $labels.sli }}}} error budget {b.burn:g}x too fast",
            "description": f"The {{{{ $labels.sli }}}} SLI of {{{{ $labels.target }}}} "
                           f"({{{{ $labels.model }}}}) seen from {{{{ $labels.location }}}} "
                           f"spends its error budget (objective {100 * objective:g} %) "
                           f"{b.burn:g} times too fast over {b.long} and {b.short}: {share} "
                           f"of a 30-day budget per {b.long}. Burn rate over {b.long}: "
                           "{{ $value | humanize }}.",
        },
    }  # fmt: skip


def to_yaml(value: Any, indent: int = 0) -> str:
    """A small YAML writer for rule files: mappings, lists, numbers, and strings (multi-line
    ones as literal blocks, others JSON-quoted, which YAML reads as double-quoted scalars)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 1)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v, indent + 1)}")
        return "\n".join(lines)
    if isinstance(value, list):
        items = []
        for v in value:
            body = (
                to_yaml(v, indent + 1).lstrip()
                if isinstance(v, dict | list)
                else _scalar(v, indent + 1)
            )
            items.append(f"{pad}- {body}")
        return "\n".join(items)
    return pad + _scalar(value, indent)


def _scalar(v: Any, indent: int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dict | list):
        return "{}" if isinstance(v, dict) else "[]"
    text = str(v)
    if "\n" in text:
        pad = "  " * (indent + 1)
        return "|-\n" + "\n".join(pad + line for line in text.splitlines())
    return json.dumps(text)

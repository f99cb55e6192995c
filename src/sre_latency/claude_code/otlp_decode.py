"""Decode Claude Code's OTLP exports (JSON or protobuf, gzip or not) into flat events.

Both encodings become the OTLP-JSON shape first (protobuf through ``opentelemetry-proto`` and
``json_format``), then one walker flattens them. Claude Code 2.1.330's log records carry no
``eventName``: the body is ``claude_code.<name>`` and the attribute ``event.name`` is ``<name>``.
Some numbers arrive as strings (``tool_result.duration_ms``, ``success``): readers of the
attributes parse leniently (``number``, ``flag``). Resource attributes (including any from
``OTEL_RESOURCE_ATTRIBUTES``) are kept apart. An export that cannot be decoded is counted, not
raised: telemetry is evidence, and one bad body must not lose a session.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from sre_latency.claude_code.otlp import Export


@dataclass
class OtelEvent:
    """One Claude Code event (a log record)."""

    name: str  # "api_request", "tool_result", …
    time_unix_nano: int
    attributes: dict[str, Any]
    resource: dict[str, Any] = field(default_factory=dict)


@dataclass
class MetricPoint:
    name: str
    value: float | None
    attributes: dict[str, Any]
    resource: dict[str, Any] = field(default_factory=dict)


@dataclass
class Decoded:
    events: list[OtelEvent] = field(default_factory=list)
    metrics: list[MetricPoint] = field(default_factory=list)
    undecodable: int = 0


def _protobuf_class(path: str):
    if path == "/v1/logs":
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
            ExportLogsServiceRequest,
        )

        return ExportLogsServiceRequest
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    return ExportMetricsServiceRequest


def as_otlp_json(export: Export) -> dict[str, Any]:
    """The export's body in the OTLP-JSON shape; ValueError when it cannot be read."""
    raw = export.body
    try:
        if export.content_encoding == "gzip":
            raw = gzip.decompress(raw)
        elif export.content_encoding == "deflate":
            raw = zlib.decompress(raw)
    except (OSError, zlib.error, EOFError) as exc:
        raise ValueError(f"bad {export.content_encoding} body") from exc
    if export.content_type == "application/json":
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the JSON body is not an object")
        return data
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    message = _protobuf_class(export.path)()
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise ValueError("bad protobuf body") from exc
    return json_format.MessageToDict(message, use_integers_for_enums=True)


def any_value(value: Any) -> Any:
    """The Python value of an OTLP ``AnyValue`` in JSON form."""
    if not isinstance(value, dict) or not value:
        return None
    kind, val = next(iter(value.items()))
    if kind == "intValue":
        return int(val)
    if kind == "doubleValue":
        return float(val)
    if kind == "arrayValue":
        return [any_value(v) for v in (val or {}).get("values", [])]
    if kind == "kvlistValue":
        return attributes((val or {}).get("values"))
    return val  # stringValue, boolValue, bytesValue


def attributes(pairs: Any) -> dict[str, Any]:
    if not isinstance(pairs, list):
        return {}
    return {kv["key"]: any_value(kv.get("value")) for kv in pairs
            if isinstance(kv, dict) and isinstance(kv.get("key"), str)}  # fmt: skip


def _logs(body: dict[str, Any], out: Decoded) -> None:
    for rl in body.get("resourceLogs") or []:
        resource = attributes((rl.get("resource") or {}).get("attributes"))
        for sl in rl.get("scopeLogs") or []:
            for lr in sl.get("logRecords") or []:
                attrs = attributes(lr.get("attributes"))
                name = attrs.get("event.name") or lr.get("eventName") or ""
                if not name:
                    body_text = any_value(lr.get("body"))
                    name = str(body_text or "").removeprefix("claude_code.")
                out.events.append(OtelEvent(str(name), int(lr.get("timeUnixNano") or 0), attrs,
                                            resource))  # fmt: skip


def _metrics(body: dict[str, Any], out: Decoded) -> None:
    for rm in body.get("resourceMetrics") or []:
        resource = attributes((rm.get("resource") or {}).get("attributes"))
        for sm in rm.get("scopeMetrics") or []:
            for metric in sm.get("metrics") or []:
                data = metric.get("sum") or metric.get("gauge") or {}
                for point in data.get("dataPoints") or []:
                    raw = point.get("asDouble", point.get("asInt"))
                    value = float(raw) if raw is not None else None
                    out.metrics.append(MetricPoint(str(metric.get("name", "")), value,
                                                   attributes(point.get("attributes")), resource))  # fmt: skip


def decode(exports: list[Export]) -> Decoded:
    """Every log event and sum/gauge data point of ``exports``, in arrival order."""
    out = Decoded()
    for export in exports:
        if export.path == "/v1/traces":
            continue
        try:
            body = as_otlp_json(export)
            (_logs if export.path == "/v1/logs" else _metrics)(body, out)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            out.undecodable += 1  # OverflowError: a 400-digit integer where a count goes
    return out


def number(value: Any) -> float | None:
    """An attribute as a number: ints, doubles and numeric strings ("10"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        try:
            return float(value)
        except (ValueError, OverflowError):  # not a number, or one of 400 digits
            return None
    return None


def flag(value: Any) -> bool | None:
    """An attribute as a boolean: true/false, "true"/"false"; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None

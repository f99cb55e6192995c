"""Durations as people and Prometheus write them: ``500ms``, ``60s``, ``5m``, ``1h30m``, ``7d``."""

from __future__ import annotations

import re

from sre_latency.errors import ConfigError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")
MAX_CHARS = 40


def parse_duration(text: str | float | int, what: str = "duration") -> float:
    """Seconds in ``text`` (``"90s"``, ``"1h30m"``; a bare number is seconds); ConfigError if
    it is not a positive duration."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        raw = str(text).strip().lower()
        if len(raw) > MAX_CHARS:
            raise ConfigError(f"the {what} is too long; write it as 60s, 5m or 1h.")
        try:
            seconds = float(raw)
        except ValueError:
            if not _WHOLE.match(raw):
                raise ConfigError(
                    f"cannot read the {what} {raw!r}; write it as 500ms, 60s, 5m, 1h or 1h30m."
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"the {what} must be more than zero (got {text!r}).")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest whole-unit spelling Prometheus accepts: 300 → ``5m``, 5400 → ``90m``."""
    for unit in ("w", "d", "h", "m", "s"):
        count = seconds / _UNITS[unit]
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return f"{round(count)}{unit}"
    return f"{round(seconds * 1000)}ms"

"""Service-level objectives: the default grading table, per-request SLOs and k6-style thresholds.

A TOML file may override any subset of the table, add any metric of a run's summary at any
percentile, set the per-request SLOs that define goodput, and list pass/fail thresholds::

    replace_defaults = false                 # true: grade only on the rows below
    thresholds = ["ttft_ms p95 < 500", "error_rate < 1%"]
    objective = 0.99                         # share of good requests promised (default 0.99):
                                             # 1 - objective is the burn-rate alerts' budget

    [grades]                                 # A, B, C, D bounds; beyond D is F
    ttft_ms.p50 = [400, 700, 1000, 1500]
    ttfb_ms.p90 = [300, 500, 800, 1200]
    error_rate = [0, 0.01, 0.05, 0.10]       # a fraction: 0.01 is 1 %

    [goodput]                                # a request is good when it meets every one
    ttft_ms = 800
    total_ms = 5000

Every mistake (unknown metric or statistic, a bound that is not four ordered numbers) is a
ConfigError naming the file and line: a typo never silently falls back to the defaults.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sre_latency.core.metrics import (
    GRADED_METRICS,
    HIGHER_IS_BETTER,
    RATE_METRICS,
    SUMMARY_METRICS,
    unit_of,
)
from sre_latency.errors import ConfigError

GRADES = ("A", "B", "C", "D", "F")
_STAT_RE = re.compile(r"^(mean|sd|min|max|p(\d{1,2}(\.\d+)?|100))$")


@dataclass(frozen=True)
class SloRule:
    """One graded row: ``metric stat`` against A/B/C/D bounds (``stat`` None for rates)."""

    metric: str
    stat: str | None
    bounds: tuple[float, float, float, float]
    source: str = "default"

    @property
    def name(self) -> str:
        return f"{self.metric} {self.stat}" if self.stat else self.metric

    @property
    def higher_is_better(self) -> bool:
        return self.metric in HIGHER_IS_BETTER

    def grade(self, value: float) -> str:
        for letter, bound in zip(GRADES, self.bounds, strict=False):
            if (value >= bound) if self.higher_is_better else (value <= bound):
                return letter
        return "F"


@dataclass(frozen=True)
class Threshold:
    """A k6-style pass/fail check such as ``ttft_ms p95 < 500`` or ``error_rate < 0.01``."""

    expression: str
    metric: str
    stat: str | None
    op: str
    value: float

    def passes(self, observed: float) -> bool:
        return {
            "<": observed < self.value,
            "<=": observed <= self.value,
            ">": observed > self.value,
            ">=": observed >= self.value,
        }[self.op]


@dataclass(frozen=True)
class SloTable:
    rules: tuple[SloRule, ...]
    goodput: dict[str, float]  # per-request SLO: metric → bound (≤, or ≥ for throughput)
    thresholds: tuple[Threshold, ...] = ()
    source: str = "default"
    objective: float = 0.99  # the share of requests that must be good (SLO target)


# The seed's four rows. None depends on the answer's length: a total-time row would grade a
# 1,500-token answer F at any speed, so it is opt-in (``total_ms.p50 = [3000, 5000, 8000, 12000]``
# under [grades] in an SLO file; see OPT_IN_TOTAL_ROW).
DEFAULT_RULES: tuple[SloRule, ...] = (
    SloRule("ttft_ms", "p50", (500, 800, 1200, 2000)),
    SloRule("ttft_ms", "p99", (1500, 2500, 4000, 6000)),
    SloRule("output_tps", "mean", (80, 60, 40, 20)),
    SloRule("error_rate", None, (0.0, 0.01, 0.05, 0.10)),
)
OPT_IN_TOTAL_ROW = "total_ms.p50 = [3000, 5000, 8000, 12000]"
# A request is "good" when it succeeded and its TTFT is within the B bound of the TTFT p99 row;
# like the table, this does not depend on the answer's length. Add total_ms or itl_ms bounds
# under [goodput] in an SLO file to count slow streams as not good.
DEFAULT_GOODPUT: dict[str, float] = {"ttft_ms": 2500.0}


def default_table() -> SloTable:
    return SloTable(rules=DEFAULT_RULES, goodput=dict(DEFAULT_GOODPUT))


def _known(where: str, metric: str, allowed: tuple[str, ...]) -> None:
    if metric not in allowed:
        raise ConfigError(f"{where}: unknown metric {metric!r}; known: {', '.join(allowed)}.")


def _check_stat(where: str, metric: str, stat: str | None) -> None:
    if metric in RATE_METRICS:
        if stat is not None:
            raise ConfigError(f"{where}: {metric} is a rate and takes no statistic (got {stat!r}).")
        return
    if stat is None:
        raise ConfigError(f"{where}: {metric} needs a statistic: mean, sd, min, max or pNN.")
    if not _STAT_RE.match(stat):
        raise ConfigError(
            f"{where}: unknown statistic {stat!r} for {metric}; use mean, sd, min, max or pNN "
            "(0 ≤ NN ≤ 100, e.g. p95 or p99.9)."
        )


_THRESHOLD_RE = re.compile(
    r"^\s*(?P<metric>[a-z_]+)(?:[ .]+(?:p\((?P<kp>[\d.]+)\)|(?P<stat>[a-z0-9.]+)))?\s*"
    r"(?P<op><=|>=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>%|ms)?\s*$"
)


def parse_threshold(expression: str, where: str = "threshold") -> Threshold:
    """Parse ``metric [stat] op value[%]``; ``p(95)`` (k6's spelling) is accepted for ``p95``."""
    m = _THRESHOLD_RE.match(expression)
    if not m:
        raise ConfigError(
            f"{where}: cannot read threshold {expression!r}; write it as 'METRIC STAT OP VALUE', "
            "e.g. 'ttft_ms p95 < 500' or 'error_rate < 1%'."
        )
    metric = m["metric"]
    stat = f"p{m['kp']}" if m["kp"] else m["stat"]
    _known(where, metric, GRADED_METRICS)
    _check_stat(where, metric, stat)
    value = float(m["value"])
    if m["unit"] == "%":
        if metric not in RATE_METRICS:
            raise ConfigError(f"{where}: '%' only applies to error_rate in {expression!r}.")
        value /= 100.0
    if m["unit"] == "ms" and unit_of(metric) != "ms":
        raise ConfigError(f"{where}: {metric} is not in ms, so 'ms' is wrong in {expression!r}.")
    return Threshold(expression.strip(), metric, stat, m["op"], value)


def _line_of(text: str, *needles: str, start: int = 1) -> int | None:
    """The first line from ``start`` naming every needle as a key (TOML gives no positions)."""
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if number >= start and all(
            re.search(rf"(^|[\s.\[\"']){re.escape(n)}($|[\s.\]\"'=])", code) for n in needles
        ):
            return number
    return None


def _where(path: Path, text: str, key: str, sub: str | None = None) -> str:
    """``path, line N`` for ``key`` (and ``sub`` under it, same line or a later one)."""
    line = _line_of(text, key, sub) if sub else None
    if line is None:
        line = _line_of(text, key)
        if sub and line is not None:
            line = _line_of(text, sub, start=line) or line
    return f"{path}, line {line}" if line else str(path)


def _where_string(path: Path, text: str, value: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        if value in line:
            return f"{path}, line {number}"
    return str(path)


def _bounds(
    where: str, metric: str, value: Any, name: str | None = None
) -> tuple[float, float, float, float]:
    name = name or metric
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ConfigError(
            f"{where}: the bounds of {name} must be four numbers [A, B, C, D], got {value!r}."
        )
    bounds = tuple(float(v) for v in value)
    if any(v < 0 for v in bounds):
        raise ConfigError(f"{where}: the bounds of {name} must not be negative.")
    ordered = sorted(bounds, reverse=metric in HIGHER_IS_BETTER)
    if list(bounds) != ordered:
        way = "decrease" if metric in HIGHER_IS_BETTER else "increase"
        raise ConfigError(f"{where}: the bounds of {name} must {way} from A to D, got {value}.")
    if metric in RATE_METRICS and bounds[-1] > 1:
        raise ConfigError(f"{where}: {name} is a fraction (0.01 is 1 %); got bounds {value}.")
    return bounds  # type: ignore[return-value]


def _rules_from(path: Path, text: str, grades: Any) -> list[SloRule]:
    if not isinstance(grades, dict):
        raise ConfigError(f"{_where(path, text, 'grades')}: [grades] must be a table.")
    rules = []
    for metric, spec in grades.items():
        where = _where(path, text, metric)
        _known(where, metric, GRADED_METRICS)
        if metric in RATE_METRICS:
            rules.append(SloRule(metric, None, _bounds(where, metric, spec), where))
            continue
        if not isinstance(spec, dict):
            raise ConfigError(
                f"{where}: {metric} needs a statistic, e.g. '{metric}.p95 = [A, B, C, D]'."
            )
        for stat, value in spec.items():
            where = _where(path, text, metric, stat)
            _check_stat(where, metric, stat)
            rules.append(
                SloRule(metric, stat, _bounds(where, metric, value, f"{metric} {stat}"), where)
            )
    return rules


def _goodput_from(path: Path, text: str, goodput: Any) -> dict[str, float]:
    if not isinstance(goodput, dict) or not goodput:
        raise ConfigError(f"{_where(path, text, 'goodput')}: [goodput] must list metric = bound.")
    out = {}
    for metric, bound in goodput.items():
        where = _where(path, text, metric)
        _known(where, metric, SUMMARY_METRICS)
        if not isinstance(bound, int | float) or isinstance(bound, bool) or bound <= 0:
            raise ConfigError(f"{where}: the goodput bound of {metric} must be a positive number.")
        out[metric] = float(bound)
    return out


def load_slo_file(path: Path | str) -> SloTable:
    """The default table merged with ``path`` (rows with the same metric and statistic replaced)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read SLO file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    known = {"replace_defaults", "thresholds", "grades", "goodput", "objective"}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{_where(path, text, key)}: unknown key {key!r}; an SLO file has "
                "replace_defaults, thresholds, objective, [grades] and [goodput]."
            )
    replace = data.get("replace_defaults", False)
    if not isinstance(replace, bool):
        raise ConfigError(f"{_where(path, text, 'replace_defaults')}: must be true or false.")
    rules = _rules_from(path, text, data.get("grades", {}))
    merged = {} if replace else {(r.metric, r.stat): r for r in DEFAULT_RULES}
    merged.update({(r.metric, r.stat): r for r in rules})
    if not merged:
        raise ConfigError(f"{path}: replace_defaults is true but [grades] lists no metric.")
    goodput = (
        _goodput_from(path, text, data["goodput"]) if "goodput" in data else dict(DEFAULT_GOODPUT)
    )
    raw_thresholds = data.get("thresholds", [])
    if not isinstance(raw_thresholds, list) or not all(isinstance(t, str) for t in raw_thresholds):
        raise ConfigError(
            f"{_where(path, text, 'thresholds')}: thresholds must be a list of strings."
        )
    thresholds = tuple(parse_threshold(t, _where_string(path, text, t)) for t in raw_thresholds)
    objective = _objective_from(path, text, data.get("objective", SloTable.objective))
    return SloTable(tuple(merged.values()), goodput, thresholds, str(path), objective)


def _objective_from(path: Path, text: str, value: Any) -> float:
    """The SLO target, a fraction strictly between 0 and 1 (0.99 is 99 % good requests)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1:
        raise ConfigError(
            f"{_where(path, text, 'objective')}: objective is the share of good requests, a "
            f"fraction such as 0.99 (99 %), got {value!r:.40}."
        )
    return float(value)

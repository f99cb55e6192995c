"""One finished request as the exporters and the rolling window see it."""

from __future__ import annotations

from dataclasses import dataclass

from sre_latency.core.contract import Sample
from sre_latency.core.metrics import HIGHER_IS_BETTER

PROVIDER_SEMCONV = {"anthropic": "anthropic", "bedrock": "aws.bedrock", "openai": "openai"}


@dataclass(frozen=True, slots=True)
class Observation:
    """Labels (low cardinality: never a request id), outcome and timings of one request."""

    target: str  # the run's label: "bedrock", "bedrock+optimized", "anthropic/opus-4.6"
    provider: str
    model: str
    location: str
    started_s: float  # epoch seconds of the request start
    ok: bool
    error_class: str | None
    ttft_ms: float | None
    total_ms: float | None
    itl_ms: float | None  # the request's mean inter-token gap
    input_tokens: int | None
    output_tokens: int | None
    good: bool  # no error, and every per-request SLO (goodput bound) met

    @property
    def key(self) -> tuple[str, str]:
        return self.location, self.target

    @property
    def labels(self) -> dict[str, str]:
        return {"provider": self.provider, "model": self.model, "target": self.target,
                "location": self.location}  # fmt: skip


def value_of(sample: Sample, metric: str) -> float | None:
    if metric == "itl_ms":
        return sample.itl_ms.mean
    value = getattr(sample, metric, None)
    return float(value) if value is not None else None


def is_good(sample: Sample, goodput: dict[str, float]) -> bool:
    """The rule ``grade`` applies: an error is never good; a missing value misses its bound."""
    if not sample.ok:
        return False
    for metric, bound in goodput.items():
        value = value_of(sample, metric)
        if value is None or not (value >= bound if metric in HIGHER_IS_BETTER else value <= bound):
            return False
    return True


def observe(target: str, provider: str, model: str, location: str, sample: Sample,
            goodput: dict[str, float]) -> Observation:  # fmt: skip
    """The observation of one sample (``goodput``: metric → bound, as in an SLO file)."""
    return Observation(
        target=target,
        provider=provider,
        model=model,
        location=location,
        started_s=sample.started_at.timestamp(),
        ok=sample.ok,
        error_class=sample.error.class_ if sample.error is not None else None,
        ttft_ms=sample.ttft_ms,
        total_ms=sample.total_ms,
        itl_ms=sample.itl_ms.mean,
        input_tokens=sample.input_tokens,
        output_tokens=sample.output_tokens,
        good=is_good(sample, goodput),
    )

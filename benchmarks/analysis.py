"""How fast the analysis tools are on big runs (run on demand, not in CI).

    /tmp/venv/bin/python benchmarks/analysis.py

Prints two figures, each the median of 5 repetitions:

1. grade + compare + report (json) over 1,000,000 samples already in memory as columns
   (4 targets × 250,000; compare against a second run of the same size). Target: < 1 s.
2. loading a 100,000-sample run file from disk and grading it. Target: < 2 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from sre_latency.analysis.columns import RunColumns, TargetColumns
from sre_latency.analysis.compare import compare
from sre_latency.analysis.grade import grade
from sre_latency.analysis.report.build import build_report
from sre_latency.core.contract import ITL, ProviderResult, Run, RunConfig, Sample, SampleError
from sre_latency.core.stats import summarize
from sre_latency.errors import ERROR_CLASSES
from sre_latency.store import LocalStore, environment

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ERROR_SHARE = 0.02


def columns_target(label: str, n: int, rng: np.random.Generator, shift_ms: float) -> TargetColumns:
    ttfb = rng.lognormal(5.8, 0.35, n) + shift_ms
    ttft = ttfb + rng.lognormal(3.0, 0.5, n)
    generation = rng.normal(800, 60, n).clip(100)
    total = ttft + generation + rng.exponential(2.0, n)
    failed = rng.random(n) < ERROR_SHARE
    code = np.where(failed, rng.integers(0, len(ERROR_CLASSES), n), -1).astype(np.int8)
    metrics = {
        "ttfb_ms": ttfb,
        "ttft_ms": ttft,
        "generation_ms": generation,
        "total_ms": total,
        "request_sent_ms": np.full(n, 0.4),
        "output_tps": 63 / (generation / 1000.0),
        "itl_ms": generation / 63,
        "output_tokens": np.full(n, 64.0),
        "input_tokens": np.full(n, 20.0),
    }
    for name in ("dns_ms", "connect_ms", "tls_ms", "server_latency_ms", "server_ttft_ms",
                 "network_overhead_ms"):  # fmt: skip
        metrics[name] = np.full(n, np.nan)
    idx = np.flatnonzero(failed)
    return TargetColumns(
        label=label,
        provider="anthropic",
        model="claude-haiku-4-5",
        endpoint="https://api.anthropic.com",
        metrics=metrics,
        ok=~failed,
        error_code=code,
        round=np.arange(n),
        cold=np.zeros(n, dtype=bool),
        started_s=T0.timestamp() + np.arange(n) * 0.05,
        error_messages={int(i): f"{ERROR_CLASSES[code[i]]} error" for i in idx},
    )


def columns_run(run_id: str, n_total: int, seed: int, shift_ms: float) -> RunColumns:
    rng = np.random.default_rng(seed)
    labels = ("anthropic", "bedrock", "openai", "gateway")
    return RunColumns(
        run_id=run_id,
        kind="benchmark",
        created_at=T0,
        complete=True,
        valid=True,
        validity_notes=[],
        environment=environment(),
        config=RunConfig(n=n_total // len(labels)),
        targets={lb: columns_target(lb, n_total // len(labels), rng, shift_ms) for lb in labels},
    )


def file_run(n_total: int) -> Run:
    rng = np.random.default_rng(1)
    providers = {}
    for label in ("anthropic", "openai"):
        samples = []
        for i in range(n_total // 2):
            start = T0 + timedelta(milliseconds=50 * i)
            if rng.random() < ERROR_SHARE:
                err = SampleError.model_validate({"class": "rate_limit", "status": 429,
                                                  "message": "rate limited"})  # fmt: skip
                samples.append(Sample(seq=i, round=i, started_at=start, total_ms=3.0, error=err,
                                      http_status=429))  # fmt: skip
                continue
            ttft = float(rng.lognormal(6, 0.3))
            samples.append(
                Sample(
                    seq=i, round=i, started_at=start, ttfb_ms=ttft * 0.9, ttft_ms=ttft,
                    generation_ms=800.0, total_ms=ttft + 802.0, request_sent_ms=0.4,
                    itl_ms=ITL(n=63, mean=12.7, p50=12.5, p99=20.0), input_tokens=20,
                    output_tokens=64, output_tps=78.75, http_status=200, request_id=f"req_{i}",
                )
            )  # fmt: skip
        providers[label] = ProviderResult(
            provider=label, model="claude-haiku-4-5", endpoint="https://example.invalid",
            samples=samples, summary=summarize(samples),
        )  # fmt: skip
    return Run(
        run_id="bench-100k", kind="benchmark", created_at=T0, complete=True,
        environment=environment(), providers=providers,
    )  # fmt: skip


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    base = columns_run("base-1m", 1_000_000, 1, 0.0)
    later = columns_run("later-1m", 1_000_000, 2, 15.0)

    def in_memory() -> None:
        for run in (base, later):  # start cold: no column sorted yet
            for t in run.targets.values():
                t._sorted.clear()
        grade(base)
        compare([base, later])
        build_report(base).model_dump_json()

    in_memory()  # warm numpy and pydantic code paths
    t1 = median_time(in_memory)
    print(f"grade + compare + report(json), 1,000,000 samples in memory: {t1:.3f} s "
          f"(target < 1 s)")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        path = LocalStore(Path(tmp)).save(file_run(100_000))
        size_mb = path.stat().st_size / 1e6
        t2 = median_time(lambda: grade(path))
    print(f"load a 100,000-sample run file ({size_mb:.0f} MB) and grade it: {t2:.3f} s "
          f"(target < 2 s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

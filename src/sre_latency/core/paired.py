"""Paired comparisons between the targets of one run, and the plain sentences that say them.

Targets of a run were measured in interleaved rounds, so the sample of target *a* and the
sample of target *b* from the same round saw the same network weather and machine load. The
difference ``b − a`` is taken per round, and its median carries a 95 % order-statistic confidence
interval (``stats.paired_delta_ci``). The sentence names that statistic, which is not the
difference of the two p50s: "bedrock is slower than anthropic on TTFT: median paired difference
+98 ms [95 % CI 74, 121] (n=40 pairs)". A difference is claimed only when its interval excludes
zero *and* it exceeds ``MIN_CHANGE_PCT`` of a's median (as ``compare --min-change-pct``);
otherwise the sentence says there is no clear difference, and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from sre_latency.core.contract import Comparison, ProviderResult, Run, Sample
from sre_latency.core.metrics import PAIRED_METRICS, sentence_name
from sre_latency.core.stats import paired_delta_ci

STAT = "p50"  # of the per-round differences: their median
MIN_CHANGE_PCT = 5.0


def _by_round(samples: Sequence[Sample]) -> dict[int, list[Sample]]:
    rounds: dict[int, list[Sample]] = defaultdict(list)
    for s in sorted(samples, key=lambda s: s.seq):
        if s.error is None:
            rounds[s.round].append(s)
    return rounds


def paired_values(
    a: ProviderResult, b: ProviderResult, metric: str
) -> tuple[list[float], list[float]]:
    """Values of ``metric`` for successful samples of the same round, paired in send order."""
    rounds_a, rounds_b = _by_round(a.samples), _by_round(b.samples)
    xs: list[float] = []
    ys: list[float] = []
    for rnd in sorted(rounds_a.keys() & rounds_b.keys()):
        for sa, sb in zip(rounds_a[rnd], rounds_b[rnd], strict=False):
            va, vb = getattr(sa, metric), getattr(sb, metric)
            if va is not None and vb is not None:
                xs.append(va)
                ys.append(vb)
    return xs, ys


def _fmt(value: float, decimals: int, sign: bool = False) -> str:
    if round(value, decimals) == 0:
        value = 0.0  # never "-0.0"
    return f"{value + 0.0:{'+' if sign else ''}.{decimals}f}"


def statement(
    a: str,
    b: str,
    metric: str,
    delta: float,
    lo: float,
    hi: float,
    n: int,
    reference: float | None = None,
    min_change_pct: float = MIN_CHANGE_PCT,
) -> str:
    """One sentence a person would say out loud about ``b − a`` (``reference``: a's median)."""
    name = sentence_name(metric)
    width = hi - lo  # as many decimals as the interval can resolve
    decimals = 0 if width >= 10 else 1 if width >= 1 else 2
    figure = (
        f"median paired difference {_fmt(delta, decimals, sign=True)} ms "
        f"[95 % CI {_fmt(lo, decimals)}, {_fmt(hi, decimals)}] (n={n} pairs)"
    )
    excludes_zero = lo > 0 or hi < 0
    small = reference is not None and abs(delta) <= min_change_pct / 100 * abs(reference)
    if excludes_zero and not small:
        way = "slower" if lo > 0 else "faster"
        return f"{b} is {way} than {a} on {name}: {figure}"
    why = (
        f", within {min_change_pct:g} % of {a}'s median {reference:,.{decimals}f} ms"
        if excludes_zero and reference is not None
        else ""
    )
    return f"no clear difference in {name} between {b} and {a}: {figure}{why}"


def compare_pair(
    a_label: str, a: ProviderResult, b_label: str, b: ProviderResult, metric: str, seed: int = 0
) -> Comparison | None:
    """The paired comparison of one metric, or None with fewer than 2 pairs."""
    xs, ys = paired_values(a, b, metric)
    result = paired_delta_ci(xs, ys, stat=STAT, seed=seed)
    if result is None:
        return None
    delta, lo, hi = result
    reference = float(np.median(xs))
    return Comparison(
        a=a_label,
        b=b_label,
        metric=metric,
        paired_n=len(xs),
        delta_p50_ms=delta,
        ci95_low=lo,
        ci95_high=hi,
        statement=statement(a_label, b_label, metric, delta, lo, hi, len(xs), reference),
    )


def comparable(a_label: str, b_label: str) -> bool:
    """Labels are ``provider[+variant][/model]``: compare what differs in one respect only.

    ``anthropic/haiku-4.5`` vs ``bedrock/haiku-4.5`` (same model) and ``anthropic/haiku-4.5``
    vs ``anthropic/sonnet-4.5`` (same provider) are compared; ``anthropic/haiku-4.5`` vs
    ``bedrock/sonnet-4.5`` says nothing about either and is left out.
    """
    a_provider, _, a_model = a_label.partition("/")
    b_provider, _, b_model = b_label.partition("/")
    return a_provider == b_provider or a_model == b_model


def compare_targets(run: Run, seed: int = 0) -> list[Comparison]:
    """Every comparable pair of targets (earlier target as baseline ``a``) × every metric both
    have.

    The first target is the baseline of the others; later pairs (``bedrock`` vs
    ``bedrock+guardrail``) answer what an option costs. Seeded: the same run gives the same CIs.
    """
    labels = list(run.providers)
    out: list[Comparison] = []
    for i, a_label in enumerate(labels):
        for b_label in labels[i + 1 :]:
            if not comparable(a_label, b_label):
                continue
            a, b = run.providers[a_label], run.providers[b_label]
            for metric in PAIRED_METRICS:
                comparison = compare_pair(a_label, a, b_label, b, metric, seed)
                if comparison is not None:
                    out.append(comparison)
    return out

"""The default SLO table is the seed's four rows: a grade never depends on the answer's length."""

from __future__ import annotations

from recorded import recorded_run
from sre_latency.analysis.grade import grade
from sre_latency.core.slo import OPT_IN_TOTAL_ROW, default_table


def test_the_default_table_is_ttft_p50_ttft_p99_tokens_per_second_and_error_rate():
    rows = {(r.metric, r.stat): r.bounds for r in default_table().rules}
    assert rows == {
        ("ttft_ms", "p50"): (500, 800, 1200, 2000),
        ("ttft_ms", "p99"): (1500, 2500, 4000, 6000),
        ("output_tps", "mean"): (80, 60, 40, 20),
        ("error_rate", None): (0.0, 0.01, 0.05, 0.10),
    }


def test_long_fast_answers_grade_a_with_full_goodput(tmp_path_factory):
    # 1,500-token answers at ~111 tok/s, TTFT ~300 ms: ~14 s each, and every figure is good
    result = grade(recorded_run("long", tmp_path_factory))
    (target,) = result.providers
    assert target.grade == "A", [(m.metric, m.grade) for m in target.metrics]
    assert target.goodput.goodput == 1.0
    assert all(not m.metric.startswith("total_ms") for m in target.metrics)


def test_a_total_time_row_is_opt_in_in_an_slo_file(tmp_path_factory, tmp_path):
    slo = tmp_path / "slo.toml"
    slo.write_text(f"[grades]\n{OPT_IN_TOTAL_ROW}\n")
    result = grade(recorded_run("long", tmp_path_factory), slo=slo)
    total = next(m for m in result.providers[0].metrics if m.metric == "total_ms p50")
    assert total.value > 12_000 and total.grade == "F" and result.grade == "F"

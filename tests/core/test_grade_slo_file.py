"""SLO files: any subset, any metric and percentile; every mistake names the file and line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre_latency.core.slo import DEFAULT_RULES, load_slo_file, parse_threshold
from sre_latency.errors import ConfigError


def _write(tmp_path, text: str):
    path = tmp_path / "slo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_slo_file_overrides_a_subset_and_keeps_the_other_default_rows(tmp_path):
    table = load_slo_file(
        _write(
            tmp_path, "[grades]\nttft_ms.p50 = [100, 200, 300, 400]\nttfb_ms.p75 = [1, 2, 3, 4]\n"
        )
    )
    rows = {r.name: r for r in table.rules}
    assert rows["ttft_ms p50"].bounds == (100, 200, 300, 400)
    assert rows["ttfb_ms p75"].bounds == (1, 2, 3, 4)
    assert rows["ttft_ms p99"].bounds == (1500, 2500, 4000, 6000)  # default kept
    assert len(rows) == len(DEFAULT_RULES) + 1


def test_replace_defaults_grades_only_on_the_listed_rows(tmp_path):
    text = "replace_defaults = true\n[grades.total_ms]\np95 = [1000, 2000, 3000, 4000]\n"
    table = load_slo_file(_write(tmp_path, text))
    assert [r.name for r in table.rules] == ["total_ms p95"]


def test_an_unknown_metric_is_an_error_naming_its_line(tmp_path):
    text = "# latency objectives\n[grades]\nttft_ms.p50 = [1, 2, 3, 4]\nttft.p99 = [1, 2, 3, 4]\n"
    with pytest.raises(ConfigError, match=r"slo\.toml, line 4: unknown metric 'ttft'"):
        load_slo_file(_write(tmp_path, text))


def test_an_unknown_statistic_is_an_error_naming_its_line(tmp_path):
    text = "[grades.total_ms]\np90 = [1, 2, 3, 4]\nmedian = [1, 2, 3, 4]\n"
    with pytest.raises(ConfigError, match=r"line 3: unknown statistic 'median'"):
        load_slo_file(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("bounds", "reason"),
    [
        ("[1, 2, 3]", "four numbers"),
        ('["fast", 2, 3, 4]', "four numbers"),
        ("[400, 300, 200, 100]", "increase from A to D"),
        ("[-1, 2, 3, 4]", "negative"),
    ],
)
def test_a_malformed_bound_is_an_error_naming_its_line(tmp_path, bounds, reason):
    with pytest.raises(ConfigError, match=rf"line 2: .*{reason}"):
        load_slo_file(_write(tmp_path, f"[grades]\nttft_ms.p50 = {bounds}\n"))


def test_throughput_bounds_must_decrease_because_higher_is_better(tmp_path):
    with pytest.raises(ConfigError, match="decrease from A to D"):
        load_slo_file(_write(tmp_path, "[grades]\noutput_tps.mean = [20, 40, 60, 80]\n"))


def test_error_rate_bounds_written_as_percent_are_refused_with_a_hint(tmp_path):
    with pytest.raises(ConfigError, match="fraction"):
        load_slo_file(_write(tmp_path, "[grades]\nerror_rate = [0, 1, 5, 10]\n"))


def test_invalid_toml_is_an_error_with_its_position(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 2"):
        load_slo_file(_write(tmp_path, "[grades]\nttft_ms.p50 = [1, 2,, 3]\n"))


def test_an_unknown_top_level_key_is_an_error_naming_its_line(tmp_path):
    with pytest.raises(ConfigError, match=r"line 1: unknown key 'grade'"):
        load_slo_file(_write(tmp_path, "[grade]\nttft_ms.p50 = [1, 2, 3, 4]\n"))


def test_goodput_and_thresholds_come_from_the_file(tmp_path):
    text = (
        'thresholds = ["ttft_ms p(95) < 500", "error_rate < 1%"]\n'
        "[goodput]\nttft_ms = 800\noutput_tps = 40\n"
    )
    table = load_slo_file(_write(tmp_path, text))
    assert table.goodput == {"ttft_ms": 800.0, "output_tps": 40.0}
    assert [(t.metric, t.stat, t.op, t.value) for t in table.thresholds] == [
        ("ttft_ms", "p95", "<", 500.0),
        ("error_rate", None, "<", 0.01),
    ]


def test_a_goodput_slo_on_an_unknown_metric_names_its_line(tmp_path):
    with pytest.raises(ConfigError, match=r"line 3: unknown metric 'latency'"):
        load_slo_file(_write(tmp_path, "[goodput]\nttft_ms = 800\nlatency = 5\n"))


def test_a_malformed_threshold_in_the_file_names_its_line(tmp_path):
    text = 'replace_defaults = false\nthresholds = [\n  "ttft_ms p95 below 500",\n]\n'
    with pytest.raises(ConfigError, match=r"line 3: cannot read threshold"):
        load_slo_file(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ttft_ms p95 < 500", ("ttft_ms", "p95", "<", 500.0)),
        ("total_ms.p99<=3000", ("total_ms", "p99", "<=", 3000.0)),
        ("output_tps mean >= 50", ("output_tps", "mean", ">=", 50.0)),
        ("error_rate < 0.01", ("error_rate", None, "<", 0.01)),
        ("error_rate<2%", ("error_rate", None, "<", 0.02)),
    ],
)
def test_thresholds_read_k6_style_expressions(expression, expected):
    t = parse_threshold(expression)
    assert (t.metric, t.stat, t.op, t.value) == expected


@pytest.mark.parametrize(
    "expression", ["ttft_ms < 500", "ttft_ms p95", "latency p95 < 5", "error_rate p50 < 0.1"]
)
def test_an_incomplete_or_unknown_threshold_is_refused(expression):
    with pytest.raises(ConfigError):
        parse_threshold(expression, "--threshold")


@pytest.mark.parametrize("expression", ["error_rate < 5 ms", "output_tps mean > 50ms"])
def test_a_threshold_with_ms_on_a_metric_that_is_not_a_time_is_refused(expression):
    with pytest.raises(ConfigError, match="is not in ms"):
        parse_threshold(expression, "--threshold")


def test_a_threshold_may_spell_out_ms_on_a_time():
    assert parse_threshold("ttft_ms p95 < 500 ms").value == 500.0


@given(
    st.lists(st.floats(0, 1e5), min_size=4, max_size=4).map(sorted),
    st.floats(0, 2e5),
    st.floats(0, 2e5),
)
def test_a_worse_value_never_gets_a_better_letter(bounds, x, y):
    from sre_latency.core.slo import GRADES, SloRule

    lower = SloRule("ttft_ms", "p50", tuple(bounds))
    higher = SloRule("output_tps", "mean", tuple(reversed(bounds)))
    small, large = min(x, y), max(x, y)
    assert GRADES.index(lower.grade(small)) <= GRADES.index(lower.grade(large))
    assert GRADES.index(higher.grade(large)) <= GRADES.index(higher.grade(small))
    assert lower.grade(bounds[0]) == "A" and higher.grade(bounds[-1]) == "A"

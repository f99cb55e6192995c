"""The fuzz targets: one per parser of hostile input (issue 12), by name.

``tests/test_parsers_total.py`` runs each with its small CI budget; ``benchmarks/fuzz.py`` runs
them for as long as asked. A crash found either way becomes a regression test in the test file
of its area.
"""

from __future__ import annotations

from hypothesis import strategies as st

from fuzzing import live
from fuzzing import parsers as p
from fuzzing.hostile import JSON_VALUES, serialised
from fuzzing.parsers import FuzzTarget, scratch_dir

TARGETS: dict[str, FuzzTarget] = {
    t.name: t
    for t in (
        FuzzTarget("anthropic-sse", p.sse_streams("anthropic.bin"), p.check_stream("anthropic")),
        FuzzTarget("openai-sse", p.sse_streams("openai.bin"), p.check_stream("openai")),
        FuzzTarget("bedrock-invoke", p.event_streams("bedrock-invoke.bin", invoke=True),
                   p.check_stream("bedrock", "invoke")),
        FuzzTarget("bedrock-converse", p.event_streams("bedrock-converse.bin", invoke=False),
                   p.check_stream("bedrock", "converse")),
        FuzzTarget("http-error-bodies", p.http_errors, p.check_http_error),
        FuzzTarget("json-object", st.one_of(serialised(JSON_VALUES), st.binary(max_size=64)),
                   p.check_json_object),
        FuzzTarget("hook-log", p.line_files(p.HOOK_LINES), p.check_hook_log, scratch_dir),
        FuzzTarget("transcript", p.line_files(p.TRANSCRIPT_LINES), p.check_transcript,
                   scratch_dir),
        FuzzTarget("journal", p.journals, p.check_journal),
        FuzzTarget("run-file", p.run_files, p.check_run_file, scratch_dir, ci_examples=100),
        FuzzTarget("slo-file", p.slo_files, p.check_slo_file, scratch_dir),
        FuzzTarget("threshold", p.thresholds, p.check_threshold),
        FuzzTarget("runs-listing", live.listing_files, live.check_listing, scratch_dir,
                   ci_examples=40),
        FuzzTarget("emulator-request", live.raw_requests, live.check_raw_request, live.emulator,
                   ci_examples=60),
        FuzzTarget("emulator-routes", live.route_bodies, live.check_route, live.emulator,
                   ci_examples=80),
        FuzzTarget("hook-script", live.hook_payloads, live.check_hook, live.hook_home,
                   ci_examples=30),
        FuzzTarget("otlp-exports", p.otlp_exports, p.check_otlp, ci_examples=100),
        FuzzTarget("tool-options", live._tool_options(), live.check_tool_options,
                   ci_examples=150),
    )
}  # fmt: skip

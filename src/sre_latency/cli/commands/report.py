"""``sre-latency report``: the analysis of one run as Markdown, HTML, JSON or CSV."""

from __future__ import annotations

import argparse

from sre_latency.cli.common import add_json_flag, add_run_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="analysis report of a run: summary, tables, errors, load, advice (md/html/json/csv)",
        description="Write the analysis of a run: executive summary, per-target table, errors "
        "by class, throughput over time, consistency, tiers and recommendations. HTML is one "
        "self-contained file with plots.",
    )
    add_run_argument(p)
    p.add_argument("--format", choices=["md", "html", "json", "csv"], default="md")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--slo", metavar="FILE", help="TOML SLO file for the grades and tiers")
    add_json_flag(p)
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    import sys

    from sre_latency.analysis.columns import load_run_columns
    from sre_latency.analysis.report.build import build_report, render, report
    from sre_latency.core.slo import load_slo_file

    fmt = "json" if args.json else args.format
    if args.output:
        result = report(args.run, format=fmt, output=args.output, slo=args.slo)
        from sre_latency.cli.common import console

        console(stderr=True).print(f"wrote {result.output_path}\n{result.summary}")
        return 0
    cols = load_run_columns(args.run)
    result = build_report(cols, load_slo_file(args.slo) if args.slo else None)
    result.output_format = fmt
    sys.stdout.write(render(result, cols, fmt))
    if fmt == "json":
        sys.stdout.write("\n")
    return 0

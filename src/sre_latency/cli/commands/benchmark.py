"""``sre-latency benchmark``: measure streamed requests per target, print a table, save the run."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sre_latency.cli.common import add_json_flag, bad_flag

EMULATOR_FLAGS = (
    # (flag, EmulatorProfile field, type, help)
    ("--emulator-ttft-ms", "ttft_ms", float, "emulated time to first token (default 100)"),
    ("--emulator-itl-ms", "itl_ms", float, "emulated gap between tokens (default 4)"),
    ("--emulator-output-tokens", "output_tokens", int, "emulated output tokens (default 64)"),
    ("--emulator-jitter-ms", "jitter_ms", float, "emulated ± jitter on TTFT and gaps (default 0)"),
    ("--emulator-stall-ms", "stall_ms", float, "how long the timeout fault stalls (default 30000)"),
    (
        "--emulator-bedrock-overhead-ms",
        "bedrock_overhead_ms",
        float,
        "extra delay before the first byte on Bedrock routes (default 0)",
    ),
)


def add_probe_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared by ``benchmark`` and ``latency-check``: emulator, deadlines, Bedrock knobs."""
    p.add_argument(
        "--emulate",
        action="store_true",
        help="measure the built-in emulator (started in-process on a free 127.0.0.1 port, "
        "dummy keys): no credentials, no cost",
    )
    p.add_argument(
        "--model", default=None, help="model name(s), comma-separated (default haiku-4.5)"
    )
    p.add_argument("--max-tokens", type=int, default=64, help="output token cap (default 64)")
    p.add_argument(
        "--prompt-size", choices=("small", "medium", "large"), default="small", help="prompt size"
    )
    p.add_argument(
        "--timeout-s", type=float, default=60.0, help="total deadline per request (default 60)"
    )
    p.add_argument(
        "--first-token-timeout-s",
        type=float,
        default=None,
        help="deadline for the first token (default: --timeout-s)",
    )
    p.add_argument(
        "--connect-timeout-s", type=float, default=10.0, help="connect deadline (default 10)"
    )
    p.add_argument(
        "--transport",
        choices=("auto", "aiohttp", "httpx2"),
        default="auto",
        help="HTTP stack (default auto: aiohttp, httpx2 for --cold)",
    )
    p.add_argument("--output", default=None, metavar="FILE", help="write the run file here")
    p.add_argument(
        "--bedrock-api",
        choices=("invoke", "converse"),
        default="invoke",
        help="Bedrock streaming API (default invoke-with-response-stream)",
    )
    p.add_argument("--bedrock-geo", default="us", help="inference-profile geography (default us)")
    p.add_argument(
        "--bedrock-guardrail",
        default=None,
        metavar="ID:VERSION",
        help="also measure Bedrock with this guardrail (target bedrock+guardrail)",
    )
    p.add_argument(
        "--bedrock-latency",
        choices=("standard", "optimized"),
        default=None,
        help="optimized: also measure latency-optimized inference (target bedrock+optimized)",
    )
    for flag, _, kind, help_text in EMULATOR_FLAGS:
        p.add_argument(flag, type=kind, default=None, help=f"with --emulate: {help_text}")
    p.add_argument(
        "--emulator-fault",
        action="append",
        default=[],
        metavar="[PROTOCOL:]NAME:RATE",
        help="with --emulate: inject a fault, e.g. rate_limit:0.1 (repeatable; see `emulate -h`)",
    )
    add_json_flag(p)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "benchmark",
        help="measure TTFT, total time, ITL and throughput of streamed requests per provider",
        description="Send N streamed requests to each target (provider × model), interleaved in "
        "a fresh random order each round, on one persistent HTTP client after W discarded "
        "warm-up requests, with no retries. Prints a table and saves the run file. "
        "Costs API credits unless --emulate is given.",
    )
    p.add_argument("-n", type=int, default=20, help="measured requests per target (default 20)")
    p.add_argument(
        "--providers",
        default=None,
        help="comma-separated: anthropic, openai, bedrock (default anthropic; with --emulate "
        "all three)",
    )
    p.add_argument("--concurrency", type=int, default=1, help="requests in flight (default 1)")
    p.add_argument(
        "--warmup", type=int, default=2, help="discarded requests per target first (default 2)"
    )
    p.add_argument("--cold", action="store_true", help="open a fresh connection for every request")
    p.add_argument("--seed", type=int, default=None, help="seed of the interleaving order")
    add_probe_flags(p)
    p.set_defaults(handler=run)


def emulator_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """EmulatorProfile knobs from ``--emulator-*`` flags; ConfigError when --emulate is missing."""
    from sre_latency.errors import ConfigError

    values = {
        field: getattr(args, flag[2:].replace("-", "_")) for flag, field, _, _ in EMULATOR_FLAGS
    }
    values = {k: v for k, v in values.items() if v is not None}
    if args.emulator_fault:
        values["faults"] = list(args.emulator_fault)
    if values and not args.emulate:
        raise ConfigError("the --emulator-* flags only apply with --emulate.")
    return values


def options_from_args(args: argparse.Namespace) -> Any:
    from pydantic import ValidationError

    from sre_latency.probe.targets import split_list
    from sre_latency.tools.benchmark import BenchmarkOptions

    values = dict(
        providers=split_list(args.providers),
        models=split_list(args.model),
        n=args.n,
        prompt_size=args.prompt_size,
        max_tokens=args.max_tokens,
        concurrency=args.concurrency,
        warmup=args.warmup,
        timeout_s=args.timeout_s,
        first_token_timeout_s=args.first_token_timeout_s,
        connect_timeout_s=args.connect_timeout_s,
        cold=args.cold,
        emulate=args.emulate,
        seed=args.seed,
        output=args.output,
        transport=args.transport,
        bedrock_api=args.bedrock_api,
        bedrock_geo=args.bedrock_geo,
        bedrock_guardrail=args.bedrock_guardrail,
        bedrock_latency=args.bedrock_latency,
        emulator=emulator_overrides(args),
    )
    try:
        return BenchmarkOptions(**values)
    except ValidationError as exc:
        raise bad_flag(exc) from None


def run_async(coro: Any) -> Any:
    """Run ``coro`` on uvloop when installed (lower per-chunk cost), else asyncio.

    SIGTERM is handled like Ctrl-C (the run is cancelled and saved with its finished samples);
    both surface as KeyboardInterrupt.
    """
    import asyncio
    import contextlib
    import signal

    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None

    async def guarded() -> Any:
        task = asyncio.current_task()
        # Not on Windows nor off the main thread; Ctrl-C works there all the same.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            if task is not None:
                asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await coro

    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            return runner.run(guarded())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None


def run(args: argparse.Namespace) -> int:
    from sre_latency.tools.benchmark import benchmark_result, start_benchmark

    opts = options_from_args(args)
    holder: dict[str, Any] = {}
    progress = RunProgress(enabled=sys.stderr.isatty())

    async def main():
        handle = await start_benchmark(opts, progress.on_sample)
        holder["handle"] = handle
        with progress.running(f"benchmark {handle.run_id}", handle.progress()[1]):
            run_ = await handle.wait()
        return benchmark_result(run_, handle.path, *handle.progress())

    try:
        result = run_async(main())
    except KeyboardInterrupt:
        handle = holder.get("handle")
        if handle is not None:
            done, planned = handle.progress()
            print(
                f"sre-latency: interrupted; kept {done} of {planned} samples in {handle.path}",
                file=sys.stderr,
            )
        return 130
    from sre_latency.cli.common import console, emit_json

    if args.json:
        emit_json(result)
    else:
        print_benchmark(console(), result)
    return 1 if result.finished and all(row.ok == 0 for row in result.targets) else 0


class RunProgress:
    """A rich progress bar on stderr: one step per finished request, TTFT p50 so far."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._ttft: dict[str, list[float]] = {}

    def running(self, title: str, planned: int) -> Any:
        import contextlib

        if not self.enabled:
            return contextlib.nullcontext()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from sre_latency.cli.common import console

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task(title, total=planned)
        return self._progress

    def on_sample(self, label: str, sample: Any, finished: int, planned: int) -> None:
        if self._progress is None:
            return
        if sample.ttft_ms is not None:
            values = self._ttft.setdefault(label, [])
            values.append(sample.ttft_ms)
        text = ", ".join(
            f"{name} TTFT p50 {sorted(v)[len(v) // 2]:.0f} ms" for name, v in self._ttft.items()
        )
        self._progress.update(self._task, completed=finished, description=text or label)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def print_benchmark(con: Any, result: Any) -> None:
    """The summary table, the comparisons and any validity warning."""
    from rich.table import Table

    models = sorted({row.model for row in result.targets})
    title = f"benchmark {result.run_id} · times in ms · model {', '.join(models)}"
    table = Table(title=title, title_justify="left")
    table.add_column("target")
    for col in ("n", "ok", "errors", "TTFT p50", "p99", "total p50", "p99", "ITL", "tok/s"):
        table.add_column(col, justify="left" if col == "errors" else "right")
    for row in result.targets:
        errors = ", ".join(f"{k} {v}" for k, v in row.errors_by_class.items()) or "-"
        table.add_row(
            row.label,
            str(row.n),
            str(row.ok),
            errors,
            _ms(row.ttft_p50_ms),
            _ms(row.ttft_p99_ms),
            _ms(row.total_p50_ms),
            _ms(row.total_p99_ms),
            _ms(row.itl_mean_ms),
            "-" if row.output_tps_mean is None else f"{row.output_tps_mean:.0f}",
        )
    con.print(table)
    for sentence in result.comparisons:
        con.print(f"  {sentence}")
    for note in result.validity_notes:
        con.print(f"[yellow]note:[/yellow] {note}")
    if not result.valid:
        con.print("[bold red]This run is not valid: the measuring client was saturated.[/]")
    con.print(f"saved {result.path}")

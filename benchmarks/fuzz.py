"""Fuzz every parser of hostile input for as long as asked (run on demand, not in CI).

    /tmp/venv/bin/python benchmarks/fuzz.py --minutes 15            # every target, time shared
    /tmp/venv/bin/python benchmarks/fuzz.py --minutes 2 run-file hook-log

The targets are those of ``tests/fuzzing`` (the CI runs each with a small budget in
tests/test_parsers_total.py): mutated real captures of SSE and event streams, error bodies, hook
logs, transcripts, journals, run files, SLO tables, thresholds, the runs listing, the emulator's
request reader and routes, the hook script and the MCP tool options. Each target runs in rounds
of fresh Hypothesis examples; a crash (an exception the parser promises not to raise, or a
broken invariant) is counted by signature (exception type and the innermost frame of this
package), one example kept per signature. Prints, per target: inputs tried, crashes, distinct
signatures, and the first example of each (``--save DIR`` writes each whole). Warnings are
errors, as in the test suite. A crash found here
becomes a regression test.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


@dataclass
class Tally:
    inputs: int = 0
    crashes: int = 0
    seconds: float = 0.0
    signatures: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)


def signature(exc: BaseException) -> str:
    """Exception type and the innermost frame in sre_latency (else the innermost at all)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/sre_latency/" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


def fuzz(target, seconds: float, round_examples: int, tally: Tally, save: Path | None) -> None:
    """Rounds of fresh examples until ``seconds`` pass; crashes are counted, never raised."""
    from hypothesis import HealthCheck, Phase, given, settings

    deadline = time.monotonic() + seconds
    with target.setup() as resource:

        @settings(max_examples=round_examples, deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(target.strategy)
        def one(value):
            if time.monotonic() > deadline:
                return
            tally.inputs += 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # as the test suite runs (filterwarnings)
                    target.check(value, resource)
            except Exception as exc:  # a crash: count it, keep one example per signature
                tally.crashes += 1
                sig = signature(exc)
                tally.signatures[sig] += 1
                if sig not in tally.examples and save is not None:
                    save.mkdir(parents=True, exist_ok=True)
                    name = f"{target.name}-{len(tally.examples)}.repr"
                    (save / name).write_text(f"# {sig}: {exc}\n{value!r}\n")
                tally.examples.setdefault(sig, (repr(value)[:300], str(exc)[:300]))

        started = time.monotonic()
        while time.monotonic() < deadline:
            one()
        tally.seconds += time.monotonic() - started


def main() -> int:
    from fuzzing import TARGETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", choices=[[], *sorted(TARGETS)], default=[],
                        help="targets to fuzz (default: all)")  # fmt: skip
    parser.add_argument("--minutes", type=float, default=10.0, help="total time, shared evenly")
    parser.add_argument("--round", type=int, default=200, help="examples per Hypothesis round")
    parser.add_argument("--save", type=Path, help="write the first input of each crash here")
    args = parser.parse_args()
    names = args.targets or sorted(TARGETS)
    share = args.minutes * 60 / len(names)
    tallies = {}
    for name in names:
        tallies[name] = tally = Tally()
        fuzz(TARGETS[name], share, args.round, tally, args.save)
        print(f"{name:18} {tally.inputs:8,} inputs in {tally.seconds:6.1f} s   "
              f"crashes {tally.crashes}", flush=True)  # fmt: skip
    print()
    print(f"{'target':18} {'inputs':>9} {'crashes':>8} {'signatures':>11}")
    for name, t in tallies.items():
        print(f"{name:18} {t.inputs:9,} {t.crashes:8} {len(t.signatures):11}")
    total = sum(t.inputs for t in tallies.values())
    crashes = sum(t.crashes for t in tallies.values())
    print(f"{'all':18} {total:9,} {crashes:8} "
          f"{sum(len(t.signatures) for t in tallies.values()):11}")  # fmt: skip
    for name, t in tallies.items():
        for sig, count in t.signatures.most_common():
            value, message = t.examples[sig]
            print(f"\n{name}: {sig} ({count}x): {message}\n  e.g. {value}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())

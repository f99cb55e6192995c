"""Every parser of hostile input keeps its promise for any bytes (issue 12): a result, or one
expected sentence, never a crash. Each target gets a small budget here; ``benchmarks/fuzz.py``
runs the same targets for as long as asked."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from fuzzing import TARGETS


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_parser_keeps_its_promise_on_hostile_input(name):
    target = TARGETS[name]
    with target.setup() as resource:

        @settings(max_examples=target.ci_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(target.strategy)
        def keeps_its_promise(value):
            target.check(value, resource)

        keeps_its_promise()

"""Continuous monitoring: what a long-running probe exports and remembers.

The loop that probes lives in ``tools/monitor_loop.py`` (it composes the probe engine); this
package holds what it hands each finished request to, and sees ``core`` only:

- ``observation``: one finished request as the exporters see it (labels, seconds, good or not);
- ``buckets``: histogram boundaries chosen for LLM APIs (documented there);
- ``window``: the rolling window (per target, compliance with the SLO) and ``status``, the
  summary both ``/status`` and the ``monitor_status`` tool answer with;
- ``prometheus`` and ``http``: the ``/metrics`` endpoint (prometheus-client);
- ``otlp``: the same instruments pushed with the OpenTelemetry SDK (``gen_ai.*`` names);
- ``rules``: Prometheus recording and multi-window multi-burn-rate alert rules from an SLO file.
"""

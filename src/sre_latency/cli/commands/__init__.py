"""One module per CLI command; each exposes ``register(subparsers)`` (see ``sre_latency.cli``)."""

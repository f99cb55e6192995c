"""sre-latency: measure, compare and grade Claude latency across providers and inside Claude Code."""

__version__ = "0.1.0"

__all__ = ["__version__"]

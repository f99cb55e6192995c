"""The MCP stdio server: the only package that imports ``mcp``."""

from sre_latency.server.app import build_server, serve

__all__ = ["build_server", "serve"]

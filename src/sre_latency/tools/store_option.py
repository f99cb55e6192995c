"""``--store URL``: where a tool reads and writes runs, declared once for every tool that does.

The CLI user names a store per command (``--store s3://team-bucket/latency``); over MCP the
server's store is the one ``SRE_LATENCY_STORE`` names when it starts, so a model never chooses
where runs are read from or written to (the option is on the CLI face only).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from sre_latency.store import RunStore, open_store
from sre_latency.tools.options import Face, Options

WHY_CLI_ONLY = (
    "the MCP server's store is fixed by SRE_LATENCY_STORE when it starts; a model does not "
    "choose where runs are read or written"
)


class StoreOptions(Options):
    """The ``store`` option: a mixin of every tool that reads or writes runs."""

    store: Annotated[str | None, Face(metavar="URL", only="cli", why_only=WHY_CLI_ONLY)] = Field(
        None,
        description="where runs are read and written: s3://bucket/prefix (shared; botocore "
        "credentials, AWS_ENDPOINT_URL_S3) or a directory (default $SRE_LATENCY_STORE, else "
        "the results root's runs/)",
    )


def store_for(opts: Any, store: RunStore | None = None) -> RunStore:
    """The store a call uses: the one given (the MCP server's), else ``opts.store``, else the
    default (``$SRE_LATENCY_STORE`` or local files)."""
    return store if store is not None else open_store(getattr(opts, "store", None) or None)

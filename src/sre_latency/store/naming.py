"""Names and labels of new runs: a sortable id, and the environment a run was measured from."""

from __future__ import annotations

import os
import platform
import secrets
import socket
from datetime import UTC, datetime

from sre_latency.core.contract import Environment
from sre_latency.core.version import __version__


def new_run_id(kind: str, now: datetime | None = None) -> str:
    """Sortable, unique, filename-safe: ``20261123T113200Z-benchmark-3f9a``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{kind.replace('_', '-')}-{secrets.token_hex(2)}"


LOCATION_ENV = "SRE_LATENCY_LOCATION"


def environment(location: str | None = None) -> Environment:
    """Where this process measures from: the host, the AWS region when one is set, and the
    location name (``location``, else ``$SRE_LATENCY_LOCATION``) that merges runs by place."""
    return Environment(
        host=socket.gethostname(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        package_version=__version__,
        client_region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        location=location or os.environ.get(LOCATION_ENV) or None,
    )

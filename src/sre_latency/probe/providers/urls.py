"""Base URLs as users write them: a path prefix, maybe ``user:password@``, maybe ``?key=…``.

``OPENAI_BASE_URL=https://u:p@gw.example/v1?key=K`` must reach ``/v1/chat/completions?key=K``:
the API path goes before the query (not after it), and the credentials leave the URL. HTTP
stacks turn a URL's userinfo into ``Authorization: Basic`` on their own (httpx2 replaces the
Bearer key with it; aiohttp refuses the request), so the request URL never carries them: an
adapter sends them as Basic only when its own key travels elsewhere (Anthropic's
``x-api-key``). Neither part is ever printed (``core.redact.public_url`` / ``url_secrets``).
"""

from __future__ import annotations

import base64
from urllib.parse import unquote, urlsplit, urlunsplit


def endpoint_url(base: str, path: str) -> str:
    """``base`` with ``path`` appended to its path, its query kept last, its userinfo dropped."""
    parts = urlsplit(base)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/") + path, parts.query, ""))


def basic_authorization(base: str) -> str | None:
    """The ``Authorization: Basic …`` value for ``base``'s ``user:password@``, or None."""
    parts = urlsplit(base)
    if parts.username is None and parts.password is None:
        return None
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()

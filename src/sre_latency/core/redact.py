"""Secret redaction, in one place: every message stored or printed passes through here.

A gateway may echo the request it refused (with its key), AWS echoes the canonical request of a
bad signature, and a base URL may carry ``user:password@`` or ``?key=…``. ``scrub`` removes the
secrets a run knows (also in their base64 and URL-encoded forms) and anything shaped like a key,
token or signature; ``public_url`` is a URL as a run file may keep it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit, urlunsplit

REDACTED = "[redacted]"
_SIGNATURE_RE = re.compile(
    r"(Signature=|Bearer\s+|x-api-key[:=]\s*|api[_-]?key[:=]\s*)\S+|\b[0-9a-f]{64}\b",
    re.IGNORECASE,
)
_KEY_SHAPED_RE = re.compile(r"sk-[A-Za-z0-9_\-]{6,}|\b(?:AKIA|ASIA)[0-9A-Z]{12,}\b")
_MIN_SECRET_CHARS = 4  # shorter "secrets" would redact ordinary words


def secret_forms(secret: str) -> list[str]:
    """``secret`` as it may appear in an echo: plain, URL-encoded and base64 (also of
    ``user:password`` pairs, which travel as HTTP Basic)."""
    forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    return sorted((f for f in forms if len(f) >= _MIN_SECRET_CHARS), key=len, reverse=True)


def scrub(message: str, secrets: Iterable[str] = ()) -> str:
    """``message`` without the canonical request AWS echoes, our secrets, signatures or keys."""
    message = str(message).split("The Canonical String", 1)[0]
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_CHARS:
            for form in secret_forms(secret):
                message = message.replace(form, REDACTED)
    message = _SIGNATURE_RE.sub(lambda m: (m.group(1) or "") + REDACTED, message)
    return _KEY_SHAPED_RE.sub(REDACTED, message).strip()


def redact(message: str, limit: int = 200, secrets: Iterable[str] = ()) -> str:
    """A message safe to show on one line: scrubbed, newlines folded, cut to ``limit``."""
    text = scrub(" ".join(str(message).split()), secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def public_url(url: str) -> str:
    """``url`` as a run file may keep it: no ``user:password@``, query or fragment."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries: its userinfo (user, password, ``user:password``) and the
    values of its query parameters."""
    from urllib.parse import parse_qsl

    parts = urlsplit(url)
    found: list[str] = []
    if parts.username or parts.password:
        found += [p for p in (parts.username, parts.password) if p]
        found.append(f"{parts.username or ''}:{parts.password or ''}")
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=False) if v]
    return found

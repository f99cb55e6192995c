"""Secret redaction, in one place: every message stored or printed passes through here.

A gateway may echo the request it refused (with its key, its ``Authorization: Basic`` header,
its URL's ``?key=…``), AWS echoes the canonical request of a bad signature, and a base URL may
carry ``user:password@`` or ``?key=…``. ``scrub`` removes the secrets a run knows (also in their
base64 and URL-encoded forms) and anything shaped like a key, token or signature;
``strip_secrets`` removes only the known ones (for ids, which may look like keys);
``public_url`` is a URL as a run file may keep it.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

REDACTED = "[redacted]"
_SIGNATURE_RE = re.compile(
    r"(Signature=|Bearer\s+|Basic\s+|x-api-key[:=]\s*|api[_-]?key[:=]\s*"
    r"|x-amz-security-token[:=]\s*|[?&](?:key|api[_-]?key|token|access_token|auth|sig"
    r"|signature|password|secret)=)[^\s&\"'<>]+|\b[0-9a-f]{64}\b",
    re.IGNORECASE,
)
_KEY_SHAPED_RE = re.compile(r"sk-[A-Za-z0-9_\-]{6,}|\b(?:AKIA|ASIA)[0-9A-Z]{12,}\b")
_MIN_SECRET_CHARS = 4  # shorter "secrets" would redact ordinary words
_MIN_USER_CHARS = 8  # a user name alone is a secret only when it is a key (https://KEY@host)


@functools.lru_cache(maxsize=256)
def _forms(secret: str) -> tuple[str, ...]:
    forms = {secret, quote(secret, safe=""), quote(secret),
             base64.b64encode(secret.encode()).decode()}  # fmt: skip
    return tuple(sorted((f for f in forms if len(f) >= _MIN_SECRET_CHARS), key=len, reverse=True))


def secret_forms(secret: str) -> list[str]:
    """``secret`` as it may appear in an echo: plain, URL-encoded and base64 (also of
    ``user:password`` pairs, which travel as HTTP Basic)."""
    return list(_forms(secret))


def strip_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without any form of the known ``secrets`` (and nothing else changed)."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_CHARS:
            for form in _forms(secret):
                if form in text:
                    text = text.replace(form, REDACTED)
    return text


def scrub(message: str, secrets: Iterable[str] = ()) -> str:
    """``message`` without the canonical request AWS echoes, our secrets, signatures or keys."""
    message = strip_secrets(str(message).split("The Canonical String", 1)[0], secrets)
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
    """The secrets a URL carries: its password, the ``user:password`` pair (sent as HTTP Basic),
    a user name long enough to be a key, and the values of its query parameters; each as
    written and percent-decoded."""
    return list(_url_secrets(url))


@functools.lru_cache(maxsize=64)  # asked once per sample by the engine: keep it cheap
def _url_secrets(url: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    found: list[str] = []
    user, password = parts.username or "", parts.password or ""
    for u, p in dict.fromkeys([(user, password), (unquote(user), unquote(password))]):
        found += [p, f"{u}:{p}"] if p else []
        found += [u] if len(u) >= _MIN_USER_CHARS else []
    found += [v for _, v in parse_qsl(parts.query, keep_blank_values=False) if v]
    return tuple(f for f in dict.fromkeys(found) if f)

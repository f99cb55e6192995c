"""Verify a SigV4-signed Bedrock request as AWS would (the emulator's side of signing).

The canonical request is rebuilt with botocore (imported inside the call) from the headers the
client says it signed, so a changed path, header or body byte is refused. This is the reference
the prober's own signing is checked against, so it shares no code with the prober.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

SIGNING_NAME = "bedrock"


_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<sig>[0-9a-f]+)"
)
MAX_CLOCK_SKEW_S = 900  # AWS refuses signatures more than 15 minutes off


def verify_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key_id: str,
    secret_access_key: str,
    now: datetime | None = None,
) -> tuple[str, str] | None:
    """Check a SigV4 request as AWS would; None when valid, else ``(ErrorType, message)``.

    ``url`` is the scheme, the Host header and the path exactly as received (percent-encoded);
    ``headers`` have lower-case names. The canonical request is rebuilt with botocore from the
    headers the client says it signed, so a changed path, header or body byte is refused.
    """
    from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = _AUTH_RE.fullmatch(headers.get("authorization", "").strip())
    if match is None:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    key_id, _, scope = match["cred"].partition("/")
    date, region, service, terminator = ([*scope.split("/"), "", "", "", ""])[:4]
    if key_id != access_key_id:
        return (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    if service != SIGNING_NAME or terminator != "aws4_request":
        return (
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'bedrock'.",
        )
    stamp = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return "IncompleteSignatureException", "The request must contain a valid X-Amz-Date header."
    if not stamp.startswith(date):
        return "InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date."
    skew_s = abs(((now or datetime.now(UTC)) - signed_at).total_seconds())
    if skew_s > MAX_CLOCK_SKEW_S:
        return "InvalidSignatureException", f"Signature expired: {stamp} is too far from now."
    signed = match["signed"].split(";")
    if "host" not in signed or any(name not in headers for name in signed):
        return "IncompleteSignatureException", "Signed headers are missing from the request."
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: headers[name] for name in signed}
    )
    request.context["timestamp"] = stamp
    auth = SigV4Auth(Credentials(access_key_id, secret_access_key), service, region)
    expected = auth.signature(
        auth.string_to_sign(request, auth.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, match["sig"]):
        return (
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return None

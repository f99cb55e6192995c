"""Bedrock credentials, region, endpoint and request signing; botocore is imported lazily.

Bedrock requests are signed here and *sent by the engine's own HTTP client*, like every other
provider, so the comparison measures the provider and not a second HTTP stack. Two schemes, in
botocore's order of preference:

1. ``AWS_BEARER_TOKEN_BEDROCK`` (a Bedrock API key) → ``Authorization: Bearer …``. Sent over
   HTTPS only (plain HTTP is allowed to a loopback address, i.e. the local emulator).
2. SigV4 (signing name ``bedrock``) with credentials from botocore's chain: the environment
   (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``), then the profile
   (``AWS_PROFILE`` or ``default`` in ``~/.aws/credentials`` and ``~/.aws/config``), including
   SSO, assume-role, process credentials and, last, container/instance metadata.

The signature covers exactly the percent-encoded path and the body bytes that are sent; nothing
here ever puts a key, token or signature into a message (``core.redact`` scrubs echoes).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from sre_latency.core.redact import public_url
from sre_latency.errors import ConfigError, CredentialsError

SIGNING_NAME = "bedrock"
BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"


def find_region(env: Mapping[str, str]) -> str | None:
    """``AWS_REGION``, ``AWS_DEFAULT_REGION``, else the region of the AWS profile, else None."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        return region
    from botocore.exceptions import BotoCoreError

    try:
        return _session(env).get_config_variable("region") or None
    except BotoCoreError:  # e.g. an unknown AWS_PROFILE: the credential lookup names it
        return None


REGION_MISSING = (
    "Bedrock needs a region: set AWS_REGION (e.g. us-east-1) or a region in your AWS profile, "
    "or add --emulate to measure the built-in emulator instead."
)


def bedrock_endpoint(env: Mapping[str, str], region: str | None) -> str:
    """``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (or ``AWS_ENDPOINT_URL``), else the regional endpoint.

    "" when neither an override nor a region is known.
    """
    url = env.get(ENDPOINT_ENV) or env.get("AWS_ENDPOINT_URL")
    if not url and region:
        url = f"https://bedrock-runtime.{region}.amazonaws.com"
    return (url or "").rstrip("/")


class Signer(Protocol):
    scheme: str  # "sigv4" | "bearer"

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """The headers to send: ``headers`` plus the authentication headers."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in a message (scrubbed from server error text)."""
        ...


class BearerSigner:
    scheme = "bearer"

    def __init__(self, token: str):
        self._token = token

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        return {**headers, "Authorization": f"Bearer {self._token}"}

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)


class SigV4Signer:
    """botocore's SigV4 over exactly the URL and bytes the engine will send."""

    scheme = "sigv4"

    def __init__(self, credentials: Any, region: str):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        self._credentials = credentials  # may be refreshable (SSO, assume-role): frozen per request
        self._region = region
        self._auth_cls, self._request_cls = SigV4Auth, AWSRequest

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        frozen = self._frozen()
        request = self._request_cls(method=method, url=url, data=body, headers=headers)
        self._auth_cls(frozen, SIGNING_NAME, self._region).add_auth(request)
        return dict(request.headers.items())

    def _frozen(self) -> Any:
        """This request's credentials; refreshable ones (SSO, assume-role) renew here."""
        from botocore.exceptions import BotoCoreError

        try:
            return self._credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise CredentialsError(
                f"AWS credentials could not be refreshed ({type(exc).__name__}); log in again "
                "(e.g. `aws sso login`), or add --emulate to measure the emulator."
            ) from None

    def secrets(self) -> tuple[str, ...]:
        try:
            frozen = self._frozen()
        except CredentialsError:
            return ()
        return tuple(s for s in (frozen.secret_key, frozen.token) if s)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_signer(env: Mapping[str, str], endpoint: str, region: str | None) -> Signer:
    """The bearer token when set (like botocore), else SigV4 from the credential chain.

    Credentials are looked up before the region is required, so a user with no AWS set-up at
    all hears about credentials first.
    """
    token = env.get(BEARER_ENV)
    if token:
        if endpoint and not endpoint.startswith("https://") and not _is_loopback(endpoint):
            raise ConfigError(
                f"{BEARER_ENV} is only sent over HTTPS, but the Bedrock endpoint is {public_url(endpoint)}; "
                f"use an https:// endpoint, or unset {BEARER_ENV} to sign with SigV4."
            )
        return BearerSigner(token)
    credentials = _credentials(env)
    if not region:
        raise ConfigError(REGION_MISSING)
    return SigV4Signer(credentials, region)


def _session(env: Mapping[str, str]) -> Any:
    """A botocore session configured from ``env`` (profile and config files), not os.environ."""
    import botocore.session

    session = botocore.session.Session()
    for variable, name in (
        ("AWS_PROFILE", "profile"),
        ("AWS_CONFIG_FILE", "config_file"),
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials_file"),
    ):
        if env.get(variable):
            session.set_config_variable(name, env[variable])
    return session


def _credentials(env: Mapping[str, str]) -> Any:
    """Credentials from ``env``, then from botocore's profile/SSO/metadata chain."""
    from botocore import exceptions
    from botocore.credentials import EnvProvider, create_credential_resolver

    try:
        creds = EnvProvider(environ=env).load()
        if creds is not None:
            return creds
        session = _session(env)
        resolver = create_credential_resolver(session)
        resolver.remove("env")  # the environment was read above, from ``env``
        creds = resolver.load_credentials()
        if creds is not None:
            creds.get_frozen_credentials()  # SSO and assume-role load lazily: fail here, not mid-run
    except exceptions.ProfileNotFound:
        raise CredentialsError(
            f"The AWS profile {env.get('AWS_PROFILE')!r} (AWS_PROFILE) is not in ~/.aws/config "
            "or ~/.aws/credentials; fix the name, or add --emulate to measure the emulator."
        ) from None
    except exceptions.SSOError:
        profile = env.get("AWS_PROFILE") or "default"
        raise CredentialsError(
            f"The AWS SSO session of profile {profile!r} has expired or never started; run "
            f"`aws sso login --profile {profile}`, or add --emulate to measure the emulator."
        ) from None
    except exceptions.BotoCoreError as exc:
        raise CredentialsError(
            f"Could not load AWS credentials ({type(exc).__name__}); check your AWS profile, "
            "or add --emulate to measure the emulator."
        ) from None
    if creds is None:
        profile = env.get("AWS_PROFILE") or "default"
        raise CredentialsError(
            f"No AWS credentials for Bedrock: tried {BEARER_ENV} and AWS_ACCESS_KEY_ID/"
            f"AWS_SECRET_ACCESS_KEY in the environment, profile {profile!r} in ~/.aws/credentials "
            "and ~/.aws/config, and its SSO login; set one of them (or run `aws sso login`), or "
            "add --emulate to measure the built-in emulator."
        )
    return creds

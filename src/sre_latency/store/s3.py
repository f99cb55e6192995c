"""Runs on S3 (``s3://bucket/prefix``): one store shared by a team and written from many places.

Layout under the prefix (one flat folder, listed with one ``ListObjectsV2`` per 1,000 runs)::

    <prefix>/<run_id>.json            a run file: one PUT, so readers see all of it or nothing
    <prefix>/<run_id>.jsonl/00000000  the journal of a run in progress, in parts: the header,
    <prefix>/<run_id>.jsonl/00000001  then every finished sample, flushed in the background
                                      (``s3_journal``); removed once the run file is written

A run killed by SIGKILL keeps every sample flushed before it died (a flush leaves at most about
a second after a sample finishes); ``load`` rebuilds it from the parts with ``complete: false``.

Credentials come from the botocore chain (environment, profiles, SSO, instance roles) and the
endpoint from ``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) when set, as for any AWS tool.
botocore is imported when the store is first used, never at start-up. Locators are
``S3Locator``; with a CLI user (not ``confined``), a local run file may be named too and is read
from the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sre_latency.core.contract import Run
from sre_latency.errors import ConfigError, CredentialsError, StoreError
from sre_latency.store import resolve
from sre_latency.store.files import parse_run
from sre_latency.store.journal import JOURNAL_SUFFIX, run_from_journal
from sre_latency.store.local import LocalStore, default_home

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class S3Locator:
    """Where one run lives in S3; ``str()`` is its ``s3://`` URL. A journal's key is the
    ``<run>.jsonl`` name its parts are stored under."""

    bucket: str
    key: str

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    def with_suffix(self, suffix: str) -> S3Locator:
        return S3Locator(self.bucket, str(PurePosixPath(self.key).with_suffix(suffix)))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` → ``("bucket", "some/prefix")``; one sentence when bad."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET_RE.match(bucket):
        raise ConfigError(
            f"{url!r:.120} does not name an S3 bucket; write the store as s3://bucket/prefix "
            "(bucket names are 3-63 lower-case letters, digits, dots and dashes)."
        )
    prefix = prefix.strip("/")
    resolve.check_plain(prefix, "store prefix")
    return bucket, prefix


def translate(exc: Exception, what: str) -> Exception:
    """A botocore exception as one sentence (never a key: botocore's messages carry none)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    if isinstance(exc, NoCredentialsError):
        return CredentialsError(
            f"no AWS credentials for {what}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE or an SSO session (the botocore credential chain)."
        )
    if isinstance(exc, EndpointConnectionError):
        return StoreError(f"cannot reach S3 for {what}: {exc}.")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        if code in ("NoSuchKey", "404", "NotFound"):
            return StoreError(f"{what} does not exist.")
        if code == "NoSuchBucket":
            return ConfigError(f"the bucket of {what} does not exist; create it or fix the URL.")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return StoreError(f"S3 refused access to {what} ({code}); check the credentials.")
        return StoreError(f"S3 failed on {what}: {code or 'error'} {err.get('Message', '')}.")
    if isinstance(exc, BotoCoreError):
        return StoreError(f"S3 failed on {what}: {exc}.")
    return exc


class S3Store:
    """Run files and journals as S3 objects under ``s3://bucket/prefix``."""

    scheme = "s3"

    def __init__(self, url: str, home: Path | None = None, client: Any = None):
        self.bucket, self.prefix = parse_s3_url(url)
        self.home = Path(home) if home is not None else default_home()
        self._client = client
        self._local = LocalStore(self.home)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def client(self) -> Any:
        """The botocore S3 client, built on first use (the credential chain, the env endpoint)."""
        if self._client is None:
            import botocore.session
            from botocore.config import Config

            session = botocore.session.get_session()
            region = session.get_config_variable("region") or "us-east-1"
            config = Config(connect_timeout=5, read_timeout=30,
                            retries={"mode": "standard", "max_attempts": 3})  # fmt: skip
            self._client = session.create_client("s3", region_name=region, config=config)
        return self._client

    def call(self, op: str, what: object, **kwargs: Any) -> Any:
        """``client.<op>(Bucket=…, **kwargs)`` in the bucket of ``what`` (a locator) or of the
        store; any botocore failure as one sentence."""
        bucket = what.bucket if isinstance(what, S3Locator) else self.bucket
        try:
            return getattr(self.client, op)(Bucket=bucket, **kwargs)
        except Exception as exc:
            raise translate(exc, str(what)) from None

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def path_for(self, run_id: str) -> S3Locator:
        return S3Locator(self.bucket, self.key(f"{run_id}.json"))

    def _under(self, loc: S3Locator) -> bool:
        return loc.bucket == self.bucket and (
            not self.prefix or loc.key.startswith(self.prefix + "/")
        )

    def _locator(self, ref: str, confined: bool) -> S3Locator:
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        loc = S3Locator(bucket, key)
        if confined and not self._under(loc):
            raise ConfigError(f"{ref!r:.200} is outside the store {self.location}; give a run id.")
        return loc

    def writer(self, run: Run, output: Any = None, *, confined: bool = False):
        """The journal (in parts) and the final object of a new run."""
        from sre_latency.store.s3_journal import S3RunWriter

        return S3RunWriter(self, run, self._output(run, output, confined))

    def _output(self, run: Run, output: Any, confined: bool) -> S3Locator:
        if output is None:
            return self.path_for(run.run_id)
        name = str(output)
        resolve.check_plain(name, "output name")
        if name.startswith("s3://"):
            return self._locator(name, confined)
        if "/" in name or "\\" in name or name.startswith("."):
            raise ConfigError(
                f"with the store {self.location}, --output is a file name such as nightly.json "
                f"or an s3:// URL, not a path ({name!r:.100})."
            )
        loc = S3Locator(self.bucket, self.key(name if name.endswith(".json") else f"{name}.json"))
        if confined and (
            self._exists(loc) or self._journal_exists(loc.with_suffix(JOURNAL_SUFFIX))
        ):
            raise ConfigError(
                f"{loc.name} already exists under {self.location}; choose another name."
            )
        return loc

    def save(self, run: Run, path: Any = None) -> S3Locator:
        loc = path if isinstance(path, S3Locator) else self._output(run, path, False)
        body = run.model_dump_json(indent=1, by_alias=True).encode()
        self.call("put_object", loc, Key=loc.key, Body=body, ContentType="application/json")
        return loc

    def list_paths(self, kinds: tuple[str, ...] | None = None) -> list[S3Locator]:
        """Run files (and journals of unfinished runs) under the prefix, newest first by when
        they were measured (``kinds``: only runs of these kinds)."""
        from sre_latency.store.s3_listing import newest_first

        found: dict[str, tuple[S3Locator, float]] = {}
        base = self.key("")
        token: dict[str, str] = {}
        while True:
            page = self.call("list_objects_v2", self.location, Prefix=base, Delimiter="/", **token)
            for obj in page.get("Contents", []):
                loc = S3Locator(self.bucket, obj["Key"])
                if loc.suffix == ".json" and not loc.name.startswith("."):
                    found[loc.stem] = (loc, obj["LastModified"].timestamp())
            for common in page.get("CommonPrefixes", []):
                loc = S3Locator(self.bucket, common["Prefix"].rstrip("/"))
                if loc.suffix == JOURNAL_SUFFIX:
                    found.setdefault(loc.stem, (loc, 0.0))
            if not page.get("IsTruncated"):
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}
        return newest_first(found, kinds)

    def latest(self, kinds: tuple[str, ...] | None = None) -> S3Locator:
        paths = self.list_paths(kinds)
        if not paths:
            raise StoreError(
                f"no runs under {self.location} yet; measure one with `sre-latency benchmark "
                f"--emulate --store {self.location}`."
            )
        return paths[0]

    def _exists(self, loc: S3Locator) -> bool:
        try:
            self.call("head_object", loc, Key=loc.key)
        except StoreError as exc:
            if str(exc).endswith("does not exist."):
                return False
            raise
        return True

    def journal_parts(self, loc: S3Locator) -> list[str]:
        """The keys of a journal's parts, in order."""
        keys: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self.call("list_objects_v2", loc, Prefix=loc.key + "/", **token)
            keys += [o["Key"] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def _journal_exists(self, loc: S3Locator) -> bool:
        page = self.call("list_objects_v2", loc, Prefix=loc.key + "/", MaxKeys=1)
        return bool(page.get("Contents"))

    def resolve(self, ref: str | None, *, confined: bool = False,
                kinds: tuple[str, ...] | None = None) -> Any:  # fmt: skip
        """A run id or object name under the prefix, an s3:// URL, or (CLI only) a local file;
        None: the latest run (of ``kinds``)."""
        if not ref:
            return self.latest(kinds)
        resolve.check_plain(ref, "run", confined=confined)
        if ref.startswith("s3://"):
            loc = self._locator(ref, confined)
            candidates = [loc, loc.with_suffix(JOURNAL_SUFFIX)] if loc.suffix == ".json" else [loc]
        else:
            local = Path(ref).expanduser()
            if not confined and local.is_file():
                return local
            names = [ref] if ref.endswith((".json", JOURNAL_SUFFIX)) else [f"{ref}.json", ref]
            names += [f"{ref}{JOURNAL_SUFFIX}"] if not ref.endswith(JOURNAL_SUFFIX) else []
            candidates = [S3Locator(self.bucket, self.key(n)) for n in names]
        for loc in candidates:
            found = self._journal_exists(loc) if self.is_journal(loc) else self._exists(loc)
            if found:
                return loc
        raise StoreError(f"no run named {ref!r:.200} under {self.location}.")

    def read_bytes(self, locator: Any) -> bytes:
        if not isinstance(locator, S3Locator):
            return self._local.read_bytes(locator)
        if self.is_journal(locator):
            parts = self.journal_parts(locator)
            if not parts:
                raise StoreError(f"{locator} does not exist.")
            return b"".join(self._get(S3Locator(self.bucket, k)) for k in parts)
        return self._get(locator)

    def _get(self, loc: S3Locator) -> bytes:
        body = self.call("get_object", loc, Key=loc.key)["Body"]
        try:
            return body.read()
        except Exception as exc:
            raise translate(exc, str(loc)) from None
        finally:
            body.close()

    def is_journal(self, locator: Any) -> bool:
        return locator.suffix == JOURNAL_SUFFIX

    def load_path(self, locator: Any) -> Run:
        """A run file, or a journal (also the journal of a run whose file is not written yet)."""
        if not isinstance(locator, S3Locator):
            return self._local.load_path(locator)
        if self.is_journal(locator):
            return run_from_journal(self.read_bytes(locator), locator)
        try:
            data = self.read_bytes(locator)
        except StoreError:
            journal = locator.with_suffix(JOURNAL_SUFFIX)
            if locator.suffix == ".json" and self._journal_exists(journal):
                return self.load_path(journal)
            raise
        return parse_run(data, locator)

    def load(self, ref: str | None = None, *, confined: bool = False) -> Run:
        return self.load_path(self.resolve(ref, confined=confined))

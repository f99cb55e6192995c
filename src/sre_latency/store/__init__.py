"""The results store: where runs are written while they run, saved, listed and found again.

``open_store()`` is the one place a store is built: local files under ``$SRE_LATENCY_HOME``
(the default), a directory (``/path`` or ``file:///path``) or S3 (``s3://bucket/prefix``, ``store.s3``), named
by ``--store`` or ``SRE_LATENCY_STORE``. A store implements ``RunStore``; run locators are what
its ``resolve`` returns (local: a ``Path``; S3: an ``S3Locator``, with ``.name``, ``.stem``,
``.suffix`` and its URL as ``str()``) and are passed back to it as is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from sre_latency.core.contract import Run, Sample
from sre_latency.errors import ConfigError
from sre_latency.store.files import (
    check_run_header,
    decode_json,
    ensure_private_dir,
    first_validation_error,
    parse_run,
    write_atomic,
)
from sre_latency.store.journal import JOURNAL_SUFFIX, Journal, journal_path, load_journal
from sre_latency.store.local import RUNS_DIR, LocalRunWriter, LocalStore, default_home
from sre_latency.store.naming import environment, new_run_id

STORE_ENV = "SRE_LATENCY_STORE"


class RunWriter(Protocol):
    """One run being recorded: every finished sample at once, the run file at the end."""

    location: str  # the run file, for messages
    journal_location: str

    def append(self, label: str, sample: Sample) -> None: ...
    def append_session(self, label: str, session: Any) -> None: ...  # session runs
    def finish(self, run: Run) -> None: ...
    def kept_sentence(self, finished: int) -> str: ...


class RunStore(Protocol):
    """Where runs live. ``home`` is the local state root (hook log, reports) in every store."""

    home: Path
    location: str

    def writer(self, run: Run, output: Any = None, *, confined: bool = False) -> RunWriter: ...
    def save(self, run: Run, path: Any = None) -> Any: ...
    def list_paths(self, kinds: tuple[str, ...] | None = None) -> list[Any]: ...
    def latest(self, kinds: tuple[str, ...] | None = None) -> Any: ...
    def resolve(
        self, ref: str | None, *, confined: bool = False, kinds: tuple[str, ...] | None = None
    ) -> Any: ...
    def read_bytes(self, locator: Any) -> bytes: ...
    def is_journal(self, locator: Any) -> bool: ...
    def load_path(self, locator: Any) -> Run: ...
    def load(self, ref: str | None = None, *, confined: bool = False) -> Run: ...


def open_store(url: str | Path | None = None, home: Path | None = None) -> RunStore:
    """The store ``url`` names (default: ``$SRE_LATENCY_STORE``, else local files)."""
    if isinstance(url, Path):
        return LocalStore(home, runs_dir=url)
    url = url or os.environ.get(STORE_ENV) or ""
    if not url:
        return LocalStore(home)
    if url.startswith("file://"):
        return LocalStore(home, runs_dir=Path(url.removeprefix("file://")))
    if "://" not in url:  # a plain directory, as a shell user types it
        return LocalStore(home, runs_dir=Path(url).expanduser())
    if url.startswith("s3://"):
        from sre_latency.store.s3 import S3Store

        return S3Store(url, home)
    raise ConfigError(
        f"cannot open the store {url!r:.100}: use a local directory (file:///path), S3 "
        f"(s3://bucket/prefix), or leave {STORE_ENV} unset for {default_home() / RUNS_DIR}."
    )


def load_run_file(path: Path) -> Run:
    """A run file (or a journal) on the local disk; one clear sentence when it is not a run."""
    return LocalStore().load_path(Path(path))


__all__ = [
    "JOURNAL_SUFFIX",
    "RUNS_DIR",
    "STORE_ENV",
    "Journal",
    "LocalRunWriter",
    "LocalStore",
    "RunStore",
    "RunWriter",
    "check_run_header",
    "decode_json",
    "default_home",
    "ensure_private_dir",
    "environment",
    "first_validation_error",
    "journal_path",
    "load_journal",
    "load_run_file",
    "new_run_id",
    "open_store",
    "parse_run",
    "write_atomic",
]

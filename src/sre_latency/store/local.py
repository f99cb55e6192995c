"""Run files on the local disk, under ``<home>/runs`` (the default store).

Run files are ``<run_id>.json`` (or a name the user chose, anywhere: the store's index finds
it); a run in progress has its journal ``<name>.jsonl`` beside it. The latest run is the newest
by ``created_at`` (``store.index``). ``home`` is ``$SRE_LATENCY_HOME``, else the platform's user
data dir.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from sre_latency.core.contract import Run, Sample
from sre_latency.errors import ConfigError, StoreError
from sre_latency.store import index, resolve
from sre_latency.store.files import parse_run, write_atomic
from sre_latency.store.journal import JOURNAL_SUFFIX, Journal, journal_path, run_from_journal

RUNS_DIR = "runs"


def default_home() -> Path:
    """``$SRE_LATENCY_HOME``, else the platform's user data dir (XDG on Linux)."""
    env = os.environ.get("SRE_LATENCY_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "sre-latency"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "sre-latency"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "sre-latency"


class LocalRunWriter:
    """Where one run goes: its journal while it runs, its run file at the end."""

    def __init__(self, store: LocalStore, run: Run, path: Path):
        self.store = store
        self.path = path
        try:
            self.journal = Journal(journal_path(path), run)
        except OSError as exc:  # mkdir says "File exists" when a parent is a regular file
            parent_is_a_file = isinstance(exc, FileExistsError | NotADirectoryError)
            why = "a parent is not a directory" if parent_is_a_file else exc.strerror
            raise ConfigError(f"cannot write the run file {path}: {why or exc}.") from None
        index.record(store.runs_dir, path, run.run_id, run.kind, run.created_at)

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def journal_location(self) -> str:
        return str(self.journal.path)

    def append(self, label: str, sample: Sample) -> None:
        self.journal.append(label, sample)

    def append_session(self, label: str, session) -> None:
        """A session run's per-session record (``core.sessions.SessionRecord``)."""
        self.journal.append_session(label, session)

    def finish(self, run: Run) -> None:
        """Save the run file atomically, then drop the journal; on failure, say what is kept."""
        self.journal.close()
        try:
            write_atomic(self.path, run.model_dump_json(indent=1, by_alias=True))
        except OSError as exc:
            n = sum(len(p.samples) for p in run.providers.values())
            raise StoreError(
                f"could not write the run file {self.path} ({exc.strerror or exc}); "
                f"{self.kept_sentence(n)}"
            ) from None
        with contextlib.suppress(OSError):
            self.journal.path.unlink()

    def kept_sentence(self, finished: int) -> str:
        j = self.journal
        if j.error is None:
            return f"every finished sample ({finished}) is kept in {j.path}."
        return (
            f"{j.kept} of {finished} finished samples are kept in {j.path} (writing it failed: "
            f"{j.error.strerror or j.error})."
        )


class LocalStore:
    """Run files under ``<home>/runs`` (or a given directory of run files)."""

    scheme = "file"

    def __init__(self, home: Path | None = None, runs_dir: Path | None = None):
        self.home = Path(home) if home is not None else default_home()
        self.runs_dir = Path(runs_dir) if runs_dir is not None else self.home / RUNS_DIR

    @property
    def location(self) -> str:
        return str(self.runs_dir)

    def path_for(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def writer(
        self, run: Run, output: Path | None = None, *, confined: bool = False
    ) -> LocalRunWriter:
        """The journal and final file of a new run (``output``: a path the user chose)."""
        if confined:
            resolve.refuse_symlinked_root(self.home, self.runs_dir)
        path = Path(output).expanduser() if output else self.path_for(run.run_id)
        if path.is_dir():
            raise ConfigError(
                f"--output {path} is a directory; name a file such as {path}/run.json."
            )
        return LocalRunWriter(self, run, path)

    def save(self, run: Run, path: Path | None = None) -> Path:
        path = path or self.path_for(run.run_id)
        write_atomic(path, run.model_dump_json(indent=1, by_alias=True))
        index.record(self.runs_dir, path, run.run_id, run.kind, run.created_at)
        return path

    def list_paths(self, kinds: tuple[str, ...] | None = None) -> list[Path]:
        """Run files (and journals of unfinished runs) of ``kinds`` (None: any), newest
        ``created_at`` first; with no ``kinds``, files that are not runs come last."""
        entries = index.newest_first(self.runs_dir, kinds)
        paths = [e.path for e in entries]
        if kinds is None:
            listed = set(paths)
            paths += sorted(p for p in index.candidate_files(self.runs_dir) if p not in listed)
        return paths

    def latest(self, kinds: tuple[str, ...] | None = None, *, within: Path | None = None) -> Path:
        """The newest run of ``kinds`` (None: any), optionally only under ``within``."""
        paths = [
            p for p in self.list_paths(kinds) if within is None or resolve.inside(Path(p), within)
        ]
        if paths:
            return paths[0]
        if kinds is not None:
            others = [e.kind for e in index.newest_first(self.runs_dir)]
            if others:
                counts = [(others.count(k), k) for k in dict.fromkeys(others)]
                there = ", ".join(f"{n} {k} run{'s' if n != 1 else ''}" for n, k in counts)
                raise StoreError(
                    f"no {' or '.join(kinds)} run under {self.runs_dir} yet, only {there} (name "
                    "one to read it); measure one with `sre-latency benchmark --emulate` (no API "
                    "key needed)."
                )
        raise StoreError(
            f"no runs under {self.runs_dir} yet; measure one with "
            "`sre-latency benchmark --emulate` (no API key needed)."
        )

    def resolve(
        self, ref: str | None, *, confined: bool = False, kinds: tuple[str, ...] | None = None
    ) -> Path:
        """A run id, a file name under the runs dir, or a path; None means the latest run (of
        ``kinds``, when given)."""
        within = self.home if confined else None
        return resolve.resolve_run(
            ref, root=self.home, runs_dir=self.runs_dir,
            latest=lambda: self.latest(kinds, within=within), confined=confined,
        )  # fmt: skip

    def read_bytes(self, path: Path) -> bytes:
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{path} does not exist.") from None
        except OSError as exc:
            raise StoreError(f"{path} cannot be read: {exc.strerror or exc}.") from None

    def is_journal(self, path: Path) -> bool:
        return Path(path).suffix == JOURNAL_SUFFIX

    def load_path(self, path: Path) -> Run:
        """A run file, or a journal (also the journal beside a run file not yet written)."""
        path = Path(path)
        if self.is_journal(path):
            return run_from_journal(self.read_bytes(path), path)
        if not path.exists() and journal_path(path).exists():
            return self.load_path(journal_path(path))
        return parse_run(self.read_bytes(path), path)

    def load(self, ref: str | None = None, *, confined: bool = False) -> Run:
        return self.load_path(self.resolve(ref, confined=confined))

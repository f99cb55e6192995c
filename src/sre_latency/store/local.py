"""The results store: run files, their journals, listing and loading (DESIGN §4).

A run is one JSON file written atomically (temp file + rename). While it is in progress every
finished sample is appended to ``<run>.jsonl`` beside it with one ``O_APPEND`` write, so a run
killed by Ctrl-C or SIGKILL loses nothing: loading the journal yields ``complete: false``.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from sre_latency import __version__
from sre_latency.core.contract import SCHEMA_VERSION, Environment, ProviderResult, Run, Sample
from sre_latency.errors import StoreError

RUNS_DIR = "runs"
JOURNAL_SUFFIX = ".jsonl"


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


def new_run_id(kind: str, now: datetime | None = None) -> str:
    """Sortable, unique, filename-safe: ``20261123T113200Z-benchmark-3f9a``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{kind.replace('_', '-')}-{secrets.token_hex(2)}"


def environment() -> Environment:
    return Environment(
        host=socket.gethostname(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        package_version=__version__,
        client_region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
    )


def journal_path(run_path: Path) -> Path:
    return run_path.with_suffix(JOURNAL_SUFFIX)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write leaves no stray temp file behind
        raise


class Journal:
    """Append-only record of a run in progress: a header line, then one line per sample."""

    def __init__(self, path: Path, run: Run):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        header = run.model_dump(mode="json", exclude={"providers"}, by_alias=True)
        header["providers"] = {
            label: p.model_dump(mode="json", exclude={"samples", "summary"})
            for label, p in run.providers.items()
        }
        self._write({"type": "header", "run": header})

    def _write(self, obj: dict) -> None:
        os.write(self._fd, (json.dumps(obj, separators=(",", ":")) + "\n").encode())

    def append(self, label: str, sample: Sample) -> None:
        self._write(
            {
                "type": "sample",
                "label": label,
                "sample": sample.model_dump(mode="json", by_alias=True),
            }
        )

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def load_journal(path: Path) -> Run:
    """Rebuild a run from its journal: every finished sample, ``complete: false``."""
    from sre_latency.core.stats import summarize

    header: dict | None = None
    samples: dict[str, list[Sample]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by SIGKILL mid-write: everything before it is kept
            if rec.get("type") == "header":
                header = rec["run"]
            elif rec.get("type") == "sample":
                try:
                    samples.setdefault(rec["label"], []).append(
                        Sample.model_validate(rec["sample"])
                    )
                except (KeyError, ValidationError):
                    continue
    if header is None:
        raise StoreError(f"{path} is not an sre-latency journal: it has no header line.")
    header["complete"] = False
    providers = header.pop("providers", {})
    try:
        run = Run.model_validate({**header, "providers": {}})
        for label, meta in providers.items():
            got = samples.get(label, [])
            run.providers[label] = ProviderResult.model_validate(
                {**meta, "samples": got, "summary": summarize(got)}
            )
    except ValidationError as exc:
        raise StoreError(f"{path} has a malformed header: {first_validation_error(exc)}.") from None
    run.validity_notes.append("run did not finish; loaded from its journal")
    return run


def first_validation_error(exc: ValidationError) -> str:
    """Where and what the first problem is: one short clause for a one-sentence StoreError."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid")


def check_run_header(path: Path, data: object) -> None:
    """Refuse JSON that is not a run file of this schema before validating it field by field."""
    if not isinstance(data, dict) or "schema_version" not in data or "run_id" not in data:
        raise StoreError(f"{path} is not an sre-latency run file (no schema_version/run_id).")
    if data["schema_version"] != SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema_version {data['schema_version']}; this sre-latency reads "
            f"{SCHEMA_VERSION}."
        )


def load_run_file(path: Path) -> Run:
    """Load a run file (or a journal); one clear sentence when it is not a valid run."""
    if path.suffix == JOURNAL_SUFFIX:
        return load_journal(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        journal = journal_path(path)
        if journal.exists():
            return load_journal(journal)
        raise StoreError(f"{path} does not exist.") from None
    except OSError as exc:
        raise StoreError(f"{path} cannot be read: {exc.strerror}.") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path} is not valid JSON (line {exc.lineno}).") from None
    check_run_header(path, data)
    try:
        return Run.model_validate(data)
    except ValidationError as exc:
        raise StoreError(
            f"{path} is a malformed run file: {first_validation_error(exc)}."
        ) from None


class RunStore:
    """Run files under ``<home>/runs``; refers to runs by id, file name or path."""

    def __init__(self, home: Path | None = None):
        self.home = home or default_home()
        self.runs_dir = self.home / RUNS_DIR

    def path_for(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def save(self, run: Run, path: Path | None = None) -> Path:
        path = path or self.path_for(run.run_id)
        write_atomic(path, run.model_dump_json(indent=1, by_alias=True))
        return path

    def list_paths(self) -> list[Path]:
        """Run files (and journals of unfinished runs), newest first by run id."""
        if not self.runs_dir.is_dir():
            return []
        found: dict[str, Path] = {}
        for p in self.runs_dir.iterdir():
            if p.name.startswith("."):
                continue
            if p.suffix == ".json":
                found[p.stem] = p
            elif p.suffix == JOURNAL_SUFFIX:
                found.setdefault(p.stem, p)

        def newest_first(stem: str) -> tuple[str, int]:
            # the id's UTC second first; within one second the file written last wins
            try:
                mtime_ns = found[stem].stat().st_mtime_ns
            except OSError:
                mtime_ns = 0
            return stem.split("-", 1)[0], mtime_ns

        return [found[k] for k in sorted(found, key=newest_first, reverse=True)]

    def latest(self) -> Path:
        paths = self.list_paths()
        if not paths:
            raise StoreError(
                f"no runs under {self.runs_dir}; run `sre-latency benchmark --emulate` first."
            )
        return paths[0]

    def resolve(self, ref: str | None) -> Path:
        """A run id, a file name under the runs dir, or a path; None means the latest run."""
        if not ref:
            return self.latest()
        p = Path(ref).expanduser()
        if p.exists():
            return p
        for candidate in (self.runs_dir / ref, self.path_for(ref), self.runs_dir / f"{ref}.jsonl"):
            if candidate.exists():
                return candidate
        raise StoreError(f"no run named {ref!r} (looked for a file and under {self.runs_dir}).")

    def load(self, ref: str | None = None) -> Run:
        return load_run_file(self.resolve(ref))

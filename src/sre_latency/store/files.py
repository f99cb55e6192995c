"""Private, atomic files, and run files parsed into the data contract with one-sentence errors.

Everything the store writes is private whatever the umask: directories 0700, files 0600 (run
files and reports may hold endpoints, request ids and error text). A run file is written to a
temporary file and renamed, so readers see the old file or the new one, never half.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from pydantic import ValidationError

from sre_latency.core.contract import READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, Run
from sre_latency.errors import StoreError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as 0700; an existing directory keeps its mode."""
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not d.is_dir():
                raise
        os.chmod(d, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` (``os.write`` may write fewer, e.g. near a full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - a zero write on a regular file
            raise OSError(28, "No space left on device")
        view = view[written:]


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` privately, so that readers see the old file or the new one."""
    ensure_private_dir(path.parent)
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write leaves no stray temp file behind
        raise


def read_head(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of a regular file, or None (missing, unreadable, a FIFO...)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_file(path: Path) -> bytes:
    """A run file's or a journal's bytes; a StoreError for anything that is not a readable
    regular file (a FIFO would block the reader forever, a directory is no run)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise StoreError(f"{path} does not exist.") from None
    except OSError as exc:
        raise StoreError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StoreError(f"{path} is not a regular file.")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    except OSError as exc:
        raise StoreError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)


def first_validation_error(exc: ValidationError) -> str:
    """Where and what the first problem is: one short clause for a one-sentence StoreError."""
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(_short(str(p), 40) for p in err.get("loc", ()))
    msg = _short(err.get("msg", "invalid"), 160)
    return f"{_short(where, 160)}: {msg}" if where else msg


def _short(text: str, limit: int) -> str:
    """A name or message from a hostile file, cut to fit in one sentence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_run_header(where: object, data: object) -> None:
    """Refuse JSON that is not a run file of this schema before validating it field by field."""
    if not isinstance(data, dict) or "schema_version" not in data or "run_id" not in data:
        raise StoreError(f"{where} is not an sre-latency run file (no schema_version/run_id).")
    if data["schema_version"] not in READABLE_SCHEMA_VERSIONS:
        raise StoreError(
            f"{where} has schema_version {data['schema_version']!r:.40}; this sre-latency reads "
            f"{SCHEMA_VERSION}."
        )


def decode_json(data: bytes, where: object) -> object:
    """The JSON in ``data``; a StoreError naming ``where`` (and the line) when it is not JSON."""
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise StoreError(
            f"{where} is not valid JSON" + (f" (line {line})." if line else ".")
        ) from None
    except (ValueError, RecursionError):  # e.g. Python's int-digits limit, absurd nesting
        raise StoreError(f"{where} is not a readable run file (a value is out of range).") from None


def parse_run(data: bytes, where: object) -> Run:
    """A run file's bytes as a validated ``Run``; one clear sentence when they are not one."""
    obj = decode_json(data, where)
    check_run_header(where, obj)
    try:
        return Run.model_validate(obj)
    except ValidationError as exc:
        raise StoreError(
            f"{where} is a malformed run file: {first_validation_error(exc)}."
        ) from None

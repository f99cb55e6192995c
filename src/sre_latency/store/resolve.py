"""The one resolver of run references, and the rules for files the tools write.

A run reference is a run id, a file name under ``<root>/runs``, or a path. Every face resolves
it here, under one of two policies:

- ``confined=True`` (the MCP server: a model may pass any string): the run must lie under the
  results root; ``..``, absolute paths outside it and symlinks that lead out of it are refused;
- ``confined=False`` (the CLI: the user owns the shell): any readable path is accepted too.

Under both, a NUL byte or an absurdly long reference is one sentence, never an OSError. An
output name (MCP) is a bare file name, never a path, and never replaces an existing file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sre_latency.errors import ConfigError, StoreError

MAX_REF_CHARS = 1024
JOURNAL_SUFFIX = ".jsonl"


def inside(path: Path, root: Path) -> bool:
    """True when the real path (symlinks followed) lies under the real root."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop, a name too long for the OS
        return False


def refuse_outside(ref: str, root: Path) -> ConfigError:
    return ConfigError(
        f"{ref!r:.200} is outside the results root {root}; give a run id or a file name under "
        f"{root / 'runs'} (read sre-latency://runs for the list)."
    )


def check_plain(ref: str, what: str, *, confined: bool = True) -> None:
    """Refuse NUL bytes and overlong names always, and '..' when ``confined``."""
    if "\x00" in ref:
        raise ConfigError(f"the {what} contains a NUL byte; give a plain name.")
    if len(ref) > MAX_REF_CHARS:
        raise ConfigError(
            f"the {what} is {len(ref)} characters long; give a run id or a file name "
            f"(at most {MAX_REF_CHARS} characters)."
        )
    if confined and (".." in Path(ref).parts or ".." in ref.replace("\\", "/").split("/")):
        raise ConfigError(
            f"the {what} {ref!r} contains '..'; give a plain name under the results root, not a "
            "path that climbs out of it."
        )


def _exists(path: Path) -> bool:
    try:
        return path.is_symlink() or path.exists()
    except OSError:  # e.g. "File name too long"
        return False


def resolve_run(
    ref: str | None,
    *,
    root: Path,
    runs_dir: Path,
    latest: Callable[[], Path],
    confined: bool,
) -> Path:
    """The run file ``ref`` names (None: ``latest()``), by the rules above."""
    if not ref:
        path = latest()
        if confined and not inside(path, root):
            raise refuse_outside(str(path), root)
        return path
    check_plain(ref, "run", confined=confined)
    given = Path(ref).expanduser()
    candidates: list[Path] = []
    if given.is_absolute():
        if confined and not inside(given, root):
            raise refuse_outside(ref, root)
        candidates.append(given)
    else:
        if not confined:
            candidates.append(given)
        candidates += [
            runs_dir / ref,
            runs_dir / f"{ref}.json",
            runs_dir / f"{ref}{JOURNAL_SUFFIX}",
            root / ref,
        ]
    for candidate in candidates:
        if not _exists(candidate):
            continue
        if confined and not inside(candidate, root):
            raise ConfigError(
                f"{ref!r} is a symlink that leads outside the results root {root}; "
                "refusing to read it."
            )
        if candidate.is_file():
            return candidate
    raise StoreError(
        f"no run named {ref!r:.200} under {runs_dir}; read sre-latency://runs (or run "
        "`sre-latency benchmark --emulate`) to have one."
    )


def output_file(directory: Path, root: Path, name: str, suffix: str) -> Path:
    """``directory/name`` for a file the server writes: ``name`` must be a bare file name.

    ``suffix`` is appended when the name has another one, so a run file always ends in ``.json``
    (the store lists only those) and a report in its format's extension.
    """
    check_plain(name, "output name")
    if "/" in name or "\\" in name or Path(name).name != name or Path(name).is_absolute():
        raise ConfigError(
            f"output must be a file name such as 'nightly.json', not a path ({name!r}); "
            f"files are written under {directory}."
        )
    if name.startswith(".") or not name.strip():
        raise ConfigError(f"output name {name!r} must not be empty or start with '.'.")
    if not name.endswith(suffix):
        name += suffix
    path = directory / name
    if path.is_symlink():
        raise ConfigError(f"{path} is a symlink; refusing to write through it.")
    if directory.exists() and not inside(directory, root):
        raise refuse_outside(str(directory), root)
    return path


def new_output(directory: Path, root: Path, name: str, suffix: str) -> Path:
    """``output_file`` that must not exist yet (the tools add files, they never replace one)."""
    path = output_file(directory, root, name, suffix)
    if path.exists() or (suffix == ".json" and path.with_suffix(JOURNAL_SUFFIX).exists()):
        raise ConfigError(f"{path.name} already exists under {path.parent}; choose another name.")
    return path


def file_under_root(root: Path, ref: str) -> Path:
    """An input file (an SLO table) named relative to the results root, or a path inside it."""
    check_plain(ref, "file name")
    given = Path(ref).expanduser()
    path = given if given.is_absolute() else root / given
    if not inside(path, root):
        raise refuse_outside(ref, root)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; put the file under the results root {root}.")
    return path


def file_under(base: Path, ref: str, suffix: str, what: str) -> Path:
    """A ``suffix`` file under ``base`` (e.g. a Claude Code transcript), nothing else."""
    check_plain(ref, what)
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.suffix != suffix or not inside(path, base):
        raise ConfigError(
            f"{ref!r:.200} is not a {what} under {base}; give the path of a {suffix} file there."
        )
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist.")
    return path


def refuse_symlinked_root(root: Path, runs_dir: Path) -> None:
    """Writing runs: a ``runs/`` that is a symlink out of the root would put them elsewhere."""
    if _exists(runs_dir) and not inside(runs_dir, root):
        raise ConfigError(
            f"{runs_dir} leads outside the results root {root} (a symlink?); refusing to write "
            "runs there. Remove the link or set SRE_LATENCY_HOME."
        )


__all__ = [
    "check_plain",
    "file_under",
    "file_under_root",
    "inside",
    "new_output",
    "output_file",
    "refuse_outside",
    "refuse_symlinked_root",
    "resolve_run",
]

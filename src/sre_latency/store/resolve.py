"""Path safety for the MCP server: run files are read and written only under the results root.

A model calling a tool may pass any string, so the server never hands it to ``open`` as given.
A run reference is a run id, a file name under ``<root>/runs``, or a path inside the root; it is
refused when it contains ``..``, when it points outside the root, or when a symlink on the way
leads out of it. An output name is a bare file name, never a path.

Errors are ``ConfigError``/``StoreError`` with one sentence; the server turns them into ToolErrors.
"""

from __future__ import annotations

from pathlib import Path

from sre_latency.errors import ConfigError, StoreError
from sre_latency.store import JOURNAL_SUFFIX, RunStore


def _inside(path: Path, root: Path) -> bool:
    """True when the real path (symlinks followed) lies under the real root."""
    return path.resolve().is_relative_to(root.resolve())


def _refuse_outside(ref: str, root: Path) -> ConfigError:
    return ConfigError(
        f"{ref!r} is outside the results root {root}; give a run id or a file name under "
        f"{root / 'runs'} (read sre-latency://runs for the list)."
    )


def _check_plain(ref: str, what: str) -> None:
    if "\x00" in ref:
        raise ConfigError(f"the {what} contains a NUL byte; give a plain name.")
    if ".." in Path(ref).parts or ".." in ref.replace("\\", "/").split("/"):
        raise ConfigError(
            f"the {what} {ref!r} contains '..'; give a plain name under the results root, not a "
            "path that climbs out of it."
        )


def resolve_run(store: RunStore, ref: str | None) -> Path:
    """The run file ``ref`` names, guaranteed to lie under ``store.home``; None = the latest run."""
    root = store.home
    if not ref:
        paths = store.list_paths()
        if not paths:
            raise StoreError(
                f"no runs under {store.runs_dir} yet; measure one with the benchmark tool "
                "(emulate=true needs no API key)."
            )
        path = paths[0]
        if not _inside(path, root):
            raise _refuse_outside(str(path), root)
        return path
    _check_plain(ref, "run")
    given = Path(ref).expanduser()
    if given.is_absolute():
        if not _inside(given, root):
            raise _refuse_outside(ref, root)
        candidates = [given]
    else:
        candidates = [
            store.runs_dir / ref,
            store.path_for(ref),
            store.runs_dir / f"{ref}{JOURNAL_SUFFIX}",
            root / ref,
        ]
    for candidate in candidates:
        if candidate.is_symlink() or candidate.exists():
            if not _inside(candidate, root):
                raise ConfigError(
                    f"{ref!r} is a symlink that leads outside the results root {root}; "
                    "refusing to read it."
                )
            if candidate.is_file():
                return candidate
    raise StoreError(
        f"no run named {ref!r} under {store.runs_dir}; read sre-latency://runs for the runs "
        "there, or measure one with the benchmark tool."
    )


def output_file(directory: Path, root: Path, name: str, suffix: str) -> Path:
    """``directory/name`` for a file the server writes: ``name`` must be a bare file name.

    ``suffix`` is appended when the name has another one, so a run file always ends in ``.json``
    (the store lists only those) and a report in its format's extension.
    """
    _check_plain(name, "output name")
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
    if directory.exists() and not _inside(directory, root):
        raise _refuse_outside(str(directory), root)
    return path


def run_output(store: RunStore, name: str | None) -> Path | None:
    """Where a measuring tool saves its run: None lets the store choose ``<run_id>.json``."""
    if name is None:
        return None
    return output_file(store.runs_dir, store.home, name, ".json")


def resolve_file_under_root(store: RunStore, ref: str) -> Path:
    """An input file (an SLO table) named relative to the results root, or a path inside it."""
    _check_plain(ref, "file name")
    root = store.home
    given = Path(ref).expanduser()
    path = given if given.is_absolute() else root / given
    if not _inside(path, root):
        raise _refuse_outside(ref, root)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; put the file under the results root {root}.")
    return path


def report_output(store: RunStore, name: str, fmt: str) -> Path:
    """Where the report tool writes: ``<root>/reports/<name>``; never over an existing file."""
    path = output_file(store.home / "reports", store.home, name, f".{fmt}")
    if path.exists():
        raise ConfigError(f"{path} already exists; choose another output name.")
    return path


def claude_dir() -> Path:
    """Claude Code's config dir (``$CLAUDE_CONFIG_DIR`` or ``~/.claude``), where transcripts live."""
    import os

    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude").expanduser()


def resolve_transcript(ref: str) -> Path:
    """A Claude Code transcript: a ``.jsonl`` file under Claude Code's config dir, nothing else."""
    _check_plain(ref, "transcript")
    base = claude_dir()
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.suffix != JOURNAL_SUFFIX or not _inside(path, base):
        raise ConfigError(
            f"{ref!r} is not a transcript under {base}; give the path of a session's .jsonl "
            f"file there (e.g. {base}/projects/<project>/<session-id>.jsonl)."
        )
    if not path.is_file():
        raise ConfigError(f"transcript {path} does not exist.")
    return path

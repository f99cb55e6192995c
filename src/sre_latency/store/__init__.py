"""The results store: run files, their journals, listing, loading and resolving references."""

from sre_latency.store.local import (
    JOURNAL_SUFFIX,
    RUNS_DIR,
    Journal,
    RunStore,
    check_run_header,
    default_home,
    environment,
    first_validation_error,
    journal_path,
    load_journal,
    load_run_file,
    new_run_id,
    write_atomic,
)

__all__ = [
    "JOURNAL_SUFFIX",
    "RUNS_DIR",
    "Journal",
    "RunStore",
    "check_run_header",
    "default_home",
    "environment",
    "first_validation_error",
    "journal_path",
    "load_journal",
    "load_run_file",
    "new_run_id",
    "write_atomic",
]

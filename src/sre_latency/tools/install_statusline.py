"""The ``install-statusline`` command: the sre-latency statusline in Claude Code's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

from sre_latency.tools.options import Face, Options

DESCRIPTION = """\
Merge the sre-latency statusline into Claude Code's user settings (~/.claude/settings.json),
backing the file up first. Refuses to replace another statusline without --force."""


class InstallStatuslineOptions(Options):
    settings: Annotated[str | None, Face(metavar="PATH")] = Field(
        None, description="settings file to edit (default: ~/.claude/settings.json)"
    )
    force: bool = Field(False, description="replace another statusline (a backup is kept)")
    script: Annotated[str | None, Face(metavar="PATH")] = Field(
        None, description="statusline script to install (default: claude_config/statusline)"
    )


class InstallStatuslineResult(BaseModel):
    settings_path: str
    backup_path: str | None
    outcome: str  # installed, replaced, already installed
    summary: str


def run(opts: InstallStatuslineOptions, *, store=None, confined: bool = False):
    from sre_latency.claude_code.statusline import install_statusline

    path, backup, what = install_statusline(
        Path(opts.settings).expanduser() if opts.settings else None,
        force=opts.force,
        script=Path(opts.script).expanduser() if opts.script else None,
    )
    summary = f"sre-latency statusline {what} in {path}"
    if backup is not None:
        summary += f"; previous settings saved to {backup}"
    return InstallStatuslineResult(
        settings_path=str(path), backup_path=str(backup) if backup else None, outcome=what,
        summary=summary,
    )  # fmt: skip


OPTIONS = InstallStatuslineOptions
RESULT = "sre_latency.tools.install_statusline:InstallStatuslineResult"

"""Put the sre-latency statusline into Claude Code's ``settings.json``, keeping everything else.

Merges ``{"statusLine": {"type": "command", "command": <script>}}`` into the settings file
after copying the old file to ``settings.json.bak-<UTC time>``. Another statusline is never
replaced without ``force``. The file is written atomically (temp file + rename).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sre_latency.errors import ConfigError
from sre_latency.store.files import write_atomic


def glue_file(name: str) -> Path | None:
    """``claude_config/<name>`` of the plugin: ``$CLAUDE_PLUGIN_ROOT``, the source checkout
    this package runs from, the copy a wheel installs under ``<prefix>/share/sre-latency``, or
    the current directory (a checkout), first found; None when there is none."""
    roots = [
        os.environ.get("CLAUDE_PLUGIN_ROOT"),
        Path(__file__).parents[3],
        Path(sys.prefix) / "share" / "sre-latency",
        ".",
    ]
    for root in roots:
        if root:
            candidate = Path(root).resolve() / "claude_config" / name
            if candidate.is_file():
                return candidate
    return None


def statusline_script() -> Path:
    """``claude_config/statusline`` of the plugin (see ``glue_file``)."""
    found = glue_file("statusline")
    if found is None:
        raise ConfigError(
            "Cannot find claude_config/statusline: run this from the sre-latency checkout or "
            "pass --script PATH."
        )
    return found


def install_statusline(
    settings_path: Path | None = None, force: bool = False, script: Path | None = None
) -> tuple[Path, Path | None, str]:
    """Merge the statusline; returns (settings file, backup or None, what happened)."""
    settings_path = settings_path or Path.home() / ".claude" / "settings.json"
    script = (script or statusline_script()).resolve()
    if not script.is_file():
        raise ConfigError(f"The statusline script {script} is missing from this installation.")
    command = shlex.quote(str(script))
    settings: dict = {}
    if settings_path.exists():
        try:
            settings = json.loads(settings_path.read_text(encoding="utf-8") or "{}")
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(f"{settings_path} is not valid JSON ({exc}); fix it first.") from None
        if not isinstance(settings, dict):
            raise ConfigError(f"{settings_path} does not hold a JSON object; fix it first.")
    current = settings.get("statusLine")
    if isinstance(current, dict) and current.get("command") == command:
        return settings_path, None, "already installed"
    if current and not force:
        shown = current.get("command") if isinstance(current, dict) else current
        raise ConfigError(
            f"{settings_path} already has a statusline ({shown!r}); "
            "pass --force to replace it (a backup is kept)."
        )
    backup = None
    if settings_path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = settings_path.with_name(f"{settings_path.name}.bak-{stamp}")
        write_atomic(backup, settings_path.read_bytes())  # 0600: settings may hold keys
    settings["statusLine"] = {"type": "command", "command": command, "padding": 0}
    settings_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=settings_path.parent, prefix=".settings-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(settings, indent=2) + "\n")
    os.replace(tmp, settings_path)
    return settings_path, backup, "replaced" if current else "installed"

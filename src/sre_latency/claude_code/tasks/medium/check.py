"""Success check of the medium task: run in the session's workspace; exit 0 when it passed."""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, ".")
try:
    from duration import format_duration, parse_duration
except ImportError as exc:
    sys.exit(f"duration.py is incomplete: {exc}")
parsed = {"1h30m": 5400, "45s": 45, "2h5s": 7205, "10m": 600, "1h1m1s": 3661}
formatted = {5400: "1h30m", 45: "45s", 0: "0s", 3661: "1h1m1s", 7200: "2h"}
problems = [t for t, want in parsed.items() if parse_duration(t) != want]
problems += [str(s) for s, want in formatted.items() if format_duration(s) != want]
for bad in ("", "5x", "30m1h", "1h1h"):
    try:
        parse_duration(bad)
        problems.append(f"{bad!r} accepted")
    except ValueError:
        pass
if problems:
    sys.exit(f"duration.py is wrong for {problems}")
if not Path("test_duration.py").is_file():
    sys.exit("test_duration.py is missing")
tests = subprocess.run([sys.executable, "-m", "unittest", "-q"], capture_output=True, timeout=60)
sys.exit(0 if tests.returncode == 0 else "the tests fail")

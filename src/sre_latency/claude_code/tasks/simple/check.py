"""Success check of the simple task: run in the session's workspace; exit 0 when it passed."""

import subprocess
import sys

sys.path.insert(0, ".")
try:
    from wordcount import word_count
except ImportError as exc:
    sys.exit(f"wordcount.word_count is missing: {exc}")
cases = {"": 0, "a": 1, " a  b ": 2, "x\ty\nz": 3, "many   spaces here": 3}
wrong = {text: word_count(text) for text, want in cases.items() if word_count(text) != want}
if wrong:
    sys.exit(f"word_count is wrong for {sorted(wrong)}")
tests = subprocess.run([sys.executable, "-m", "unittest", "-q"], capture_output=True, timeout=60)
sys.exit(0 if tests.returncode == 0 else "the repository's tests fail")

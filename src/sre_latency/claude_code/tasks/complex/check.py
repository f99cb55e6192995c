"""Success check of the complex task: run in the session's workspace; exit 0 when it passed."""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, ".")
try:
    from inventory.models import Item
    from inventory.money import format_price
    from inventory.report import price_list, stock_value
except ImportError as exc:
    sys.exit(f"the refactoring is incomplete: {exc}")
cases = {0: "$0.00", 5: "$0.05", 25: "$0.25", 123450: "$1,234.50", 100000000: "$1,000,000.00"}
wrong = [c for c, want in cases.items() if format_price(c) != want]
items = [Item("bolt", 25, 400), Item("drill", 123450, 2)]
if price_list(items) != ["bolt: $0.25", "drill: $1,234.50"]:
    wrong.append("price_list changed")
if stock_value(items) != "stock value: $2,569.00":
    wrong.append("stock_value changed")
report = Path("inventory/report.py").read_text()
if report.count("format_price(") < 2 or "divmod" in report:
    wrong.append("report.py still formats prices itself")
if not Path("tests/test_money.py").is_file():
    wrong.append("tests/test_money.py is missing")
if wrong:
    sys.exit(f"not done: {wrong}")
args = [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-q"]
tests = subprocess.run(args, capture_output=True, timeout=60)
sys.exit(0 if tests.returncode == 0 else "the tests fail")

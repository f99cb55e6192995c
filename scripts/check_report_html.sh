#!/usr/bin/env bash
# Render an sre-latency HTML report in real headless chromium and save a screenshot.
#
#   scripts/check_report_html.sh REPORT.html [OUT.png]
#
# Exits non-zero when chromium is missing (install: apt-get install -y chromium), when it fails,
# or when the screenshot is empty. Look at OUT.png to see what a reader sees.
set -euo pipefail
report="${1:?usage: $0 REPORT.html [OUT.png]}"
out="${2:-${report%.html}.png}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
  echo "chromium not found; install it with: apt-get install -y chromium" >&2
  exit 3
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
  --screenshot="$out" --window-size=1280,2000 "file://$(realpath "$report")" >/dev/null 2>&1
if [[ ! -s "$out" ]]; then
  echo "chromium produced no screenshot for $report" >&2
  exit 1
fi
echo "$out"

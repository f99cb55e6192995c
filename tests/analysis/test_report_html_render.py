"""The HTML report renders in a real headless browser (Debian's chromium), plots included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from calls import report
from recorded import recorded_run

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_report_html.sh"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_the_html_report_renders_in_headless_chromium(tmp_path, tmp_path_factory):
    html = tmp_path / "report.html"
    report(recorded_run("faulty", tmp_path_factory), format="html", output=html)
    png = tmp_path / "report.png"
    done = subprocess.run(
        [str(SCRIPT), str(html), str(png)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[:2] == (2000, 1280)
    rgb = pixels[..., :3]
    dark = (rgb.mean(axis=2) < 0.5).mean()
    coloured = (np.ptp(rgb, axis=2) > 0.3).mean()  # plot lines and bars, not just black text
    assert dark > 0.005 and coloured > 0.002

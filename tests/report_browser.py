"""Open a report in the Debian headless Chromium (never a downloaded browser) and watch it.

Selenium drives /usr/bin/chromium through /usr/bin/chromedriver (Debian packages chromium
and chromium-driver; `make browser-deps` installs them). The performance log gives every
request the page made, the browser log every console message.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("CSENET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CSENET_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1280,1600")


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return "%s not found: apt-get install -y chromium chromium-driver (make browser-deps)" % path
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e '.[test]')"
    return None


@dataclass
class PageVisit:
    requests: list[str] = field(default_factory=list)
    console: list[dict] = field(default_factory=list)
    sections: dict[str, dict] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)
    text: str = ""
    title: str = ""


def visit(html_file: Path, shots: Path, section_ids: list[str]) -> PageVisit:
    """Load the file, record requests and console messages, measure each section, screenshot it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="csenet-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + ("--user-data-dir=%s" % profile,):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    out = PageVisit()
    try:
        driver.get_log("performance")  # drain what the browser's own start page fetched
        uri = Path(html_file).resolve().as_uri()
        driver.get(uri)
        out.title = driver.title
        out.text = driver.execute_script("return document.body.innerText")
        for sid in section_ids:
            out.sections[sid] = driver.execute_script(
                "const s = document.getElementById(arguments[0]); if (!s) return null;"
                "const r = s.getBoundingClientRect();"
                "return {height: r.height, width: r.width, svgs: s.querySelectorAll('svg').length,"
                " rows: s.querySelectorAll('tbody tr').length, text: s.innerText.length};", sid)
            driver.execute_script("document.getElementById(arguments[0])?.scrollIntoView()", sid)
            shot = shots / ("%s.png" % sid)
            driver.save_screenshot(str(shot))
            out.screenshots.append(shot)
        out.console = driver.get_log("browser")
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params") or {}
            if message.get("method") == "Network.requestWillBeSent" and params.get("documentURL") == uri:
                out.requests.append(params["request"]["url"])
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return out

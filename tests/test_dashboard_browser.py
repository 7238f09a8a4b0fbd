"""The dashboard in a real browser: `pricewar viz` in a subprocess, driven by playwright + chromium.

Uses Debian's chromium (/usr/bin/chromium; `.ci/run` installs it), never a downloaded browser.
Skipped, with the reason, only when that chromium or the playwright package is missing. The
screenshot is written to the test's output folder (pytest's tmp_path, printed) and, when the
environment variable PRICEWAR_TEST_OUTPUT names a folder, copied there for CI to keep.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
pytest.importorskip("solara", reason="the dashboard needs the 'viz' extra")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

from dashboards.cli import free_port  # noqa: E402

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 180
UI_TIMEOUT_MS = 60_000
DATE = ".pricewar-date"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`pricewar viz` on a free port; yields the page address; the server is always stopped."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("viz") / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "market.cli", "viz", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"pricewar viz exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"pricewar viz did not answer within {START_TIMEOUT_S} s:\n{log_path.read_text()}")
            time.sleep(0.5)
        assert f"serving the dashboard at {url}" in log_path.read_text()
        yield url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (pricewar viz and its solara child), then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
    try:  # the solara child too, should it have outlived its parent
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """Requests that left the dashboard's server, and failed ones: both must stay empty offline."""

    def __init__(self, page, url: str) -> None:
        self.outside: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else self.outside.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(UI_TIMEOUT_MS)
    watch = Watch(page, url)
    page.goto(url, timeout=UI_TIMEOUT_MS)
    expect(page.locator(DATE)).to_contain_text("Not started", timeout=UI_TIMEOUT_MS)
    return page, watch


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def step(page, times: int) -> None:
    for _ in range(times):
        expect(button(page, "Step")).to_be_enabled()
        before = page.locator(DATE).inner_text()
        button(page, "Step").click()
        expect(page.locator(DATE)).not_to_have_text(before)


def points_in_first_chart(page) -> int:
    return page.evaluate("""() => {
        const plot = document.querySelector('.pricewar-chart .js-plotly-plot');
        if (!plot || !plot.data) return 0;
        return Math.max(0, ...plot.data.map(t => (t.y || []).length));
    }""")


def chart_heights(page) -> list[int]:
    return page.evaluate("() => Array.from(document.querySelectorAll('.pricewar-chart')).map(e => e.offsetHeight)")


def wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path))
    keep = os.environ.get("PRICEWAR_TEST_OUTPUT")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"screenshot: {path}")
    return path


def test_reset_step_charts_and_a_lever(server, browser, tmp_path):
    page, watch = open_page(browser, server)
    button(page, "Reset").click()
    expect(page.locator(DATE)).to_contain_text("Not started")
    step(page, 5)
    expect(page.locator(DATE)).to_have_text("2024-01-05 (day 5 of 731)")
    assert wait_for(lambda: points_in_first_chart(page) >= 5), "the DAU chart did not get the 5 days"
    assert wait_for(lambda: len(chart_heights(page)) == 4 and min(chart_heights(page)) > 100), chart_heights(page)
    save_screenshot(page, tmp_path, "dashboard.png")

    # a lever: open ByteDance's weights (the firm shown first), which waits for Reset
    page.get_by_text("open weights", exact=True).click()
    expect(page.locator(".pricewar-overrides")).to_contain_text("firms.bytedance.open_weights=true")
    expect(page.get_by_text("Changed since the last Reset")).to_be_visible()
    button(page, "Reset").click()
    expect(page.locator(DATE)).to_contain_text("Not started")
    expect(page.get_by_text("Changed since the last Reset")).to_have_count(0)
    expect(page.locator(".pricewar-levers-count")).to_have_text("1 lever override")
    step(page, 1)
    page.get_by_role("tab", name="Firms").click()
    bytedance = page.locator('tr[data-firm="bytedance"] td').nth(9)
    expect(bytedance).to_have_text("yes")

    # refused input: a seed that is not a number gets a message and changes nothing
    seed = page.get_by_label("seed (0 to 4294967295)")
    seed.fill("abc")
    seed.press("Enter")
    expect(page.get_by_text(re.compile("must be a whole number"))).to_be_visible()
    assert not watch.outside, f"the page reached outside its server: {watch.outside}"
    assert not watch.failed, f"failed requests: {watch.failed}"
    page.close()


def test_a_firm_that_exits_reset_during_play_and_two_tabs(server, browser, tmp_path):
    page, watch = open_page(browser, server)
    extra = page.get_by_label(re.compile("extra --set"))
    extra.fill("firms.stepfun.cash=0")
    page.locator(DATE).click()  # leave the box: the lines are checked and committed
    expect(page.locator(".pricewar-overrides")).to_contain_text("firms.stepfun.cash=0")
    button(page, "Reset").click()
    step(page, 2)
    expect(page.locator(".pricewar-exit")).to_contain_text("left the market on 2024-01-01")

    # Play, then Reset while it plays
    before = page.locator(DATE).inner_text()
    button(page, "▶").click()
    expect(page.locator(DATE)).not_to_have_text(before)  # it plays
    button(page, "Reset").click()
    # Mesa 3.3's play loop may still make one step on the new model if Reset lands while it
    # sleeps between steps (it then takes the manual-step branch): day 1 at most, then it stops.
    fresh = re.compile(r"Not started|\(day 1 of 731\)")
    expect(page.locator(DATE)).to_have_text(fresh)
    expect(button(page, "▶")).to_be_enabled()
    settled = page.locator(DATE).inner_text()
    time.sleep(1.5)
    expect(page.locator(DATE)).to_have_text(settled)  # nothing kept playing
    expect(page.locator(".pricewar-exit")).to_have_count(0 if "Not started" in settled else 1)
    button(page, "Reset").click()
    expect(page.locator(DATE)).to_contain_text("Not started")
    step(page, 3)

    # a second tab has its own model
    other, other_watch = open_page(browser, server)
    expect(other.locator(DATE)).to_contain_text("Not started")
    step(other, 1)
    expect(other.locator(DATE)).to_have_text("2024-01-01 (day 1 of 731)")
    expect(page.locator(DATE)).to_have_text("2024-01-03 (day 3 of 731)")
    save_screenshot(other, tmp_path, "second-tab.png")
    for w in (watch, other_watch):
        assert not w.outside and not w.failed, (w.outside, w.failed)
    other.close()
    page.close()

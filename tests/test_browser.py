"""The course in a real browser: JupyterLab in headless Chromium, run as a learner runs it.

A module fixture starts JupyterLab on a free loopback port (token auth, its own runtime, config,
data and settings folders, ``--no-browser``) whose root is a temporary copy of ``notebooks/``
and ``diagrams/`` — the committed notebooks are never touched — and drives Debian's Chromium
through Playwright (no browser is downloaded). Each test opens one notebook, clears its outputs,
runs every cell from the Run menu, and checks what a person sees: no traceback, the diagram
drawn, the widgets answering. Screenshots go to ``test-artifacts/browser/``.

Without Chromium or Playwright the tests are skipped with how to enable them; under CI (``CI``
set) they fail instead, since ``.ci/run`` installs Chromium. Everything stays on 127.0.0.1, and
JupyterLab, its kernels and Chromium are stopped even when a test fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-proxy-server"]
ENABLE = ("To run it: `apt-get install chromium` (Debian; elsewhere set CHROMIUM to a Chromium or "
          "Chrome binary) and `pip install playwright` (no `playwright install` needed).")
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
SETTINGS = {
    # Every cell stays in the page, so what is checked is what was rendered.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # No news or update checks: nothing leaves the machine.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Straight to 127.0.0.1, whatever proxy the environment names."""
pytestmark = pytest.mark.timeout(300)


def _chromium() -> str | None:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if Path(found).is_file() else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test. {ENABLE}")
    pytest.skip(f"browser test skipped: {reason}. {ENABLE}")


@dataclass
class Lab:
    """A running JupyterLab: where it is, its token and its process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and theirs (Linux ``/proc``; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(lab: Lab) -> None:
    """Shut JupyterLab down with its kernels; kill what is left of what it started."""
    started = _descendants(lab.process.pid)
    try:
        request = urllib.request.Request(f"{lab.url}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {lab.token}"})
        LOOPBACK.open(request, timeout=5).close()
        lab.process.wait(20)
    except (OSError, subprocess.TimeoutExpired):
        lab.process.send_signal(signal.SIGTERM)
        try:
            lab.process.wait(10)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait(10)
    for pid in started:  # kernels JupyterLab could not stop
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary, once Chromium, Playwright and JupyterLab are known to be there."""
    found = _chromium()
    if found is None:
        _unavailable("Chromium was not found (looked for CHROMIUM, `chromium` on PATH and "
                     "/usr/bin/chromium)")
    for module, package in (("playwright", "playwright"), ("jupyterlab", "jupyterlab")):
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"the Python package {package} is not installed")
    return found


@pytest.fixture(scope="module")
def lab(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on loopback over a copy of the course; stopped however the tests end."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "course"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "diagrams", root / "diagrams")
    for name, values in SETTINGS.items():
        target = base / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "IPYTHONDIR": str(base / "ipython"), "PYTHONUNBUFFERED": "1"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser",
             "--ServerApp.open_browser=False", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with LOOPBACK.open(f"{server.url}/api/status?token={token}",
                                   timeout=2) as answer:
                    json.load(answer)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; its log:\n"
                                       f"{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium with a new, empty profile; closed however the tests end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=chromium,
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def notebook(lab: Lab, browser) -> Iterator[Callable[[str], Notebook]]:
    """A function that opens a notebook in its own workspace and tab (``-last.png`` at the end,
    whether the test passed or failed)."""
    pages = []

    def open_notebook(name: str) -> Notebook:
        page = browser.new_page()
        pages.append((page, name))
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        workspace = f"{name}-{uuid.uuid4().hex[:8]}"
        page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/notebooks/{name}.ipynb"
                  f"?reset&token={lab.token}")
        opened = Notebook(page, name, problems)
        opened.wait_until_ready()
        return opened

    yield open_notebook
    for page, name in pages:
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"))
        finally:
            page.close()


class Notebook:
    """One open notebook page, with what a person would do and see in it."""

    PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

    def __init__(self, page, name: str, problems: list[str]) -> None:
        self.page, self.name, self.problems = page, name, problems

    def wait_until_ready(self) -> None:
        """The notebook is shown and its kernel is idle."""
        self.page.wait_for_selector(f"{self.PANEL} .jp-Cell", timeout=60_000)
        self.page.wait_for_selector(
            f'{self.PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)

    def menu(self, top: str, item: str) -> None:
        """Click a menu in the menu bar, then one of its items, by the words a person reads."""
        self.page.locator(".lm-MenuBar-item", has_text=top).first.click()
        label = self.page.locator(".lm-Menu-content .lm-Menu-itemLabel",
                                  has_text=re.compile(f"^{re.escape(item)}$"))
        label.first.click()

    def run_all(self, timeout: float = 150) -> None:
        """Clear every output, then Run → Run All Cells and wait until every cell has run."""
        self.menu("Edit", "Clear Outputs of All Cells")
        self.page.wait_for_function(_NO_COUNTS, arg=self.PANEL, timeout=10_000)
        self.menu("Run", "Run All Cells")
        self.page.wait_for_function(_ALL_RAN, arg=self.PANEL, timeout=timeout * 1000,
                                    polling=250)

    def tracebacks(self) -> list[str]:
        """The text of every error output that shows a traceback."""
        texts = self.page.locator(f"{self.PANEL} {STDERR}").all_inner_texts()
        return [text for text in texts if "Traceback" in text or "Error" in text.split("\n")[0]]

    def image(self, name_part: str) -> dict:
        """Scroll to the image whose source contains ``name_part``; its load state and size."""
        image = self.page.locator(f'{self.PANEL} img[src*="{name_part}"]').first
        image.scroll_into_view_if_needed(timeout=10_000)
        self.page.wait_for_function("img => img.complete", arg=image.element_handle(),
                                    timeout=10_000)
        return image.evaluate("img => ({src: img.getAttribute('src'), complete: img.complete, "
                              "width: img.naturalWidth, height: img.naturalHeight})")

    def scroll_to(self, text: str, block: str = "center") -> None:
        """Scroll the notebook until the element showing ``text`` is in view."""
        found = self.page.locator(f"{self.PANEL} .jp-Cell", has_text=text).last
        found.evaluate(f"el => el.scrollIntoView({{block: '{block}'}})")

    def screenshot(self, label: str) -> Path:
        """Save what the browser shows now as ``test-artifacts/browser/<notebook>-<label>.png``."""
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path))
        return path


_NO_COUNTS = """panel => {
  const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => !/\\d/.test(p.textContent));
}"""
_ALL_RAN = """panel => {
  const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputPrompt')];
  const idle = document.querySelector(
      panel + ' .jp-Notebook-ExecutionIndicator[data-status="idle"]');
  return idle && prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


def _assert_clean(opened: Notebook) -> None:
    errors = opened.tracebacks()
    assert not errors, f"{opened.name} shows {len(errors)} traceback(s); the first:\n{errors[0]}"
    assert not opened.problems, f"{opened.name}: the page raised: {opened.problems}"


def test_start_here_runs_and_draws_its_diagram(notebook):
    opened = notebook("00_start_here")
    opened.run_all()
    _assert_clean(opened)
    diagram = opened.image("00-end-to-end.svg")
    opened.screenshot("diagram")
    assert diagram["complete"] and diagram["width"] > 0, f"the diagram did not load: {diagram}"
    opened.scroll_to("tokens in,")
    opened.screenshot("first-call")


def test_retry_explorer_answers_a_change_of_failure(notebook):
    opened = notebook("03_retry_decision_tree")
    opened.run_all()
    _assert_clean(opened)
    tree = opened.image("03-retry-decision-tree.svg")
    assert tree["width"] > 0, f"the retry tree did not load: {tree}"
    explorer = opened.page.locator(f"{opened.PANEL} .widget-vbox",
                                   has=opened.page.locator(".widget-dropdown")).first
    failure = explorer.locator(".widget-dropdown", has_text="failure").locator("select")
    verdict = explorer.locator(".widget-html-content").first
    opened.scroll_to("Explore: every failure", "start")
    before = verdict.inner_text()
    opened.screenshot("explorer-429")
    assert before.startswith("RETRY") and "429" in before, before
    failure.select_option(label="400")
    opened.page.wait_for_function("([el, old]) => el.innerText !== old",
                                  arg=[verdict.element_handle(), before], timeout=15_000)
    after = verdict.inner_text()
    opened.screenshot("explorer-400")
    assert after.startswith("DON'T RETRY") and "400" in after, after
    _assert_clean(opened)


def test_streaming_chat_box_shows_text_as_it_streams(notebook):
    opened = notebook("05_streaming")
    opened.run_all()
    _assert_clean(opened)
    scenarios = opened.image("06-scenarios.svg")
    assert scenarios["width"] > 0, f"the scenarios diagram did not load: {scenarios}"
    chat = opened.page.locator(f"{opened.PANEL} .widget-vbox",
                               has=opened.page.locator(".widget-button", has_text="Send")).first
    transcript = chat.locator(".widget-html-content").first
    chat.scroll_into_view_if_needed()
    shown = transcript.inner_text()
    assert "qwen:" in shown and "you: 你是谁？" in shown, shown
    # Now as a person: type, press Send, and watch the reply grow piece by piece.
    transcript.evaluate("""el => {
        window.__lengths = [];
        new MutationObserver(() => window.__lengths.push(el.innerText.length))
            .observe(el, {childList: true, subtree: true, characterData: true});
    }""")
    chat.locator("input[type=text]").fill("Hello from a real browser")
    chat.locator("button", has_text="Send").click()
    opened.page.wait_for_function(
        "el => /you: Hello from a real browser[\\s\\S]*qwen: \\S+/.test(el.innerText)",
        arg=transcript.element_handle(), timeout=30_000)
    opened.page.wait_for_function(
        "el => !el.closest('.widget-vbox').querySelector('button').disabled",
        arg=transcript.element_handle(), timeout=30_000)
    lengths = opened.page.evaluate("window.__lengths")
    (ARTIFACTS / "05_streaming-chat-steps.json").write_text(json.dumps(lengths))
    opened.scroll_to("Hello from a real browser")
    opened.screenshot("chat")
    reply = transcript.inner_text().split("you: Hello from a real browser", 1)[1]
    assert "qwen:" in reply and "mock answer" in reply, reply
    assert len(set(lengths)) >= 5, f"the reply appeared in {len(set(lengths))} steps: {lengths}"
    _assert_clean(opened)


@pytest.mark.parametrize("name", ["01_authentication", "02_request_lifecycle",
                                  "04_sdk_comparison", "06_scenarios", "07_production"])
def test_every_other_notebook_runs_clean_in_the_browser(notebook, name):
    """The notebooks the tests above do not open: Run All Cells shows no traceback."""
    opened = notebook(name)
    opened.run_all()
    _assert_clean(opened)
    opened.screenshot("ran")

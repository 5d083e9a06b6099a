"""The course in a real browser: JupyterLab in headless Chromium, started the way a learner does.

A module fixture runs ``make lab`` — the same command, root and landing page a learner gets —
adding only a free loopback port, a token and ``--no-browser`` through ``LAB_OPTIONS`` (and its
own runtime, config, data and settings folders, with autosave off: the committed notebooks are
checked to be untouched at the end). It drives Debian's Chromium through Playwright (no browser
is downloaded). For every notebook a person's view is checked twice: opened fresh, as a clone
shows it before "Run All" (every image loaded, every link pointing at a file that exists, no
Python repr where a widget or a diagram should be), then after Run All Cells (no traceback,
images and widgets drawn). Screenshots go to ``test-artifacts/browser/``.

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
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qwen_helpers.messages import say

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
    # Running cells in the browser must never rewrite the committed notebooks.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for lang in ("en", "zh")
                   for p in (ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb"))
"""Both editions: each is opened fresh."""
RUN_ALL = [p for p in NOTEBOOKS if p.startswith("notebooks/en/")] + [
    "notebooks/zh/00_start_here.ipynb", "notebooks/zh/05_streaming.ipynb"]
"""Run All in a browser: every English notebook, and the Chinese ones with their own widgets
(the two editions run the same code, which nbval executes for both)."""
REPR = re.compile(r"^(?:[A-Z]\w*\((?:children|value|layout)=|Diagram\(|<\w+(?:\.\w+)+ object at )")
"""Text that is a Python repr, where a reader should see a picture or a sentence."""
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
    """Shut JupyterLab down with its kernels; kill what is left of what ``make`` started."""
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
    """JupyterLab started by ``make lab`` itself — its command, its root, its landing page —
    with a free port, a token and no browser added through ``LAB_OPTIONS``; stopped however
    the tests end. Autosave is off and every test checks the committed notebooks are untouched."""
    base = tmp_path_factory.mktemp("lab")
    for name, values in SETTINGS.items():
        target = base / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_DATA_DIR": str(base / "data"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "IPYTHONDIR": str(base / "ipython"), "PYTHONUNBUFFERED": "1",
           "VENV": str(Path(sys.executable).parent.parent)}
    options = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
               f"--ServerApp.port_retries=0 --IdentityProvider.token={token} "
               "--LabApp.news_url=None --LabApp.extension_manager=readonly")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    before = _committed_state()
    with log.open("w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "lab",
                                    f"LAB_OPTIONS={options}"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, ROOT, process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with LOOPBACK.open(f"{server.url}/api/status?token={token}",
                                   timeout=2) as answer:
                    json.load(answer)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"make lab did not start JupyterLab; its log:\n"
                                       f"{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        _stop(server)
        assert _committed_state() == before, "the browser test changed files of the course"


def _committed_state() -> str:
    """``git status`` of the course's own files: a browser session must leave them as it found
    them (no autosave, no checkpoint folders)."""
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--",
                           "notebooks", "diagrams", "docs", "examples"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return done.stdout


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
    """A function that opens a notebook (``notebooks/…``) in its own workspace and tab
    (``-last.png`` at the end, whether the test passed or failed)."""
    pages = []

    def open_notebook(path: str) -> Notebook:
        page = browser.new_page()
        name = _label(path)
        pages.append((page, name))
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        workspace = f"{name}-{uuid.uuid4().hex[:8]}"
        page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab.token}")
        opened = Notebook(page, path, problems, lab)
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

    def __init__(self, page, path: str, problems: list[str], lab: Lab) -> None:
        self.page, self.path, self.problems, self.lab = page, path, problems, lab
        self.name = _label(path)

    def wait_until_ready(self) -> None:
        """The notebook is shown — its cells, not the one empty cell of a model still loading
        (JupyterLab may attach the rest as they come into view) — and its kernel is idle."""
        cells = len(json.loads((ROOT / self.path).read_text(encoding="utf-8"))["cells"])
        self.page.wait_for_function(
            "([panel, n]) => document.querySelectorAll(panel + ' .jp-Cell').length >= n",
            arg=[self.PANEL, min(cells, 2)], timeout=60_000)
        self.page.wait_for_selector(
            f'{self.PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)

    def menu(self, top: str, item: str) -> None:
        """Click a menu in the menu bar, then one of its items, by the words a person reads."""
        self.page.locator(".lm-MenuBar-item", has_text=top).first.click()
        label = self.page.locator(".lm-Menu-content .lm-Menu-itemLabel",
                                  has_text=re.compile(f"^{re.escape(item)}$"))
        label.first.click()

    def run_all(self, timeout: float = 150) -> None:
        """Run → Run All Cells and wait until every cell has run (a learner does not clear
        outputs first: the committed ones are replaced as each cell runs)."""
        self.menu("Run", "Run All Cells")
        self.page.wait_for_function(_ALL_RAN, arg=self.PANEL, timeout=timeout * 1000,
                                    polling=250)

    def tracebacks(self) -> list[str]:
        """The text of every error output: a traceback, or an error printed to stderr."""
        texts = self.page.locator(f"{self.PANEL} {STDERR}, {self.PANEL} {ERROR}").all_inner_texts()
        return [text for text in texts if "Traceback" in text or "Error" in text.split("\n")[0]]

    def images(self) -> list[dict]:
        """Every image in the notebook — markdown figures and outputs — once each has loaded.

        JupyterLab renders a Markdown cell when it first comes into view, so the notebook is
        scrolled through first, as a reader does."""
        self.page.evaluate(_SCROLL_THROUGH, self.PANEL)
        self.page.wait_for_function(_IMAGES_SETTLED, arg=self.PANEL, timeout=20_000)
        return self.page.evaluate(_IMAGES, self.PANEL)

    def reprs(self) -> list[str]:
        """Plain-text outputs that are Python reprs (a widget or diagram shown as code)."""
        texts = self.page.locator(f"{self.PANEL} {PLAIN}").all_inner_texts()
        return [text[:80] for text in texts if REPR.match(text.strip())]

    def broken_links(self) -> list[str]:
        """Relative links in the notebook's text whose target is not served by this lab."""
        hrefs = self.page.evaluate(_LINKS, self.PANEL)
        folder = self.path.rsplit("/", 1)[0]
        broken = []
        for href in hrefs:
            path = urllib.parse.unquote(href.split("#")[0].split("?")[0])
            target = (path.split("/files/", 1)[1] if "/files/" in path
                      else os.path.normpath(f"{folder}/{path}"))
            url = f"{self.lab.url}/api/contents/{target}?content=0&token={self.lab.token}"
            try:
                LOOPBACK.open(url, timeout=10).close()
            except OSError:
                broken.append(f"{href} → {target}")
        return broken

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


ERROR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
PLAIN = '.jp-OutputArea-output[data-mime-type="text/plain"]'
_SCROLL_THROUGH = """async panel => {
  for (const cell of document.querySelectorAll(panel + ' .jp-Cell')) {
    cell.scrollIntoView({block: 'center'});
    await new Promise(done => requestAnimationFrame(() => setTimeout(done, 20)));
  }
  document.querySelector(panel + ' .jp-Cell')?.scrollIntoView({block: 'start'});
}"""
_IMAGES_SETTLED = """panel => [...document.querySelectorAll(panel + ' img')]
  .every(img => img.complete)"""
_IMAGES = """panel => [...document.querySelectorAll(panel + ' img')].map(img => ({
  src: (img.getAttribute('src') || '').slice(0, 80), width: img.naturalWidth,
  height: img.naturalHeight}))"""
_LINKS = """panel => [...document.querySelectorAll(panel + ' .jp-RenderedMarkdown a[href]')]
  .map(a => a.getAttribute('href'))
  .filter(h => h && !/^(https?:|mailto:|#|data:)/.test(h))"""
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


def _assert_images_loaded(opened: Notebook) -> list[dict]:
    images = opened.images()
    broken = [image for image in images if not image["width"]]
    assert not broken, f"{opened.name}: {len(broken)} of {len(images)} images failed: {broken}"
    return images


def _rendered_links(browser, lab, path: str, shot: str) -> list[str]:
    """The link texts of a Markdown file as JupyterLab shows it, after a screenshot."""
    page = browser.new_page()
    try:
        page.goto(f"{lab.url}/lab/tree/{path}?token={lab.token}")
        contents = page.locator(".jp-MarkdownViewer .jp-RenderedMarkdown").first
        contents.wait_for(timeout=60_000)
        # rendered, its links to notebooks ("00 · …") included
        contents.get_by_role("link").filter(has_text="·").first.wait_for(timeout=30_000)
        links = contents.locator("a").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / shot))
        return links
    finally:
        page.close()


def test_make_lab_opens_the_choice_of_edition_then_the_contents_rendered(lab, browser):
    """What `make lab` shows first: one click to either edition, then its contents, as pages
    with links, not Markdown source.

    `make lab` names notebooks/README.md, so the browser it opens goes to that file's URL
    (jupyter_server's ``file_url_prefix``, ``/lab/tree`` for JupyterLab): the test opens it.
    """
    landing = _rendered_links(browser, lab, "notebooks/README.md", "landing.png")
    assert any("中文版" in text for text in landing) and any("English" in t for t in landing)
    for lang in ("en", "zh"):
        links = _rendered_links(browser, lab, f"notebooks/{lang}/README.md", f"contents-{lang}.png")
        assert any(text.startswith("00 ·") for text in links), links
        assert len([t for t in links if re.match(r"\d\d ·", t)]) >= 11, links


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_each_notebook_opened_fresh_shows_pictures_and_sentences(notebook, path):
    """Before "Run All": the committed outputs as a clone shows them (an untrusted notebook)."""
    opened = notebook(path)
    images = _assert_images_loaded(opened)
    reprs = opened.reprs()
    assert not reprs, f"{opened.name} shows Python reprs where a reader needs a picture: {reprs}"
    broken = opened.broken_links()
    assert not broken, f"{opened.name} links to files the lab does not serve: {broken}"
    opened.screenshot("fresh")
    figures = [i for i in images if "diagrams/render" in i["src"] or i["src"].startswith("data:")]
    referenced = json.loads((ROOT / path).read_text(encoding="utf-8"))
    expected = sum("".join(c["source"]).count("diagrams/render/") for c in referenced["cells"]
                   if c["cell_type"] == "markdown")
    assert len(figures) >= expected, f"{opened.name}: {figures} (expected {expected} diagrams)"


@pytest.mark.parametrize("path", RUN_ALL)
def test_each_notebook_runs_clean_with_images_and_widgets_drawn(notebook, path):
    opened = notebook(path)
    opened.run_all()
    _assert_clean(opened)
    _assert_images_loaded(opened)
    committed = (ROOT / path).read_text(encoding="utf-8")
    if "application/vnd.jupyter.widget-view+json" in committed:
        drawn = opened.page.locator(f"{opened.PANEL} .jupyter-widgets.widget-container").count()
        assert drawn > 0, f"{opened.name}: its widgets were not drawn"
    opened.screenshot("ran")


def _explorer(opened: Notebook):
    return opened.page.locator(f"{opened.PANEL} .widget-hbox",
                               has=opened.page.locator(".widget-dropdown")).first


def test_retry_explorer_answers_and_never_contradicts_itself(notebook):
    opened = notebook(_path("retry"))
    opened.run_all()
    _assert_clean(opened)
    explorer = _explorer(opened)
    failure = explorer.locator(".widget-dropdown", has_text="failure").locator("select")
    attempt = explorer.locator(".noUi-handle").last  # the slider's handle: arrows move it
    verdict = explorer.locator(".widget-html-content").first
    picture = explorer.locator(".widget-html-content").nth(1)
    explorer.scroll_into_view_if_needed()
    before = verdict.inner_text()
    opened.screenshot("explorer-429")
    assert before.startswith("RETRY") and "429" in picture.inner_text() + before, before
    failure.select_option(label="503")
    opened.page.wait_for_function("([el, old]) => el.innerText !== old",
                                  arg=[verdict.element_handle(), before], timeout=15_000)
    # The last attempt: the rule says retry, the budget says stop — and both texts say so.
    opened.page.evaluate("""el => { el.focus(); }""", attempt.element_handle())
    for _ in range(5):
        opened.page.keyboard.press("ArrowRight")
    opened.page.wait_for_function("el => /give up/.test(el.innerText)",
                                  arg=verdict.element_handle(), timeout=15_000)
    caption = picture.inner_text()
    opened.screenshot("explorer-503-last")
    assert "says retry" in verdict.inner_text() and "STOP" in caption, (verdict.inner_text(),
                                                                         caption)
    # The lit branch sits beside the controls, in view with them.
    box, image = verdict.bounding_box(), picture.locator("img").bounding_box()
    assert image["x"] > box["x"] and image["y"] < box["y"] + box["height"], (box, image)
    assert image["height"] < 700, image
    failure.select_option(label="400")
    opened.page.wait_for_function("el => el.innerText.startsWith(\"DON'T RETRY\")",
                                  arg=verdict.element_handle(), timeout=15_000)
    opened.screenshot("explorer-400")
    _assert_clean(opened)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_streaming_chat_box_types_and_enter_sends(notebook, edition):
    send, you, qwen = (say(key, lang=edition) for key in ("chat.send", "chat.you", "chat.qwen"))
    opened = notebook(_path("streaming", edition))
    opened.run_all()
    _assert_clean(opened)
    chat = opened.page.locator(f"{opened.PANEL} .widget-vbox",
                               has=opened.page.locator(".widget-button", has_text=send)).first
    transcript = chat.locator(".widget-html-content").first
    chat.scroll_into_view_if_needed()
    transcript.evaluate("""el => {
        window.__lengths = [];
        new MutationObserver(() => window.__lengths.push(el.innerText.length))
            .observe(el, {childList: true, subtree: true, characterData: true});
    }""")
    box = chat.locator("input[type=text]")
    box.fill("Hello from a real browser")
    box.press("Enter")  # as a person sends: Enter, not only the button
    opened.page.wait_for_function(
        "([el, you, qwen]) => el.innerText.includes(you + ' Hello from a real browser')"
        " && el.innerText.split(you + ' Hello from a real browser')[1].includes(qwen)",
        arg=[transcript.element_handle(), you, qwen], timeout=30_000)
    opened.page.wait_for_function(
        "el => !el.closest('.widget-vbox').querySelector('button').disabled",
        arg=transcript.element_handle(), timeout=30_000)
    lengths = opened.page.evaluate("window.__lengths")
    (ARTIFACTS / f"{edition}-05_streaming-chat-steps.json").write_text(json.dumps(lengths))
    opened.scroll_to("Hello from a real browser")
    opened.screenshot("chat")
    reply = transcript.inner_text().split(f"{you} Hello from a real browser", 1)[1]
    assert qwen in reply and "mock answer" in reply, reply  # an English question: English
    assert len(set(lengths)) >= 10, f"the reply appeared in {len(set(lengths))} steps: {lengths}"
    chat.locator("input[type=text]").fill("你好，请介绍一下杭州")
    chat.locator("button", has_text=send).click()
    opened.page.wait_for_function("el => /模拟服务/.test(el.innerText)",
                                  arg=transcript.element_handle(), timeout=30_000)
    _assert_clean(opened)


def _label(path: str) -> str:
    """``en-03_retry_decision_tree`` for ``notebooks/en/03_retry_decision_tree.ipynb``."""
    return f"{Path(path).parent.name}-{Path(path).stem}"


def _path(topic: str, edition: str = "en") -> str:
    """The notebook of ``edition`` whose file name carries ``topic``."""
    return next(p for p in NOTEBOOKS if p.startswith(f"notebooks/{edition}/") and topic in p)

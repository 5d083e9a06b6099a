"""The static site (``make site``), built as ``make site`` builds it and read in headless Chromium.

The site is built once into a temporary folder by ``site/build.py`` (the command ``make site``
runs) and served over loopback HTTP from a sub-path (``/some/sub/path/``), so relative links are
what is tested. Every page is opened: it must load with no console error, every local link and
image must point at a file of the site, every image must be drawn, and each notebook page must
show the diagrams its notebook shows. The same page is then opened from disk (``file://``).
Screenshots of one page of each edition, and of a Chinese page at a phone's width (which must not
scroll sideways), go to ``test-artifacts/site/``.

Without Chromium or Playwright the browser tests are skipped with how to enable them; under CI
(``CI`` set) they fail instead.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "site"
SUB_PATH = "/some/sub/path/"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-proxy-server"]
NOTEBOOKS = sorted(p.relative_to(ROOT) for lang in ("en", "zh")
                   for p in (ROOT / "notebooks" / lang).glob("[0-9][0-9]_*.ipynb"))
DIAGRAM = re.compile(r"!\[[^\]]*\]\([./]*diagrams/render/([\w.-]+\.svg)\)")
"""A diagram a notebook's markdown shows: ``![…](../../diagrams/render/NAME.svg)``."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built by ``site/build.py`` into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run([sys.executable, str(ROOT / "site" / "build.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr  # a broken reference is a warning first
    return out


def test_the_site_has_a_page_for_every_notebook_of_both_editions(site: Path):
    assert (site / "index.html").is_file()
    for notebook in NOTEBOOKS:
        assert (site / notebook.with_suffix(".html")).is_file(), notebook
    for guide in ("README", "README.zh-CN", "docs/workshop", "docs/workshop.zh-CN",
                  "notebooks/en/README", "notebooks/zh/README"):
        assert (site / f"{guide}.html").is_file(), guide


def test_every_page_offers_the_other_edition_and_notebooks_offer_a_launch(site: Path):
    for notebook in NOTEBOOKS:
        page = (site / notebook.with_suffix(".html")).read_text(encoding="utf-8")
        other = "zh" if notebook.parts[1] == "en" else "en"
        twin = re.search(r'class="course-twin" hreflang="(\w+)" href="([^"]+)"', page)
        assert twin and twin.group(1) == other, notebook
        assert twin.group(2) == f"../{other}/{notebook.stem}.html", notebook
        for host in ("mybinder.org/v2/gh/", "colab.research.google.com/github/",
                     "modelscope.cn"):
            assert host in page, (notebook, host)
        assert f"lab/tree/{notebook.as_posix()}" in page


def test_the_bootstrap_cell_installs_from_the_sites_repository():
    """The notebooks' first cell and the site's launch links name the same repository."""
    sys.path.insert(0, str(ROOT / "site"))
    from course_links import REPOSITORY as repository
    for notebook in NOTEBOOKS:
        cells = [c for c in nbformat.read(ROOT / notebook, as_version=4).cells
                 if c.cell_type == "code"]
        assert "QWEN_HELPERS_SOURCE" in cells[0].source, f"{notebook}: the first code cell"
        assert f"git+https://github.com/{repository}" in cells[0].source, notebook


# -- in a browser --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    missing = None if Path(found).is_file() else "Chromium was not found"
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = "the Python package playwright is not installed"
    if missing:
        enable = "apt-get install chromium; pip install playwright"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must run the site test ({enable})")
        pytest.skip(f"site browser test skipped: {missing} ({enable})")
    return found


@pytest.fixture(scope="module")
def served(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site over loopback HTTP at a sub-path: ``http://127.0.0.1:PORT/some/sub/path/``."""
    www = tmp_path_factory.mktemp("www")
    mount = www / SUB_PATH.strip("/")
    mount.parent.mkdir(parents=True)
    mount.symlink_to(site, target_is_directory=True)
    handler = functools.partial(_QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SUB_PATH}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


READ_PAGE = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.querySelectorAll('img')].map(i => ({
      src: i.currentSrc || i.src, drawn: i.complete && i.naturalWidth > 0})),
})"""


def _widget_stills(notebook: Path) -> list[str]:
    """The start of the text each widget output shows without a kernel (its ``text/html``),
    spaces removed."""
    stills = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "text/html" in data:
                words = html.unescape(re.sub(r"<[^>]+>", "", data["text/html"]))
                stills.append("".join(words.split())[:30])
    return [s for s in stills if s]


def _local_target(site: Path, base: str, url: str) -> Path | None:
    """The file of the site a URL points at, or None for a URL outside the site."""
    if not url.startswith(base):
        return None
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[len(urllib.parse.urlsplit(
        base).path):]
    target = site / path
    return target / "index.html" if target.is_dir() else target


def test_every_page_loads_with_its_links_images_and_diagrams(site: Path, served: str, browser):
    pages = sorted(p.relative_to(site) for p in site.rglob("*.html")
                   if "_static" not in p.parts)
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"  # left the page
            else failed.append(f"{r.failure} {r.url}"))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    for relative in pages:
        errors.clear()
        failed.clear()
        page.goto(served + relative.as_posix())
        page.wait_for_load_state("load")
        found = page.evaluate(READ_PAGE)
        problems += [f"{relative}: console: {e}" for e in errors]
        problems += [f"{relative}: request failed: {u}" for u in failed]
        for url in found["links"]:
            target = _local_target(site, served, url.split("#")[0])
            if target is not None and not target.is_file():
                problems.append(f"{relative}: broken link {url}")
        for image in found["images"]:
            if not image["drawn"]:
                problems.append(f"{relative}: image not drawn {image['src']}")
        notebook = ROOT / relative.with_suffix(".ipynb")
        if notebook.is_file():
            wanted = {name for cell in nbformat.read(notebook, as_version=4).cells
                      if cell.cell_type == "markdown" for name in DIAGRAM.findall(cell.source)}
            shown = {Path(urllib.parse.urlsplit(i["src"]).path).name
                     for i in found["images"] if i["drawn"]}
            problems += [f"{relative}: diagram {name} not shown" for name in wanted - shown]
            text = "".join(page.inner_text("body").split())  # spacing differs between the two
            problems += [f"{relative}: a widget's still picture is missing: {still!r}"
                         for still in _widget_stills(notebook) if still not in text]
    page.close()
    assert len(pages) >= len(NOTEBOOKS) + 7
    assert not problems, "\n".join(problems[:40])


def test_a_page_opened_from_disk_works_and_screenshots_of_both_editions(site: Path, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for lang, name in (("en", "09_tool_calling"), ("zh", "08_thinking")):
        page.goto((site / "notebooks" / lang / f"{name}.html").as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.lang") == (
            "zh-CN" if lang == "zh" else "en")
        drawn = page.evaluate("[...document.images].filter(i => i.naturalWidth > 0).length")
        assert drawn >= 1, f"{lang}/{name}: no image drawn from disk"
        page.screenshot(path=ARTIFACTS / f"{lang}-{name}.png")
        page.click("a.course-twin")
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/notebooks/{'zh' if lang == 'en' else 'en'}/{name}.html")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than it
    page.goto((site / "notebooks" / "zh" / "10_structured_output.html").as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=ARTIFACTS / "zh-10_structured_output-phone.png")
    page.close()
    assert not errors, errors

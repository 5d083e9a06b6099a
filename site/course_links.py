"""A bar at the top of every page: the same page in the other edition, and for a notebook, the
ways to run it without installing anything (Binder, Colab, ModelScope).

The repository the launch links open is :data:`REPOSITORY`, or the ``QWEN_SITE_REPOSITORY``
environment variable (``owner/name`` on GitHub) to build the site for a fork.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "qwen-api-notebooks/qwen-api-notebooks"
"""The course on GitHub; the notebooks' first cell installs the helpers from the same place."""
OTHER = {"en": "zh", "zh": "en"}
NAMES = {"en": "English", "zh": "中文"}
WORDS = {
    "en": {"read": "Read in", "run": "Run it:",
           "modelscope": "ModelScope (upload the notebook)"},
    "zh": {"read": "切换到", "run": "在线运行：",
           "modelscope": "魔搭 ModelScope（上传本 Notebook）"},
}
TWINS = {"README": "README.zh-CN", "docs/workshop": "docs/workshop.zh-CN"}


def repository() -> str:
    """``owner/name`` of the course on GitHub."""
    return os.environ.get("QWEN_SITE_REPOSITORY", REPOSITORY)


def twin(pagename: str) -> tuple[str, str] | None:
    """The same page in the other edition, and that edition's code."""
    parts = pagename.split("/")
    if len(parts) == 3 and parts[0] == "notebooks" and parts[1] in OTHER:
        return "/".join([parts[0], OTHER[parts[1]], parts[2]]), OTHER[parts[1]]
    for en, zh in TWINS.items():
        if pagename == en:
            return zh, "zh"
        if pagename == zh:
            return en, "en"
    return None


def language(pagename: str) -> str:
    found = twin(pagename)
    return OTHER[found[1]] if found else "en"


def launch_links(path: str, lang: str) -> list[tuple[str, str]]:
    """(label, URL) of the hosted notebooks that open ``path`` (a notebook in the repository)."""
    repo = repository()
    return [
        ("Binder", f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/{path}"),
        ("Colab", f"https://colab.research.google.com/github/{repo}/blob/main/{path}"),
        # ModelScope Notebook has no documented link that opens a GitHub notebook (UNCONFIRMED):
        # the learner starts one and uploads the .ipynb (the page's download button).
        (WORDS[lang]["modelscope"], "https://modelscope.cn/my/mynotebook"),
    ]


def _bar(app: Any, pagename: str, context: dict[str, Any]) -> str:
    lang, parts = language(pagename), []
    found = twin(pagename)
    if found and found[0] in app.env.all_docs:
        target, other = found
        uri = app.builder.get_relative_uri(pagename, target)
        parts.append(f'<a class="course-twin" hreflang="{other}" href="{html.escape(uri)}">'
                     f'{WORDS[lang]["read"]} {NAMES[other]}</a>')
    source = app.env.doc2path(pagename, base=False) if pagename in app.env.all_docs else None
    if source is not None and str(source).endswith(".ipynb"):
        links = " · ".join(f'<a class="course-launch" href="{html.escape(url)}" '
                           f'rel="noopener">{html.escape(label)}</a>'
                           for label, url in launch_links(str(source), lang))
        parts.append(f'<span class="course-run">{WORDS[lang]["run"]} {links}</span>')
    return f'<div class="course-bar" lang="{lang}">{" | ".join(parts)}</div>' if parts else ""


def add_bar(app: Any, pagename: str, templatename: str, context: dict[str, Any],
            doctree: Any) -> None:
    context["language"] = "zh-CN" if language(pagename) == "zh" else "en"  # <html lang>
    if "body" in context:
        context["body"] = _bar(app, pagename, context) + context["body"]


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", add_bar)
    return {"parallel_read_safe": True}

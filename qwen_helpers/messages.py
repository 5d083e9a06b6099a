"""Every sentence a learner reads from ``qwen_helpers``, in English and Chinese: one catalog.

A message is looked up by key and filled in with :meth:`str.format` fields::

    say("config.mode_unknown", raw="'fast'", allowed="mock, live, auto")

The language is the kernel's: ``connect(lang=…)`` sets it (each edition's setup cell names its
own), else ``QWEN_LANG`` (``en`` or ``zh``), else English. A test checks that every message has
both languages with the same fields. To add a message: add one entry to a catalog module under
``qwen_helpers/catalog/`` (``"area.what": {"en": "…", "zh": "…"}``), use it with ``say(key, …)``,
and run ``pytest tests/test_messages.py``.

The Chinese follows ``glossary.md``'s terms (鉴权、限流、指数退避、流式调用、数据块 …); API names,
fields, codes and commands stay as code in both languages.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping

from .catalog import CATALOG

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
_chosen: str | None = None


class LanguageError(ValueError):
    """A language the course does not speak."""


def check_language(raw: str | None, source: str = "QWEN_LANG") -> str:
    """``raw`` as a language code (``zh-CN`` and ``ZH`` are ``zh``); LanguageError if unknown."""
    code = (raw or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        shown = raw if raw is None or len(raw) <= 12 else raw[:2] + "…"  # never a pasted key
        raise LanguageError(say("lang.unknown", source=source, raw=repr(shown),
                                allowed=", ".join(LANGUAGES)))
    return code


def set_language(lang: str) -> str:
    """Make ``lang`` the language of every message from now on; returns the code."""
    global _chosen
    _chosen = check_language(lang, "lang")
    return _chosen


def chosen_language() -> str | None:
    """The language :func:`set_language` chose (``connect(lang=…)``), or None."""
    return _chosen


def language() -> str:
    """The language messages are written in now: set by :func:`set_language`, else
    ``QWEN_LANG``, else English (an unknown ``QWEN_LANG`` is refused when settings load)."""
    if _chosen:
        return _chosen
    try:
        return check_language(os.environ.get("QWEN_LANG") or DEFAULT_LANGUAGE)
    except LanguageError:
        return DEFAULT_LANGUAGE


def say(key: str, /, lang: str | None = None, **values: object) -> str:
    """The message ``key`` in ``lang`` (default: :func:`language`), its fields filled in."""
    entry = CATALOG[key]
    return entry[lang or language()].format(**values)


def fields(template: str) -> set[str]:
    """The ``{names}`` a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def problems(catalog: Mapping[str, Mapping[str, str]] = CATALOG) -> list[str]:
    """What is wrong with the catalog: a language missing or empty, fields that differ."""
    found = []
    for key, entry in catalog.items():
        missing = [lang for lang in LANGUAGES if not entry.get(lang)]
        if missing:
            found.append(f"{key}: no {', '.join(missing)}")
        elif len({frozenset(fields(entry[lang])) for lang in LANGUAGES}) > 1:
            found.append(f"{key}: the languages fill in different fields")
    return found

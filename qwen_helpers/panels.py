"""Widgets that read well where no kernel runs: a sentence as text, a still picture as HTML.

A notebook's widget output holds the live widget's id, which only a running kernel can fill.
Opened fresh — JupyterLab before "Run All" (a notebook it does not trust), GitHub, a static
site — the reader gets the output's other formats instead, and by default that is a Python
repr such as ``VBox(children=(…``. :func:`widget_bundle` adds a sentence (``text/plain``) and a
still picture of the widget as it was first shown (``text/html``); a live JupyterLab still
prefers the widget itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

STILL_STYLE = "border:1px solid #cbd2d9;border-radius:4px;padding:8px;max-width:900px"


def widget_bundle(widget: Any, sentence: str, still_html: str, **kwargs: Any) -> dict[str, Any]:
    """The widget's display data with ``sentence`` as its text and ``still_html`` as its HTML."""
    bundle = dict(widget._repr_mimebundle_(**kwargs) or {})
    bundle["text/plain"] = sentence
    bundle["text/html"] = (f'<div style="{STILL_STYLE}">{still_html}'
                           f'<div style="color:#52606d;font-style:italic;margin-top:6px">'
                           f"{html.escape(sentence)}</div></div>")
    return bundle


def control(label: str, value: object) -> str:
    """A still picture of one control: its label and the value it shows."""
    return (f'<span style="margin-right:14px"><b>{html.escape(label)}</b> '
            f'<code style="border:1px solid #cbd2d9;padding:1px 6px">'
            f"{html.escape(str(value))}</code></span>")


class Panel:
    """A widget with its sentence and still picture (the still is drawn when it is shown)."""

    def __init__(self, widget: Any, sentence: str, still: Callable[[], str]) -> None:
        self.widget, self.sentence, self.still = widget, sentence, still

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return widget_bundle(self.widget, self.sentence, self.still(), **kwargs)

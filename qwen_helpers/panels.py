"""Widgets that read well where no kernel runs: a sentence as text, a still picture as HTML.

A notebook's widget output holds the live widget's id, which only a running kernel can fill.
Opened fresh — JupyterLab before "Run All" (a notebook it does not trust), GitHub, a static
site — the reader gets the output's other formats instead, and by default that is a Python
repr such as ``VBox(children=(…``. :class:`StillWidget` adds a sentence (``text/plain``) and a
still picture of the widget (``text/html``); a live JupyterLab still prefers the widget itself.
The still is drawn when the widget is shown; :meth:`StillWidget.refresh` redraws it after
code has changed the widget (a chat's turns, a streamed text).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from .messages import say

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


class StillWidget:
    """A widget (``self.widget``) that also has a sentence and a still picture of itself."""

    widget: Any
    _handle: Any = None

    @property
    def sentence(self) -> str:
        """What a reader without a kernel reads instead of the widget (``text/plain``)."""
        return say("panels.sentence")

    def still_html(self) -> str:
        """HTML that pictures the widget as it is now."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return widget_bundle(self.widget, self.sentence, self.still_html(), **kwargs)

    def show(self) -> None:
        """Display it in the current cell, so that :meth:`refresh` can redraw its still later."""
        from IPython.display import display

        self._handle = display(self, display_id=True)

    def refresh(self) -> None:
        """Redraw the displayed output (the live widget stays; the still is drawn anew)."""
        if self._handle is not None:
            self._handle.update(self)


class Panel(StillWidget):
    """Any widget, with its sentence and a function that draws its still."""

    def __init__(self, widget: Any, sentence: str, still: Callable[[], str]) -> None:
        self.widget, self._sentence, self._still = widget, sentence, still

    @property
    def sentence(self) -> str:
        return self._sentence

    def still_html(self) -> str:
        return self._still()


class LiveText(StillWidget):
    """Text that grows as a stream arrives: ``append`` each piece, ``done`` at the end."""

    @property
    def sentence(self) -> str:
        return say("panels.live_sentence")

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.widget = widgets.HTML()
        self.text = ""

    def append(self, piece: str) -> None:
        """Add a piece of text and show it at once."""
        self.text += piece
        self.widget.value = html.escape(self.text)

    def done(self) -> None:
        """The stream has ended: redraw the still with the whole text."""
        self.refresh()

    def still_html(self) -> str:
        return html.escape(self.text) or f"<i>{say('panels.nothing_yet')}</i>"

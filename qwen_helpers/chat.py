"""A streamed chat: a conversation that keeps its history, and a chat box that types.

:class:`Conversation` is plain Python, for scripts and tests: ``send`` streams one answer
through :func:`~qwen_helpers.streaming.collect_openai` and keeps the turn only when the stream
finished. :class:`ChatBox` puts an ipywidgets text box, a Send button and a transcript around a
conversation and fills the transcript piece by piece as the answer arrives; Enter sends as the
button does, and ``send`` drives it from code exactly as a click does. Both speak the
OpenAI-compatible dialect through an ``openai`` client, against the mock or the real service
alike. Opened without a kernel, a chat box shows its transcript as a still picture.
"""

from __future__ import annotations

import html
from typing import Any

from .messages import say
from .panels import StillWidget
from .streaming import OnPiece, StreamResult, collect_openai

__all__ = ["ChatBox", "Conversation"]


class Conversation:
    """A chat that keeps its messages and streams each answer."""

    def __init__(self, client: Any, model: str, system: str | None = None,
                 **options: Any) -> None:
        """``options`` go to every ``chat.completions.create`` (``extra_headers`` …)."""
        self.client, self.model, self.options = client, model, options
        self.messages: list[dict[str, str]] = (
            [{"role": "system", "content": system}] if system else [])

    def send(self, text: str, *, on_text: OnPiece | None = None, **options: Any) -> StreamResult:
        """Ask ``text``, hand each piece of the answer to ``on_text``, return the result.

        A complete answer joins the history with its question. An incomplete one does not, so
        the history never holds a fragment and the same question can be sent again. ``options``
        go to ``chat.completions.create`` (``temperature``, ``extra_headers`` …).
        """
        question = {"role": "user", "content": text}
        result = collect_openai(lambda: self.client.chat.completions.create(
            model=self.model, messages=[*self.messages, question], stream=True,
            stream_options={"include_usage": True}, **{**self.options, **options}),
            on_text=on_text)
        if result.complete:
            self.messages += [question, {"role": "assistant", "content": result.text}]
        return result

    def transcript(self) -> str:
        """The conversation so far, one ``role: text`` line per message."""
        return "\n".join(f"{m['role']}: {m['content']}" for m in self.messages)


class ChatBox(StillWidget):
    """A text box, a Send button and a transcript that fills as each answer streams."""

    @property
    def sentence(self) -> str:
        return say("chat.sentence")

    def __init__(self, conversation: Conversation) -> None:
        import ipywidgets as widgets

        self.conversation = conversation
        self.view = widgets.HTML()
        self.box = widgets.Text(placeholder=say("chat.placeholder"),
                                layout=widgets.Layout(width="60%"))
        self.button = widgets.Button(description=say("chat.send"), button_style="primary")
        self.button.on_click(lambda _: self._from_browser(self.box.value))
        self.box.on_msg(self._on_key)  # the browser sends {"event": "submit"} on Enter
        self.widget = widgets.VBox([self.view, widgets.HBox([self.box, self.button])])
        self._finished = ""
        """The HTML of the turns already answered."""
        self._typing = False

    def send(self, text: str, **options: Any) -> StreamResult | None:
        """Send ``text`` as if it were typed and sent; None for blank text."""
        if not text.strip():
            return None
        self.box.value, self.button.disabled = "", True
        turn, pieces = f"<p><b>{say('chat.you')}</b> {html.escape(text)}</p>", []

        def show(piece: str) -> None:
            pieces.append(piece)
            self.view.value = self._finished + turn + _reply("".join(pieces))
        try:
            result = self.conversation.send(text, on_text=show, **options)
        finally:
            self.button.disabled = False
        note = "" if result.complete else say("chat.stream_broke", error=result.error)
        self._finished += turn + _reply("".join(pieces), note)
        self.view.value = self._finished
        if not self._typing:
            self.refresh()  # a turn sent from code: the saved output shows it too
        return result

    def _on_key(self, _widget: Any, content: dict, _buffers: Any) -> None:
        if content.get("event") == "submit":
            self._from_browser(self.box.value)

    def _from_browser(self, text: str) -> None:
        """A person typed: answer without redrawing the output (it would take the focus)."""
        self._typing = True
        try:
            self.send(text)
        finally:
            self._typing = False

    def still_html(self) -> str:
        return (self.view.value or f"<p><i>{say('chat.no_turns')}</i></p>") + (
            '<p><code style="border:1px solid #cbd2d9;padding:1px 40px 1px 4px">'
            f"{html.escape(self.box.placeholder)}</code> "
            f"<b>[{html.escape(self.button.description)}]</b></p>")


def _reply(text: str, note: str = "") -> str:
    note = f"<i>{html.escape(note)}</i>" if note else ""
    return f"<p><b>{say('chat.qwen')}</b> {html.escape(text)}{note}</p>"

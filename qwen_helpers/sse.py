"""Server-sent events (SSE) read by hand, for the lesson that looks under the SDK.

Both dialects use the same framing with different habits (docs/sources.md §5)::

    compatible                          native
    data: {"choices": …}                id:1
                                        event:result
    data: [DONE]                        :HTTP_STATUS/200
                                        data:{"output": …}

An event is a group of ``field:value`` lines ended by a blank line; one space after the colon
is optional; a line starting with ``:`` is a comment; lines end with CRLF, LF or CR. Network
chunks split lines and even UTF-8 characters anywhere, so the decoder buffers both.

In production use ``httpx_sse`` (``connect_sse(client, "POST", url, …)``), which the dashscope
2.0 SDK uses; this module is the same idea in a form you can read in one sitting. Unlike
``httpx_sse`` it keeps comment lines, and it returns an event the stream ended inside (no blank
line after it) marked ``complete=False`` instead of dropping it silently.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from .messages import say

_LINE_END = re.compile(r"\r\n|\r|\n")
"""Only these three: ``str.splitlines`` would also split on U+2028 and others, which JSON data
may carry unescaped."""


@dataclass(frozen=True)
class SSEEvent:
    """One event as the SSE standard dispatches it, with the comment lines seen before it."""

    data: str
    event: str = "message"
    """The standard's default when no ``event:`` line came (compatible mode never sends one)."""
    id: str | None = None
    comments: tuple[str, ...] = ()
    """Text after ``:``; native streams send ``HTTP_STATUS/200`` here."""
    retry: int | None = None
    complete: bool = True
    """False for an event the stream ended inside (no blank line after it)."""

    def json(self) -> Any:
        """The data parsed as JSON."""
        return json.loads(self.data)


class SSEDecoder:
    """Feed it bytes as they arrive; get back the events they complete."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer, self._first = "", True
        self._id: str | None = None
        self._reset()

    def _reset(self) -> None:
        self._data: list[str] = []
        self._event, self._comments, self._retry = "", [], None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Decode one network chunk; a character or a line split across chunks waits."""
        return self._lines(self._utf8.decode(data), final=False)

    def close(self) -> list[SSEEvent]:
        """The end of the stream: an unfinished last event comes back with ``complete=False``."""
        events = self._lines(self._utf8.decode(b"", final=True), final=True)
        if self._data:
            events.append(self._dispatch(complete=False))
        return events

    def _lines(self, text: str, final: bool) -> list[SSEEvent]:
        if self._first and text:
            text, self._first = text.removeprefix("\ufeff"), False
        self._buffer += text
        events: list[SSEEvent] = []
        start = 0
        for match in _LINE_END.finditer(self._buffer):
            if match.group() == "\r" and match.end() == len(self._buffer) and not final:
                break  # perhaps the first half of a CRLF split across chunks
            self._line(self._buffer[start:match.start()], events)
            start = match.end()
        self._buffer = self._buffer[start:]
        if final and self._buffer:
            self._line(self._buffer, events)
            self._buffer = ""
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:  # a blank line ends the event
            if self._data:
                events.append(self._dispatch(complete=True))
            else:
                self._data, self._event = [], ""
            return
        if line.startswith(":"):
            self._comments.append(line[1:])
            return
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value  # the standard keeps the last id for later events too
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, complete: bool) -> SSEEvent:
        event = SSEEvent("\n".join(self._data), self._event or "message", self._id,
                         tuple(self._comments), self._retry, complete)
        self._reset()
        return event


def parse_sse(data: bytes) -> list[SSEEvent]:
    """All events of a whole body."""
    decoder = SSEDecoder()
    return decoder.feed(data) + decoder.close()


def _check_event_stream(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        raise ValueError(say("sse.not_event_stream", status=response.status_code,
                             content_type=repr(content_type)))


def iter_sse(response: httpx.Response) -> Iterator[SSEEvent]:
    """The events of a streaming ``httpx`` response (``client.stream(…)``), as they arrive."""
    _check_event_stream(response)
    decoder = SSEDecoder()
    for chunk in response.iter_bytes():
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def aiter_sse(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """The events of a streaming ``httpx.AsyncClient`` response, as they arrive."""
    _check_event_stream(response)
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event

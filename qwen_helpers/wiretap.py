"""Seeing the wire: record the HTTP exchanges a real SDK makes and show them, key masked.

========================  ===================================================================
client stack              how to tap it
========================  ===================================================================
``OpenAI``                ``OpenAI(..., http_client=tap.client())``
``AsyncOpenAI``           ``AsyncOpenAI(..., http_client=tap.async_client())``
dashscope 2.0 ``Client``  ``tap.attach(client.transport.http_client)`` — passing
                          ``http_client=`` instead would drop the Client's base URL and key
dashscope 1.x API         ``Generation.call(..., session=tap.session())`` (it uses ``requests``)
``AioGeneration``         not captured (it uses ``aiohttp``); use ``Generation`` to look
========================  ===================================================================

``capture`` runs one call and returns its :class:`Exchange`. The key is masked the moment an
exchange is recorded, so nothing this module keeps or prints can hold it.
"""

from __future__ import annotations

import html
import json
import re
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests

from .config import mask_key
from .messages import say

VOLATILE_HEADERS = frozenset({
    "date", "req-arrive-time", "resp-start-time", "req-cost-time", "x-request-id",
    "x-envoy-upstream-service-time", "user-agent", "x-stainless-os", "x-stainless-arch",
    "x-stainless-runtime-version", "x-dashscope-sdk-session-id", "host", "set-cookie",
    "eagleeye-traceid"})
"""Headers that change from run to run (``host`` carries the mock's port); hidden when stable."""
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})
_EVENT_END = re.compile(r"\r\n\r\n|\n\n|\r\r")


@dataclass(repr=False)
class Exchange:
    """One request and its response, as they crossed the wire, with every secret masked."""

    method: str
    target: str
    """The request line's target: path and query, as HTTP/1.1 sends it."""
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    reason: str = ""
    http_version: str = "HTTP/1.1"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytearray = field(default_factory=bytearray)
    """As received; a gzip or deflate body is shown decoded."""
    finished: bool = False
    """True once the response body was read to its end."""
    error: str | None = None
    outcome: str = ""
    """What the SDK made of it (set by :func:`capture`)."""
    stable: bool = True
    decoded: bool = False
    """True when the client already undid ``content-encoding`` (``requests`` does)."""
    _scrub: Callable[[Any], Any] = field(default=lambda value: value, compare=False)
    """Masks the secrets of this exchange; the secrets live only inside this function."""

    def _add(self, chunk: bytes) -> None:
        tail = max(0, len(self.response_body) - 256)  # a secret may straddle two chunks
        self.response_body[tail:] = self._scrub(bytes(self.response_body[tail:]) + chunk)

    def _fail(self, exc: BaseException) -> None:
        self.error = self._scrub(f"{type(exc).__name__}: {exc}")

    def header(self, name: str, response: bool = True) -> str | None:
        """The first value of a header, by case-insensitive name."""
        headers = self.response_headers if response else self.request_headers
        return next((v for k, v in headers if k.lower() == name.lower()), None)

    def events(self) -> list[str]:
        """The raw text of each server-sent event of a streamed response."""
        if "text/event-stream" not in (self.header("content-type") or ""):
            return []
        return [e for e in _EVENT_END.split(_decoded(self)) if e.strip()]

    def text(self, *, stable: bool | None = None, head: int = 3, tail: int = 1) -> str:
        """The exchange as text: request line, headers, body; status, headers, body."""
        response = self.response_text(stable=stable, head=head, tail=tail)
        text = f"{self.request_text(stable=stable)}\n\n{response}"
        if self.outcome:
            text += "\n\n" + say("wiretap.sdk_outcome", outcome=self.outcome)
        return text.rstrip()

    def request_text(self, *, stable: bool | None = None) -> str:
        """The request as text: request line, headers, body."""
        stable = self.stable if stable is None else stable
        lines = [f"{self.method} {self.target} {self.http_version}"]
        lines += _headers(self.request_headers, stable)
        lines += ["", _body(self.request_body.decode("utf-8", "replace"))]
        return "\n".join(lines).rstrip()

    def response_text(self, *, stable: bool | None = None, head: int = 3, tail: int = 1) -> str:
        """The response as text: status line, headers, body (a stream: first and last events)."""
        stable = self.stable if stable is None else stable
        if self.status is None:
            return (say("wiretap.no_response") if self.error is None
                    else say("wiretap.no_response_error", error=self.error))
        lines = [f"{self.http_version} {self.status} {self.reason}".rstrip()]
        lines += _headers(self.response_headers, stable)
        lines += ["", self._response_text(head, tail)]
        return "\n".join(lines).rstrip()

    def _response_text(self, head: int, tail: int) -> str:
        events = self.events()
        if not events:
            text = _body(_decoded(self))
        else:
            shown = events if len(events) <= head + tail else [
                *events[:head], say("wiretap.more_events", count=len(events) - head - tail),
                *events[len(events) - tail:]]
            text = "\n\n".join(shown) + "\n\n" + say("wiretap.event_count", count=len(events))
        if self.error:
            text += "\n" + say("wiretap.broke_off", error=self.error)
        elif not self.finished:
            text += "\n" + say("wiretap.stopped_reading")
        return text

    def show(self, **options: Any) -> None:
        """Print :meth:`text`."""
        print(self.text(**options))

    def _repr_markdown_(self) -> str:
        return f"```http\n{self.text()}\n```"

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text())}</pre>"

    def __repr__(self) -> str:
        size = f"{len(self.events())} events" if self.events() else f"{len(self.response_body)} B"
        return f"<Exchange {self.method} {self.target} → {self.status}, {size}>"


def _headers(headers: list[tuple[str, str]], stable: bool) -> list[str]:
    hidden = [name for name, _ in headers if stable and name.lower() in VOLATILE_HEADERS]
    lines = [f"{name}: {value}" for name, value in headers
             if not (stable and name.lower() in VOLATILE_HEADERS)]
    return lines + ([say("wiretap.hidden_headers", names=", ".join(hidden))] if hidden else [])


def _body(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _decoded(exchange: Exchange) -> str:
    body, encoding = exchange.response_body, exchange.header("content-encoding") or ""
    if encoding in ("gzip", "deflate") and body and not exchange.decoded:
        try:
            body = zlib.decompressobj(47 if encoding == "gzip" else 15).decompress(body)
        except zlib.error:
            return say("wiretap.encoded_body", encoding=encoding, size=len(body))
    return body.decode("utf-8", "replace")


def _masked(headers: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], Callable]:
    """Headers with every credential masked, and a function that masks them anywhere."""
    pairs, out = [], []
    for name, value in headers:
        if name.lower() in SECRET_HEADERS and value:
            scheme, _, token = value.rpartition(" ")
            if len(token) >= 8:  # scrubbing a very short token everywhere would garble text
                pairs.append((token, mask_key(token)))
            value = f"{scheme} {mask_key(token)}".lstrip()
        out.append((name, value))

    def scrub(value: Any) -> Any:
        for secret, masked in pairs:
            value = (value.replace(secret, masked) if isinstance(value, str)
                     else value.replace(secret.encode(), masked.encode()))
        return value
    return out, scrub


class _Tee(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response stream that records each chunk as the SDK reads it."""

    def __init__(self, inner: Any, exchange: Exchange) -> None:
        self._inner, self._exchange = inner, exchange

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._exchange._add(chunk)
                yield chunk
        except Exception as exc:
            self._exchange._fail(exc)
            raise
        self._exchange.finished = True

    async def __aiter__(self):
        try:
            async for chunk in self._inner:
                self._exchange._add(chunk)
                yield chunk
        except Exception as exc:
            self._exchange._fail(exc)
            raise
        self._exchange.finished = True

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()


class _TeeRaw:
    """The same for a ``requests`` response's raw stream."""

    def __init__(self, raw: Any, exchange: Exchange) -> None:
        self._raw, self._exchange = raw, exchange

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        return _Tee(self._raw.stream(*args, **kwargs), self._exchange).__iter__()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class Wiretap:
    """Records every exchange of the clients it is attached to, in ``exchanges``."""

    def __init__(self, *, stable: bool = True) -> None:
        self.stable = stable
        self.exchanges: list[Exchange] = []
        self._open: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def last(self) -> Exchange:
        if not self.exchanges:
            raise LookupError(say("wiretap.nothing_captured"))
        return self.exchanges[-1]

    def _start(self, method: str, target: str, headers: list[tuple[str, str]],
               body: bytes | str | None) -> Exchange:
        headers, scrub = _masked(headers)
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body or ""
        exchange = Exchange(method, scrub(target), headers, scrub(text).encode(),
                            stable=self.stable, _scrub=scrub)
        self.exchanges.append(exchange)
        return exchange

    def _on_request(self, request: httpx.Request) -> Exchange:
        try:
            body: bytes | str = request.content
        except httpx.RequestNotRead:
            body = say("wiretap.streamed_body")
        exchange = self._open[request] = self._start(
            request.method, request.url.raw_path.decode("ascii"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw], body)
        return exchange

    def _on_response(self, response: httpx.Response) -> None:
        exchange = self._open.pop(response.request, None) or self._on_request(response.request)
        exchange.status, exchange.reason = response.status_code, response.reason_phrase
        exchange.http_version = response.http_version
        exchange.response_headers = [(k.decode("latin-1"), exchange._scrub(v.decode("latin-1")))
                                     for k, v in response.headers.raw]
        try:  # a response built in memory (httpx.MockTransport) arrives already read
            exchange._add(response.content)
            exchange.finished = exchange.decoded = True
        except httpx.ResponseNotRead:
            response.stream = _Tee(response.stream, exchange)

    def hooks(self) -> dict[str, list[Callable]]:
        """Event hooks for an ``httpx.Client``."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def async_hooks(self) -> dict[str, list[Callable]]:
        """Event hooks for an ``httpx.AsyncClient``."""
        async def on_request(request: httpx.Request) -> None:
            self._on_request(request)

        async def on_response(response: httpx.Response) -> None:
            self._on_response(response)
        return {"request": [on_request], "response": [on_response]}

    def client(self, **options: Any) -> httpx.Client:
        """A tapped ``httpx.Client`` (for ``OpenAI(http_client=…)``)."""
        return httpx.Client(event_hooks=self.hooks(), **options)

    def async_client(self, **options: Any) -> httpx.AsyncClient:
        """A tapped ``httpx.AsyncClient`` (for ``AsyncOpenAI(http_client=…)``)."""
        return httpx.AsyncClient(event_hooks=self.async_hooks(), **options)

    def attach(self, http_client: httpx.Client | httpx.AsyncClient) -> None:
        """Tap an existing httpx client, e.g. a dashscope 2.0 ``client.transport.http_client``."""
        hooks = self.async_hooks() if isinstance(http_client, httpx.AsyncClient) else self.hooks()
        http_client.event_hooks = {name: [*http_client.event_hooks.get(name, []), *extra]
                                   for name, extra in hooks.items()}

    def session(self) -> requests.Session:
        """A tapped ``requests.Session`` (for the 1.x API's ``Generation.call(session=…)``)."""
        session = requests.Session()
        session.hooks["response"].append(self._on_requests_response)
        return session

    def _on_requests_response(self, response: requests.Response, **_: Any) -> None:
        sent = response.request
        exchange = self._start(sent.method or "", sent.path_url, list(sent.headers.items()),
                               sent.body)
        exchange.status, exchange.reason = response.status_code, response.reason or ""
        exchange.response_headers = [(k, exchange._scrub(v)) for k, v in response.headers.items()]
        exchange.decoded = True  # requests reads the raw stream with decode_content=True
        response.raw = _TeeRaw(response.raw, exchange)


def _is_stream(result: Any) -> bool:
    return (hasattr(result, "__iter__") and not hasattr(result, "model_dump")
            and not isinstance(result, (Mapping, str, bytes)))


def _finish(tap: Wiretap, outcome: str) -> Exchange:
    exchange = tap.last
    exchange.outcome = exchange._scrub(outcome)
    return exchange


def capture(call: Callable[[Wiretap], Any], *, stable: bool = True) -> Exchange:
    """Run ``call(tap)``, read any stream it returns, and return the last exchange.

    ``call`` builds its client from the tap, e.g.
    ``capture(lambda tap: OpenAI(api_key=key, base_url=url, http_client=tap.client())
    .chat.completions.create(model="qwen-plus", messages=messages))``. What the SDK returned
    or raised is kept in ``outcome``; use :class:`Wiretap` itself to see every retry.
    """
    tap, items = Wiretap(stable=stable), None
    try:
        result = call(tap)
        outcome = say("wiretap.returned", type=type(result).__name__)
        if _is_stream(result):
            items = 0
            for _ in result:
                items += 1
            outcome += say("wiretap.yielded", count=items)
    except Exception as exc:
        yielded = "" if items is None else say("wiretap.yielded_then", count=items)
        outcome = yielded + say("wiretap.raised", type=type(exc).__name__, error=exc)
    return _finish(tap, outcome)


async def acapture(call: Callable[[Wiretap], Any], *, stable: bool = True) -> Exchange:
    """:func:`capture` for async clients: ``call`` returns an awaitable (``AsyncOpenAI``)."""
    tap, items = Wiretap(stable=stable), None
    try:
        result = await call(tap)
        outcome = say("wiretap.returned", type=type(result).__name__)
        if hasattr(result, "__aiter__"):
            items = 0
            async for _ in result:
                items += 1
            outcome += say("wiretap.yielded", count=items)
    except Exception as exc:
        yielded = "" if items is None else say("wiretap.yielded_then", count=items)
        outcome = yielded + say("wiretap.raised", type=type(exc).__name__, error=exc)
    return _finish(tap, outcome)

"""A local mock of Alibaba Cloud's DashScope API, faithful to both dialects' wire format.

Endpoints (the real service's paths):

- ``POST /compatible-mode/v1/chat/completions`` — OpenAI-compatible; SSE when ``"stream": true``
- ``GET  /compatible-mode/v1/models``
- ``POST /api/v1/services/aigc/text-generation/generation`` — native; SSE with
  ``X-DashScope-SSE: enable``

Answers come from recordings (:mod:`.answers`), else a stand-in that says it is one. Thinking
(``enable_thinking``, ``thinking_budget``), tool calls (``tools``, ``tool_choice``,
``parallel_tool_calls``; a stand-in call only when ``tool_choice`` names a tool) and JSON answers
(``response_format``) follow docs/sources.md §5.3, with the service's refusals; streamed tool
calls arrive in pieces joined by ``index`` (:mod:`.tool_calls`, :mod:`.wire`).

and the mock's own control endpoints:

- ``GET /_mock/requests`` — what the mock received (time, method, path, status, scenario item,
  masked key, ``x-stainless-retry-count``, request id, model, outcome); ``DELETE`` clears it,
  the scenario state, the rate-limit windows and the id counter. The outcome is ``complete``
  (a stream sent whole), the fault that broke the answer (``cut``, ``drop``, ``freeze`` …),
  ``client closed`` (the client hung up first), or absent (a whole answer sent).
- ``GET``/``POST /_mock/scenario`` — a key's default fault sequence (see :mod:`.scenarios`).
- ``GET /_mock/health`` — readiness.

Bounds, so that no client can grow the mock's memory or hold it up: the request log keeps the
last 10,000 entries; a scenario holds at most 1,000 items in 8,190 characters, and defaults
are kept for at most 256 keys of up to 256 characters (beyond that, a 400 that says so); the
places of 4,096 key-and-sequence pairs are remembered, the least recently used forgotten
(:mod:`.scenarios`); a body over 16 MiB is the service's 413; a large body is read and counted
in a worker thread, its prompt (texts, tool calls, tools) refused once a partial count proves
it over the model's limit; a connection silent for 75 s (``--idle-timeout``), before its first
request or between two, is closed, and a body not all come within that time is a 408 (its
wording UNCONFIRMED), then the connection closes.

Keys: ``mock-key-valid`` is the demo key; the teaching keys for each branch of the
authentication flow are listed in :mod:`.keys`. Faults: the ``X-Mock-Scenario`` header, e.g.
``429,429,200`` (see :mod:`.scenarios`).

Start it with ``python -m qwen_helpers.mock`` or, in Python::

    with MockServer() as mock:
        client = OpenAI(api_key=DEMO_KEY, base_url=mock.compatible_base_url)
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from dataclasses import replace
from typing import Any

from aiohttp import web

from .keys import DEMO_KEY, TEACHING_KEYS
from .server import STATE, MockConfig, MockState, create_app, quiet_parse_errors

__all__ = ["DEMO_KEY", "TEACHING_KEYS", "MockConfig", "MockServer", "create_app"]


class MockServer:
    """The mock in a background thread on a free loopback port; a context manager."""

    def __init__(self, config: MockConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, follow: str | None = None, follow_every: float = 2.0,
                 **options: Any) -> None:
        """``follow``: play the default fault sequences of the mock at that URL (``.follow``)."""
        self.config = replace(config or MockConfig(), **options)
        self.host, self.port = host, port
        self.follow, self.follow_every = follow, follow_every
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def compatible_base_url(self) -> str:
        """For ``OpenAI(base_url=…)`` and ``dashscope.Client(protocol="openai")``."""
        return f"{self.url}/compatible-mode/v1"

    @property
    def native_base_url(self) -> str:
        """For ``dashscope.base_http_api_url`` and ``dashscope.Client(base_url=…)``."""
        return f"{self.url}/api/v1"

    @property
    def state(self) -> MockState:
        """The live state (request log, scenarios); for tests and notebooks in this process."""
        assert self._runner is not None, "the mock is not running: call start() first"
        return self._runner.app[STATE]

    def start(self) -> MockServer:
        """Start serving and return once the port accepts connections."""
        if self._thread:
            return self
        self._thread = threading.Thread(target=self._serve, name="dashscope-mock", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            self._thread = None
            raise RuntimeError(f"the mock could not start on {self.host}:{self.port}: "
                               f"{self._error}. Stop what uses that port, or pass port=0 to "
                               "pick a free one.") from self._error
        return self

    def _serve(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            app = create_app(self.config)
            if self.follow:
                from .follow import install

                install(app, self.follow, self.follow_every)
            self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                         shutdown_timeout=0.5,
                                         keepalive_timeout=self.config.idle_timeout)
            loop.run_until_complete(self._runner.setup())
            quiet_parse_errors(self._runner)
            site = web.TCPSite(self._runner, self.host, self.port)
            loop.run_until_complete(site.start())
            self.port = self._runner.addresses[0][1]
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def stop(self) -> None:
        """Stop serving, close open connections and join the thread."""
        if self._thread and self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def requests(self) -> list[dict[str, Any]]:
        """The request log (as ``GET /_mock/requests`` returns it)."""
        return [dict(entry) for entry in self.state.log]

    def reset(self) -> None:
        """Clear the log, scenarios, rate-limit windows and the id counter."""
        self.state.reset()

    def set_scenario(self, sequence: str, key: str | None = None) -> None:
        """Give ``key`` (every key when None) a default fault sequence; "" clears it."""
        self.state.scenarios.set_default(key, sequence)


def wait_until_ready(url: str, timeout: float = 10.0) -> bool:
    """True once ``url``'s mock answers its health check (for a mock in another process)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_mock/health", timeout=1) as response:
                return json.load(response).get("ok") is True
        except OSError:
            time.sleep(0.05)
    return False

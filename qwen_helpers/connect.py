"""One call to get going: settings loaded, the mock started if needed, every SDK pointed at it.

``connect()`` is the first line of every notebook's setup cell. The name says what it does for
the reader: after it, this kernel is connected to one service — the real one or the mock.
"""

from __future__ import annotations

import atexit
import sys
import threading
from dataclasses import replace

from . import live, messages
from .config import ConfigError, Settings, load_settings, mask_key
from .mock import MockServer, wait_until_ready
from .mock.pace import HEADER as PACE_HEADER

_lock = threading.Lock()
_mock: MockServer | None = None


def connect(settings: Settings | None = None, *, lang: str | None = None, quiet: bool = False,
            check: bool = True) -> Settings:
    """Point the ``openai`` and both ``dashscope`` APIs at the mock or the service; print status.

    ``lang`` (``"en"`` or ``"zh"``) is the language of every message the helpers print from now
    on; each edition's setup cell names its own. Without it, ``QWEN_LANG`` decides (default
    English).

    ``settings`` defaults to :func:`~qwen_helpers.config.load_settings` (environment, then
    ``.env``). In mock mode the in-process mock is started once per process (kernel) and reused
    by later calls — unless ``QWEN_MOCK_URL`` names a mock running elsewhere (a workshop's
    shared mock), which is then checked and used instead. In live mode the region's real URLs
    are used and, unless ``check`` is false, one cheap request (the model list,
    :mod:`qwen_helpers.live`) checks the route, the key and the model: when one fails, a second
    line says what and how to go on — the notebook goes on, and its calls fail with the same
    advice. Inside IPython, SDK failures are shown short (:mod:`qwen_helpers.notebook_errors`).
    Returns the settings with the base URLs filled in.

    **The import-time trap.** ``import dashscope`` copies ``DASHSCOPE_API_KEY`` and the base URL
    (``DASHSCOPE_HTTP_BASE_URL``, else the Beijing host) into the module attributes
    ``dashscope.api_key`` and ``dashscope.base_http_api_url`` *once, when the module is first
    imported*. Setting the environment variable afterwards (``os.environ[...] = …``, or a
    ``load_dotenv()`` in a later cell) changes nothing: ``Generation.call`` reads the module
    attributes at call time, and they still hold the import-time values. So this function
    assigns the attributes themselves, after import, which works whatever was imported when.

    What is set, per stack:

    - ``dashscope`` 1.x module API (``Generation.call``, ``AioGeneration.call``):
      ``dashscope.api_key``, ``dashscope.base_http_api_url`` (native) and
      ``dashscope.base_compatible_api_url`` (its OpenAI-compatible helper). No per-call
      ``base_address`` is needed afterwards.
    - ``dashscope`` 2.0 ``Client``: ``dashscope.settings.api_key`` and
      ``dashscope.settings.base_url`` (the native URL; they beat ``DASHSCOPE_BASE_URL`` and read
      at ``Client()`` time). One base URL serves one protocol only (docs/sources.md §1.3), so a bare
      ``dashscope.Client()`` speaks ``native``; for ``protocol="openai"`` use
      :func:`qwen_helpers.clients.dashscope_client`, which passes the compatible URL.
    - ``openai``: nothing global; it reads ``OPENAI_BASE_URL`` at client construction, not at
      import. Build clients with :func:`qwen_helpers.clients.openai_client`.

    The status line shows the real mock URL, port included, so it can be copied; the test suite
    masks the port when it compares notebook outputs (``notebooks/sanitize.cfg``).
    """
    settings = settings if settings is not None else load_settings()
    if lang is not None:  # else the language stays as it is (QWEN_LANG, or an earlier lang=)
        try:
            settings = replace(settings, lang=messages.check_language(lang, "lang"))
        except messages.LanguageError as error:
            raise ConfigError(str(error)) from None
        messages.set_language(settings.lang)
    if settings.mode == "mock" and settings.mock_url:
        _check_external_mock(settings.mock_url)
    elif settings.mode == "mock":
        server = mock_server(region=settings.region, follow=settings.faults_from)
        settings = _with_urls(settings, server.compatible_base_url, server.native_base_url)
    _point_dashscope(settings)
    problem = None
    if settings.mode == "live" and check:
        problem = live.problem_line(live.check_service(settings), settings)
    from . import notebook_errors  # here: it imports the SDKs, which read HOME at import

    notebook_errors.install(problem)
    if not quiet:
        print(status_line(settings))
        if problem:
            print(problem)
    return settings


def mock_server(**options: object) -> MockServer:
    """The process's mock, started on first use with ``options`` (later calls reuse it)."""
    global _mock
    with _lock:
        if _mock is None:
            server = MockServer(**options).start()
            atexit.register(server.stop)
            _mock = server
        return _mock


def status_line(settings: Settings) -> str:
    """``mode=mock · base_url=http://127.0.0.1:8765/compatible-mode/v1 · model=… · key=…``."""
    url = settings.compatible_base_url or messages.say("connect.not_started")
    return (f"mode={settings.mode} · base_url={url} · model={settings.model} · "
            f"key={mask_key(settings.api_key)}")


def mock_pace(settings: Settings, ttft: float = 0.4, tokens_per_second: float = 30.0
              ) -> dict[str, str]:
    """Headers that ask the mock to answer at a person's reading pace; ``{}`` in live mode.

    The mock answers a course request in milliseconds; a chat demo looks real only when the
    first token comes after a few hundred milliseconds and the rest at tens of tokens a second.
    Both are scaled by ``QWEN_TIME_SCALE``, so a test run stays fast.
    """
    if settings.mode != "mock":
        return {}
    scale = settings.time_scale
    return {PACE_HEADER: f"ttft={ttft * scale:g},tps={tokens_per_second / scale:g}"}


def _check_external_mock(url: str, timeout: float = 5.0) -> None:
    """Raise ConfigError unless the mock at ``url`` answers its health check."""
    if not wait_until_ready(url, timeout):
        raise ConfigError(messages.say("connect.mock_unreachable", url=url,
                                       timeout=f"{timeout:g}"))


def _with_urls(settings: Settings, compatible: str, native: str) -> Settings:
    return replace(settings, compatible_base_url=compatible, native_base_url=native)


def _point_dashscope(settings: Settings) -> None:
    import dashscope

    dashscope.api_key = settings.api_key
    dashscope.base_http_api_url = settings.native_base_url
    dashscope.base_compatible_api_url = settings.compatible_base_url
    dashscope.settings.api_key = settings.api_key
    dashscope.settings.base_url = settings.native_base_url
    # dashscope.chat(...) keeps one lazily built Client for the process; drop it so the next
    # quickstart call is built with the settings above (a private module, so guarded).
    quickstart = sys.modules.get("dashscope.v2._quickstart")
    stale = getattr(quickstart, "_client", None)
    if stale is not None:
        quickstart._client = None
        stale.close()

"""The mock's aiohttp application: the gateway (authentication, the request log) and the routes.

The endpoints live in :mod:`.handlers` (chat, models) and :mod:`.control` (``/_mock/…``); what
the mock remembers in :mod:`.state`; the service's error and header forms in :mod:`.responses`.

A request is handled in the order the service handles it: the gateway checks the key (before
routing, so even an unknown path answers 401 without a key), then the account, then the body is
read and validated, the per-model rate limit is charged, and the answer is generated.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from ..config import mask_key
from . import errors, keys
from .control import delete_requests, get_requests, get_scenario, health, post_scenario
from .handlers import chat, list_models
from .responses import dialect_of, error_response, respond
from .state import (
    CALL,
    COMPATIBLE_CHAT,
    COMPATIBLE_MODELS,
    EPOCH,
    NATIVE_CHAT,
    SERVICE_PREFIXES,
    STATE,
    Call,
    MockConfig,
    MockState,
)

__all__ = ["CALL", "EPOCH", "STATE", "Call", "MockConfig", "MockState", "create_app",
           "quiet_parse_errors"]


def create_app(config: MockConfig | None = None) -> web.Application:
    """The mock as an aiohttp application."""
    state = MockState(config or MockConfig())
    app = web.Application(middlewares=[gateway], client_max_size=state.config.max_body_bytes)
    app[STATE] = state
    app.router.add_post(COMPATIBLE_CHAT, chat)
    app.router.add_post(NATIVE_CHAT, chat)
    app.router.add_get(COMPATIBLE_MODELS, list_models)
    app.router.add_get("/_mock/health", health)
    app.router.add_get("/_mock/requests", get_requests)
    app.router.add_delete("/_mock/requests", delete_requests)
    app.router.add_get("/_mock/scenario", get_scenario)
    app.router.add_post("/_mock/scenario", post_scenario)
    return app


class _QuietHandler(RequestHandler):
    """aiohttp's connection handler, except for a request that is not valid HTTP.

    aiohttp answers such a request with a 400 that quotes the offending line and logs it with a
    traceback at ERROR; the line can be an ``Authorization`` header holding a key (a trailing
    line break, a NUL). The mock answers the same status with a fixed text instead (gate K8).
    """

    __slots__ = ()

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        self.logger.info("refused a request that is not valid HTTP from %s: %s (%s)",
                         request.remote, status, type(exc).__name__)
        response = web.Response(status=status, content_type="text/plain", text=(
            f"{status} Bad Request: not a valid HTTP request ({type(exc).__name__}); "
            "its bytes are not repeated here."))
        response.force_close()
        return response


class _QuietServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _QuietHandler(self, loop=self._loop, **self._kwargs)


def quiet_parse_errors(runner: web.BaseRunner) -> None:
    """After ``runner.setup()``: answer unparseable requests without echoing them (K8)."""
    assert runner.server is not None, "call runner.setup() first"
    runner.server.__class__ = _QuietServer


@web.middleware
async def gateway(request: web.Request, handler) -> web.StreamResponse:
    """Authenticate and log every service request, as the gateway in front of the service does."""
    if not request.path.startswith(SERVICE_PREFIXES):
        return await handler(request)
    state = request.app[STATE]
    request_id = state.next_request_id()
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else ""
    entry: dict[str, Any] = {
        "time": round(time.monotonic() - state.started, 3), "method": request.method,
        "path": request.path, "status": None, "scenario": None, "key": mask_key(key),
        "retry_count": _retry_count(request.headers.get("x-stainless-retry-count")),
        "request_id": request_id, "dialect": dialect_of(request.path),
    }
    request[CALL] = call = Call(request_id, time.time(), entry)
    state.log.append(entry)
    if not key:
        return respond(request, 401, errors.missing_key_body(request_id))
    profile = keys.lookup(key, state.config.keys, state.config.region)
    if profile is None and not state.config.upstream:
        return error_response(request, errors.CATALOG["InvalidApiKey"])
    call.key, call.profile = key, profile or keys.KeyProfile()
    unmatched = request.match_info.http_exception
    if isinstance(unmatched, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(unmatched.allowed_methods))
        response = respond(request, 405, errors.gateway_text(405), "text/plain")
        response.headers["Allow"] = allowed
        return response
    if unmatched is not None:
        # The service's answer to a path it does not serve [3P, docs/sources.md §6.2].
        return error_response(request, errors.invalid_parameter("url error, please check url!"))
    if profile and profile.account_error:
        return error_response(request, errors.CATALOG[profile.account_error])
    try:
        return await handler(request)
    except (asyncio.CancelledError, ConnectionError):
        # aiohttp cancels the handler when the client hangs up: while it sends the body, during
        # a stall, before a stream (a stream notes it itself, after its last event sent).
        if entry.get("outcome") is None:
            entry["outcome"] = "client closed"
        raise


def _retry_count(header: str | None) -> int | None:
    """``x-stainless-retry-count`` as a number; None when absent or not a few ASCII digits
    (``str.isdigit`` accepts "²", which ``int`` refuses: the request would be a 500)."""
    if header and header.isascii() and header.isdigit() and len(header) <= 6:
        return int(header)
    return None

"""Answers in the service's own form: catalogue errors per dialect and the gateway's headers."""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from email.utils import formatdate

from aiohttp import web

from . import errors
from .scenarios import Step
from .state import CALL, STATE


def dialect_of(path: str) -> str:
    return "compatible" if path.startswith("/compatible-mode/") else "native"


def error_response(request: web.Request, error: errors.ServiceError,
                   model: str = "") -> web.Response:
    """The catalogue error in the request's dialect."""
    state, rid = request.app[STATE], request[CALL].request_id
    if dialect_of(request.path) == "compatible":
        body = errors.compat_body(error, rid, model, state.config.region)
    else:
        body = errors.native_body(error, rid, model)
    return respond(request, error.status, body)


def status_response(request: web.Request, step: Step, model: str = "") -> web.Response:
    """A scripted status: the catalogue's error for it, or the gateway's plain text."""
    code = step.code or errors.DEFAULT_FOR_STATUS.get(step.status)
    if code is None:
        return respond(request, step.status, errors.gateway_text(step.status), "text/plain")
    error = errors.CATALOG[code]
    if error.status != step.status:
        error = replace(error, status=step.status)
    return error_response(request, error, model)


VARY = "Origin,Access-Control-Request-Method,Access-Control-Request-Headers, Accept-Encoding"


@functools.lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    """The ``Date`` header for a whole second (formatted once per second, not per request)."""
    return formatdate(second, usegmt=True)


def headers_for(request: web.Request, content_type: str) -> dict[str, str]:
    call = request[CALL]
    now = time.time()
    cost = str(round((now - call.arrived) * 1000))
    return {
        "Content-Type": content_type,
        "x-request-id": call.request_id,
        "x-dashscope-call-gateway": "true",
        "vary": VARY,
        "req-cost-time": cost,
        "req-arrive-time": str(round(call.arrived * 1000)),
        "resp-start-time": str(round(now * 1000)),
        "x-envoy-upstream-service-time": cost,
        "Date": _http_date(int(now)),
        "Server": "istio-envoy",
    }


def respond(request: web.Request, status: int, body: bytes,
             content_type: str = "application/json") -> web.Response:
    call = request.get(CALL)
    if call is not None:
        call.entry["status"] = status
    return web.Response(status=status, body=body, headers=headers_for(request, content_type))

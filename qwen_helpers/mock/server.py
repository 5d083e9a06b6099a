"""The mock's aiohttp application: authentication, routes, timing, faults and the request log.

A request is handled in the order the service handles it: the gateway checks the key (before
routing, so even an unknown path answers 401 without a key), then the account, then the body is
read and validated, the per-model rate limit is charged, and the answer is generated.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from ..config import mask_key
from ..models import CURRENT_MODELS
from . import errors, keys, wire
from .answers import PACKAGE_RECORDINGS, Answer, Recordings, answer, tokens
from .ratelimit import RateLimiter
from .requests import ChatRequest, Rejected, load_body, parse_compatible, parse_native
from .scenarios import MAX_STALL_SECONDS, ScenarioBook, Step

COMPATIBLE_CHAT = "/compatible-mode/v1/chat/completions"
COMPATIBLE_MODELS = "/compatible-mode/v1/models"
NATIVE_CHAT = "/api/v1/services/aigc/text-generation/generation"
SERVICE_PREFIXES = ("/compatible-mode/", "/api/")
EPOCH = 1_764_000_000
"""``created`` of every answer in deterministic mode (2025-11-24 16:00 UTC)."""


@dataclass
class MockConfig:
    """How the mock behaves; every field has a command-line flag of the same name."""

    keys: frozenset[str] = frozenset()
    region: str = "cn-beijing"
    seed: int = 0
    latency: float = 0.0
    """Seconds added before every answer (network and gateway)."""
    ttft: float = 0.05
    """Seconds from the request to the first token."""
    tokens_per_second: float = 400.0
    tokens_per_chunk: int = 1
    rpm: int = 600
    tpm: int = 1_000_000
    rate_window: float = 60.0
    max_body_bytes: int = 16 * 1024 * 1024
    """The service refuses bodies over 16 MiB with 413 (reference §3.1)."""
    recordings: tuple[Path, ...] = (PACKAGE_RECORDINGS,)
    record_to: Path | None = None
    upstream: str | None = None
    """Record mode: forward to this base URL (``https://dashscope.aliyuncs.com``)."""
    deterministic: bool = True
    log_size: int = 10_000

    def __post_init__(self) -> None:
        """Refuse a configuration the mock cannot serve, before it starts (gate M7)."""
        finite, wait = math.isfinite, f"0 to {MAX_STALL_SECONDS:g} s"
        rules = (("latency", 0 <= self.latency <= MAX_STALL_SECONDS, wait),
                 ("ttft", 0 <= self.ttft <= MAX_STALL_SECONDS, wait),
                 ("tokens_per_second", self.tokens_per_second > 0 and finite(
                     self.tokens_per_second), "above 0"),
                 ("tokens_per_chunk", self.tokens_per_chunk >= 1, "1 or more"),
                 ("rpm", self.rpm >= 1, "1 or more"), ("tpm", self.tpm >= 1, "1 or more"),
                 ("rate_window", self.rate_window > 0 and finite(self.rate_window), "above 0"),
                 ("max_body_bytes", self.max_body_bytes >= 1, "1 or more"),
                 ("log_size", self.log_size >= 1, "1 or more"))
        wrong = [f"{name}={getattr(self, name)!r} (allowed: {allowed})"
                 for name, ok, allowed in rules if not ok]
        if wrong:
            raise ValueError(f"the mock cannot run with {'; '.join(wrong)}. Fix the value; the "
                             "mock was not started.")


@dataclass
class MockState:
    """Everything the mock remembers between requests."""

    config: MockConfig
    recordings: Recordings = field(init=False)
    scenarios: ScenarioBook = field(default_factory=ScenarioBook)
    limiter: RateLimiter = field(init=False)
    log: deque = field(init=False)
    counter: int = 0
    started: float = field(default_factory=time.monotonic)
    active_streams: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        tokens("warm up")  # load the tokenizer now, not inside the first request's timing
        self.recordings = Recordings(list(self.config.recordings))
        self.limiter = RateLimiter(self.config.rate_window)
        self.log = deque(maxlen=self.config.log_size)

    def next_request_id(self) -> str:
        """A request id: random, or stable for the same sequence of requests."""
        with self.lock:
            self.counter += 1
            if not self.config.deterministic:
                return str(uuid.uuid4())
            digest = hashlib.sha256(f"{self.config.seed}:{self.counter}".encode()).digest()
            return str(uuid.UUID(bytes=digest[:16], version=4))

    def created(self) -> int:
        return EPOCH + self.counter if self.config.deterministic else int(time.time())

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.counter = 0
            self.started = time.monotonic()
        self.scenarios.reset()
        self.limiter.reset()


STATE = web.AppKey("state", MockState)


@dataclass
class Call:
    """What the gateway learnt about one request, for the handlers after it."""

    request_id: str
    arrived: float
    entry: dict[str, Any]
    """This request's line in the request log."""
    key: str = ""
    profile: keys.KeyProfile = field(default_factory=keys.KeyProfile)


CALL = web.RequestKey("call", Call)


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


def _dialect(path: str) -> str:
    return "compatible" if path.startswith("/compatible-mode/") else "native"


def error_response(request: web.Request, error: errors.ServiceError,
                   model: str = "") -> web.Response:
    """The catalogue error in the request's dialect."""
    state, rid = request.app[STATE], request[CALL].request_id
    if _dialect(request.path) == "compatible":
        body = errors.compat_body(error, rid, model, state.config.region)
    else:
        body = errors.native_body(error, rid, model)
    return _respond(request, error.status, body)


def status_response(request: web.Request, step: Step, model: str = "") -> web.Response:
    """A scripted status: the catalogue's error for it, or the gateway's plain text."""
    code = step.code or errors.DEFAULT_FOR_STATUS.get(step.status)
    if code is None:
        return _respond(request, step.status, errors.gateway_text(step.status), "text/plain")
    error = errors.CATALOG[code]
    if error.status != step.status:
        error = replace(error, status=step.status)
    return error_response(request, error, model)


VARY = "Origin,Access-Control-Request-Method,Access-Control-Request-Headers, Accept-Encoding"


@functools.lru_cache(maxsize=2)
def _http_date(second: int) -> str:
    """The ``Date`` header for a whole second (formatted once per second, not per request)."""
    return formatdate(second, usegmt=True)


def _headers(request: web.Request, content_type: str) -> dict[str, str]:
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


def _respond(request: web.Request, status: int, body: bytes,
             content_type: str = "application/json") -> web.Response:
    call = request.get(CALL)
    if call is not None:
        call.entry["status"] = status
    return web.Response(status=status, body=body, headers=_headers(request, content_type))


@web.middleware
async def gateway(request: web.Request, handler) -> web.StreamResponse:
    """Authenticate and log every service request, as the gateway in front of the service does."""
    if not request.path.startswith(SERVICE_PREFIXES):
        return await handler(request)
    state = request.app[STATE]
    request_id = state.next_request_id()
    retry = request.headers.get("x-stainless-retry-count")
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else ""
    entry: dict[str, Any] = {
        "time": round(time.monotonic() - state.started, 3), "method": request.method,
        "path": request.path, "status": None, "scenario": None, "key": mask_key(key),
        "retry_count": int(retry) if retry and retry.isdigit() else None,
        "request_id": request_id, "dialect": _dialect(request.path),
    }
    request[CALL] = call = Call(request_id, time.time(), entry)
    state.log.append(entry)
    if not key:
        return _respond(request, 401, errors.missing_key_body(request_id))
    profile = keys.lookup(key, state.config.keys, state.config.region)
    if profile is None and not state.config.upstream:
        return error_response(request, errors.CATALOG["InvalidApiKey"])
    call.key, call.profile = key, profile or keys.KeyProfile()
    unmatched = request.match_info.http_exception
    if isinstance(unmatched, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(unmatched.allowed_methods))
        response = _respond(request, 405, errors.gateway_text(405), "text/plain")
        response.headers["Allow"] = allowed
        return response
    if unmatched is not None:
        # The service's answer to a path it does not serve [3P, reference §6.2].
        return error_response(request, errors.invalid_parameter("url error, please check url!"))
    if profile and profile.account_error:
        return error_response(request, errors.CATALOG[profile.account_error])
    return await handler(request)


async def list_models(request: web.Request) -> web.Response:
    """E11 (shape UNCONFIRMED): the current models in OpenAI's list shape."""
    data = [{"id": name, "object": "model", "created": EPOCH, "owned_by": "system"}
            for name in CURRENT_MODELS]
    return _respond(request, 200, wire.dumps({"object": "list", "data": data}).encode())


async def chat(request: web.Request) -> web.StreamResponse:
    """Both chat endpoints: scenario, validation, rate limit, answer."""
    state = request.app[STATE]
    entry = request[CALL].entry
    try:
        step = state.scenarios.next_step(request[CALL].key, request.headers.get("X-Mock-Scenario"))
    except ValueError as exc:
        return _respond(request, 400, f"X-Mock-Scenario: {exc}".encode(), "text/plain")
    entry["scenario"] = str(step) if step else None
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _respond(request, 413, errors.gateway_text(413), "text/plain")
    if state.config.upstream:
        from .record import forward

        return await forward(request, raw)
    native_stream = (request.headers.get("X-DashScope-SSE", "").lower() == "enable"
                     or "text/event-stream" in request.headers.get("Accept", ""))
    try:
        body = load_body(raw)
        chat_request = (parse_compatible(body) if entry["dialect"] == "compatible"
                        else parse_native(body, native_stream))
    except Rejected as rejected:
        if step and step.kind == "status" and step.status != 200:
            return status_response(request, step, rejected.model)
        return error_response(request, rejected.error, rejected.model)
    entry["model"], entry["stream"] = chat_request.model, chat_request.stream
    if step and step.kind == "status" and step.status != 200:
        return status_response(request, step, chat_request.model)
    if step and step.kind == "drop":
        request.transport.close()
        return web.Response(status=500)
    result = answer(chat_request, state.recordings)
    entry["recording"] = result.recording
    limit = CURRENT_MODELS[chat_request.model].max_input_tokens
    if result.input_tokens > limit:
        return error_response(request, errors.invalid_parameter(
            f"Range of input length should be [1, {limit}]"))
    profile = request[CALL].profile
    throttled = state.limiter.check(request[CALL].key, chat_request.model, result.input_tokens,
                                    profile.rpm or state.config.rpm,
                                    profile.tpm or state.config.tpm)
    if throttled:
        return error_response(request, errors.CATALOG[throttled])
    state.limiter.add_output(request[CALL].key, chat_request.model, result.output_tokens)
    entry["usage"] = {"input_tokens": result.input_tokens, "output_tokens": result.output_tokens}
    config = state.config
    await _pause(config.latency + (step.arg if step and step.kind == "stall" else 0))
    if chat_request.stream:
        return await _stream(request, chat_request, result, step)
    await _pause(config.ttft + result.output_tokens / config.tokens_per_second)
    return _complete(request, chat_request, result, step)


async def _pause(seconds: float) -> None:
    """Sleep, but not for nothing: a zero wait should cost nothing under load."""
    if seconds > 1e-4:
        await asyncio.sleep(seconds)


def _complete(request: web.Request, chat_request: ChatRequest, result: Answer,
              step: Step | None) -> web.StreamResponse:
    state = request.app[STATE]
    if chat_request.dialect == "compatible":
        data = wire.compat_json(chat_request, result, request[CALL].request_id, state.created())
    else:
        data = wire.native_json(chat_request, result, request[CALL].request_id)
    body = wire.dumps(data).encode()
    if step and step.kind == "malformed":
        body = body[: len(body) // 2]
    if step and step.kind == "cut":
        request[CALL].entry["status"] = 200
        return _CutResponse(body, _headers(request, "application/json"))
    return _respond(request, 200, body)


class _CutResponse(web.Response):
    """A 200 whose body stops half-way: the connection closes under the client."""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(status=200, headers=headers)
        self._full = body

    async def prepare(self, request: web.BaseRequest):
        self.content_length = len(self._full)
        writer = await super().prepare(request)
        await self.write(self._full[: len(self._full) // 2])
        request.transport.close()
        return writer

    async def write_eof(self, data: bytes = b"") -> None:
        return None


async def _stream(request: web.Request, chat_request: ChatRequest, result: Answer,
                  step: Step | None) -> web.StreamResponse:
    """An answer as server-sent events, paced by the configured timing, with scripted faults."""
    state = request.app[STATE]
    config, rid, entry = state.config, request[CALL].request_id, request[CALL].entry
    response = web.StreamResponse(status=200, headers=_headers(request, wire.SSE_CONTENT_TYPE))
    entry["status"] = 200
    compatible = chat_request.dialect == "compatible"
    if compatible:
        events = wire.compat_events(chat_request, result, rid, state.created(),
                                    config.tokens_per_chunk)
    else:
        events = [wire.native_sse(n, e) for n, e in enumerate(wire.native_events(
            chat_request, result, rid, config.tokens_per_chunk), start=1)]
    fault_at = step.arg if step and step.kind in ("cut", "freeze", "malformed", "error") else None
    per_chunk = config.tokens_per_chunk / config.tokens_per_second
    first_token = 1 if compatible else 0  # a compatible stream opens with a role-only chunk
    loop = asyncio.get_running_loop()
    state.active_streams += 1
    try:
        await response.prepare(request)
        started, due, ready = loop.time(), 0.0, []
        for number, event in enumerate(events):
            if number == fault_at:
                if ready:
                    await response.write(b"".join(ready))
                entry["outcome"] = step.kind
                await _fault(request, response, step, chat_request, number)
                return response
            if number >= first_token:
                due += config.ttft if number == first_token else per_chunk
            # Each event is due at a time fixed from the start (no drift from late wake-ups).
            # Events due within the timer's resolution go out together in one write.
            wait = started + due - loop.time()
            if wait >= PACE_RESOLUTION:
                if ready:
                    await response.write(b"".join(ready))
                    ready.clear()
                await asyncio.sleep(wait)
            ready.append(event)
        if ready:
            await response.write(b"".join(ready))
        entry["outcome"] = "complete"
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        entry["outcome"] = "client closed"
    finally:
        state.active_streams -= 1
    return response


async def _fault(request: web.Request, response: web.StreamResponse, step: Step,
                 chat_request: ChatRequest, number: int) -> None:
    """Break a stream that has sent ``number`` events, the way the step says."""
    rid = request[CALL].request_id
    if step.kind == "malformed":
        bad = b'data: {"choices": [{"delta": {"content": "unterminated\n\n'
        if chat_request.dialect == "native":
            bad = f"id:{number + 1}\nevent:result\n:HTTP_STATUS/200\ndata:{{\"output\":{{\n\n"
            bad = bad.encode()
        await response.write(bad)
        await response.write_eof()
    elif step.kind == "error":
        error = errors.CATALOG["DataInspectionFailed"].with_message(
            "Output data may contain inappropriate content.")
        if chat_request.dialect == "native":
            data = {"request_id": rid, "code": error.code, "message": error.message}
            await response.write(wire.native_sse(number + 1, data, "error", error.status))
        else:
            body = errors.compat_body(error, rid)
            await response.write(b"data: " + body + b"\n\n")
        await response.write_eof()
    elif step.kind == "freeze":
        await asyncio.sleep(FREEZE_SECONDS)
        request.transport.close()
    else:  # cut
        request.transport.close()


PACE_RESOLUTION = 0.001
"""Shorter waits between stream events are not slept: the event loop's timer cannot wait less
than about a millisecond, so such events are written together and the pace evens out."""
FREEZE_SECONDS = 30.0
"""How long a frozen stream stays silent before the mock closes it (a client times out first)."""


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def get_requests(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response({"requests": [dict(e) for e in list(state.log)],
                              "active_streams": state.active_streams})


async def delete_requests(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"cleared": True})


async def get_scenario(request: web.Request) -> web.Response:
    return web.json_response({"defaults": request.app[STATE].scenarios.defaults()})


async def post_scenario(request: web.Request) -> web.Response:
    """Set a key's default sequence: ``{"key": "mock-key-valid", "sequence": "429,200"}``.

    Without ``key`` the sequence applies to every key; an empty sequence clears it.
    """
    try:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("sequence", ""), str):
            raise ValueError('send {"key": "…", "sequence": "429,200"}')
        key = body.get("key")
        if key is not None and not isinstance(key, str):
            raise ValueError("key must be a string")
        steps = request.app[STATE].scenarios.set_default(key, body.get("sequence", ""))
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"key": key or "*", "steps": [str(s) for s in steps]})

"""The chat and model-list endpoints: scenario, validation, rate limit, answer, pacing, faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from ..models import CURRENT_MODELS
from . import errors, wire
from . import pace as pacing
from .answers import Answer, answer, prompt_over
from .requests import (
    LARGE_BODY_BYTES,
    ChatRequest,
    Rejected,
    check_tool_turns,
    load_body,
    parse_compatible,
    parse_native,
)
from .responses import error_response, headers_for, respond, status_response
from .scenarios import Step
from .state import CALL, EPOCH, STATE

T = TypeVar("T")


async def list_models(request: web.Request) -> web.Response:
    """E11 (shape UNCONFIRMED): the current models in OpenAI's list shape."""
    data = [{"id": name, "object": "model", "created": EPOCH, "owned_by": "system"}
            for name in CURRENT_MODELS]
    return respond(request, 200, wire.dumps({"object": "list", "data": data}).encode())


async def chat(request: web.Request) -> web.StreamResponse:
    """Both chat endpoints: scenario, validation, rate limit, answer."""
    state = request.app[STATE]
    entry = request[CALL].entry
    try:
        step = state.scenarios.next_step(request[CALL].key, request.headers.get("X-Mock-Scenario"))
    except ValueError as exc:
        return respond(request, 400, f"X-Mock-Scenario: {exc}".encode(), "text/plain")
    entry["scenario"] = str(step) if step else None
    try:
        pace = pacing.parse(request.headers.get(pacing.HEADER), pacing.Pace(
            state.config.ttft, state.config.tokens_per_second))
    except ValueError as exc:
        return respond(request, 400, str(exc).encode(), "text/plain")
    try:
        raw = await read_body(request)
    except web.HTTPRequestEntityTooLarge:
        return respond(request, 413, errors.gateway_text(413), "text/plain")
    except asyncio.TimeoutError:
        # What the real gateway answers a body that stops coming is UNCONFIRMED: the mock
        # answers 408 in the gateway's plain form, like the other statuses outside the catalogue.
        return await closing(request, respond(request, 408, errors.gateway_text(408),
                                              "text/plain"))
    if state.config.upstream:
        from .record import forward

        return await forward(request, raw)
    native_stream = (request.headers.get("X-DashScope-SSE", "").lower() == "enable"
                     or "text/event-stream" in request.headers.get("Accept", ""))
    def parse() -> ChatRequest:
        body = load_body(raw)
        return (parse_compatible(body) if entry["dialect"] == "compatible"
                else parse_native(body, native_stream))

    try:
        chat_request = await _off_the_loop(len(raw), parse)
    except Rejected as rejected:
        if step and step.kind == "status" and step.status != 200:
            return status_response(request, step, rejected.model)
        return error_response(request, rejected.error, rejected.model)
    entry["model"], entry["stream"] = chat_request.model, chat_request.stream
    if step and step.kind == "status" and step.status != 200:
        return status_response(request, step, chat_request.model)
    if step and step.kind == "drop":
        entry["outcome"] = "drop"
        request.transport.close()
        return web.Response(status=500)
    limit = CURRENT_MODELS[chat_request.model].max_input_tokens
    too_long = errors.invalid_parameter(f"Range of input length should be [1, {limit}]")
    if len(raw) > LARGE_BODY_BYTES and await asyncio.to_thread(
            prompt_over, chat_request.messages, limit, chat_request.params.get("tools")):
        return error_response(request, too_long)
    try:
        check_tool_turns(chat_request)
    except Rejected as rejected:
        return error_response(request, rejected.error, rejected.model)
    result = await _off_the_loop(len(raw), answer, chat_request, state.recordings)
    entry["recording"] = result.recording
    if result.input_tokens > limit:
        return error_response(request, too_long)
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
        return await _stream(request, chat_request, result, step, pace)
    await _pause(pace.ttft + result.output_tokens / pace.tokens_per_second)
    return _complete(request, chat_request, result, step)


async def read_body(request: web.Request) -> bytes:
    """The whole body; asyncio.TimeoutError when it has not all come within the mock's
    ``idle_timeout`` (aiohttp itself waits for a promised body as long as the client likes)."""
    return await asyncio.wait_for(request.read(), request.app[STATE].config.idle_timeout)


async def closing(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Send the response, then close the connection (aiohttp would linger 10 s more, reading
    the rest of a body that is not coming)."""
    await response.prepare(request)
    await response.write_eof()
    if request.transport is not None:
        request.transport.close()
    return response


async def _off_the_loop(size: int, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)``: in a worker thread for a body over :data:`LARGE_BODY_BYTES`, so that one
    large request does not hold up every other client (the health check included); else here
    (a thread costs more). A large body's prompt is also checked against the model's limit
    without counting all of it (:func:`~.answers.prompt_over`)."""
    if size > LARGE_BODY_BYTES:
        return await asyncio.to_thread(work, *args)
    return work(*args)


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
        request[CALL].entry.update(status=200, outcome="cut")
        return _CutResponse(body, headers_for(request, "application/json"))
    return respond(request, 200, body)


class _CutResponse(web.StreamResponse):
    """A 200 that promises the whole body (``Content-Length``) and sends half of it: the
    connection closes under the client. (A ``web.Response`` sets its own length.)"""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(status=200, headers=headers)
        self._full = body
        self.content_length = len(body)

    async def prepare(self, request: web.BaseRequest):
        writer = await super().prepare(request)
        await self.write(self._full[: len(self._full) // 2])
        request.transport.close()
        return writer

    async def write_eof(self, data: bytes = b"") -> None:
        return None


async def _stream(request: web.Request, chat_request: ChatRequest, result: Answer,
                  step: Step | None, pace: pacing.Pace) -> web.StreamResponse:
    """An answer as server-sent events, paced by the configured timing, with scripted faults."""
    state = request.app[STATE]
    config, rid, entry = state.config, request[CALL].request_id, request[CALL].entry
    response = web.StreamResponse(status=200, headers=headers_for(request, wire.SSE_CONTENT_TYPE))
    entry["status"] = 200
    compatible = chat_request.dialect == "compatible"
    if compatible:
        events = wire.compat_events(chat_request, result, rid, state.created(),
                                    config.tokens_per_chunk)
    else:
        events = [wire.native_sse(n, e) for n, e in enumerate(wire.native_events(
            chat_request, result, rid, config.tokens_per_chunk), start=1)]
    fault_at = step.arg if step and step.kind in ("cut", "freeze", "malformed", "error") else None
    per_chunk = config.tokens_per_chunk / pace.tokens_per_second
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
                due += pace.ttft if number == first_token else per_chunk
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
    except asyncio.CancelledError:  # aiohttp cancels the handler when the client hangs up
        entry["outcome"] = "client closed"
        raise
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

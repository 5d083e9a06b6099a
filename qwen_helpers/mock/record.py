"""Record mode: forward a request to the real service with the caller's key, save the answer.

What is saved is the canonical request (model, messages, answer-changing parameters) and the
answer's text — built from the bodies, never from the headers — so a recording cannot hold the
key. The caller's ``Authorization`` header goes upstream and nowhere else. A stream is passed
on once it is complete: record mode makes recordings, it does not reproduce timing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from .requests import ChatRequest, Rejected, load_body, parse_compatible, parse_native

FORWARDED_HEADERS = ("authorization", "content-type", "accept", "x-dashscope-sse",
                     "x-dashscope-workspace")
KEPT_RESPONSE_HEADERS = ("content-type", "x-request-id")


async def forward(request: web.Request, raw: bytes) -> web.StreamResponse:
    """Pass one chat request to the upstream, record its answer, and pass the answer back."""
    from .server import CALL, STATE

    state = request.app[STATE]
    entry = request[CALL].entry
    url = state.config.upstream.rstrip("/") + request.path_qs
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
    timeout = aiohttp.ClientTimeout(total=600, sock_connect=10)
    response: web.StreamResponse | None = None
    try:
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
            async with session.post(url, data=raw, headers=headers) as upstream:
                kept = {k: v for k, v in upstream.headers.items()
                        if k.lower() in KEPT_RESPONSE_HEADERS}
                response = web.StreamResponse(status=upstream.status, headers=kept)
                entry["status"] = upstream.status
                await response.prepare(request)
                body = await upstream.read()
                # Saved before the answer is passed on: a client may hang up right after [DONE].
                if upstream.status == 200:
                    is_stream = "event-stream" in upstream.headers.get("content-type", "")
                    entry["recording"] = _save(request, raw, body, is_stream)
                await response.write(body)
                await response.write_eof()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        if response is not None and response.prepared:
            raise  # the answer had begun: the client sees the cut
        entry["status"] = 502  # a gateway that cannot reach its upstream, not a mock failure
        return web.Response(status=502, content_type="text/plain", text=(
            f"record mode: the upstream {state.config.upstream} could not be reached "
            f"({type(exc).__name__}). Check its address and the network, then try again."))
    return response


def _save(request: web.Request, raw: bytes, body: bytes, is_stream: bool) -> str | None:
    from .server import STATE

    state = request.app[STATE]
    try:
        parsed = load_body(raw)
        chat = (parse_compatible(parsed) if request.path.startswith("/compatible-mode/")
                else parse_native(parsed, is_stream))
        answer = extract_answer(chat, body, is_stream)
    except (Rejected, ValueError, KeyError, IndexError, TypeError):
        return None
    folder = state.config.record_to
    if folder is None:
        return None
    path = state.recordings.add(chat.canonical(), answer, folder, source=f"recorded from "
                                f"{state.config.upstream}")
    return path.name


def _events(body: bytes) -> list[dict[str, Any]]:
    """The JSON data of every SSE event in a body (either dialect's framing)."""
    out = []
    for line in body.decode("utf-8").splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if data and data != "[DONE]":
                out.append(json.loads(data))
    return out


def extract_answer(chat: ChatRequest, body: bytes, is_stream: bool) -> dict[str, Any]:
    """The answer in a recording's form, from a JSON body or an SSE stream of either dialect."""
    answer: dict[str, Any] = {"content": "", "finish_reason": "stop"}
    reasoning = ""
    if not is_stream:
        data = json.loads(body)
        if chat.dialect == "compatible":
            choice = data["choices"][0]
            message = choice["message"]
        elif "text" in data["output"]:
            choice, message = data["output"], {"content": data["output"]["text"]}
        else:
            choice = data["output"]["choices"][0]
            message = choice["message"]
        answer["content"] = message.get("content") or ""
        answer["finish_reason"] = choice.get("finish_reason") or "stop"
        reasoning = message.get("reasoning_content") or ""
        if message.get("tool_calls"):
            answer["tool_calls"] = message["tool_calls"]
    else:
        for event in _events(body):
            if chat.dialect == "compatible":
                if not event.get("choices"):
                    continue
                choice = event["choices"][0]
                delta = choice.get("delta") or {}
                answer["content"] += delta.get("content") or ""
                reasoning += delta.get("reasoning_content") or ""
            else:
                output = event["output"]
                choice = output["choices"][0] if "choices" in output else output
                message = choice.get("message", {"content": choice.get("text")})
                text, thought = message.get("content") or "", message.get("reasoning_content") or ""
                answer["content"] = answer["content"] + text if chat.incremental else text or \
                    answer["content"]
                reasoning = reasoning + thought if chat.incremental else thought or reasoning
            if choice.get("finish_reason") not in (None, "null"):
                answer["finish_reason"] = choice["finish_reason"]
    if reasoning:
        answer["reasoning_content"] = reasoning
    return answer

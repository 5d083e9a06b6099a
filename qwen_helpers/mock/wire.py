"""An answer in each dialect's wire format: JSON bodies and server-sent events (SSE).

Shapes follow the examples in docs/sources.md E1, E3, E4, E7 and E8 (§4, §5, §11):

- compatible JSON: ``choices`` … ``id`` (``chatcmpl-`` + request id), ``usage`` with
  ``prompt_tokens``/``completion_tokens``;
- compatible SSE: ``data: {chunk}`` events; a role-only first chunk, a last choice chunk with
  ``finish_reason``, an optional usage-only chunk (``choices: []``), then ``data: [DONE]``;
- native JSON: ``output`` (``choices`` or ``text``), ``usage`` with ``input_tokens``/
  ``output_tokens``, ``request_id``;
- native SSE: ``id:N``, ``event:result``, ``:HTTP_STATUS/200``, ``data:{…}`` (no space);
  ``finish_reason`` is the *string* ``"null"`` until the end, usage is cumulative, no ``[DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .answers import Answer, pieces
from .requests import ChatRequest

SSE_CONTENT_TYPE = "text/event-stream;charset=UTF-8"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Built once: ``json.dumps`` with these options builds a new encoder on every call."""
_C_ENCODE = (json.encoder.c_make_encoder(None, _ENCODER.default, json.encoder.encode_basestring,
                                         None, ":", ",", False, False, True)
             if json.encoder.c_make_encoder is not None else None)
"""CPython's C encoder with the same options, also built once (``JSONEncoder.encode`` builds
one per call); no circular-reference check, since the mock only encodes data it built."""


def dumps(data: Any) -> str:
    """Compact JSON with non-ASCII text as is, as the service writes it."""
    if _C_ENCODE is not None and isinstance(data, (dict, list)):
        return "".join(_C_ENCODE(data, 0))
    return _ENCODER.encode(data)


def _message(answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.reasoning is not None:
        message["reasoning_content"] = answer.reasoning
    if answer.tool_calls:
        message["tool_calls"] = answer.tool_calls
    return message


def compat_usage(answer: Answer, output_tokens: int | None = None) -> dict[str, Any]:
    out = answer.output_tokens if output_tokens is None else output_tokens
    return {"prompt_tokens": answer.input_tokens, "completion_tokens": out,
            "total_tokens": answer.input_tokens + out,
            "prompt_tokens_details": {"cached_tokens": 0}}


def native_usage(answer: Answer, output_tokens: int | None = None) -> dict[str, Any]:
    """Native usage; a thinking answer adds ``output_tokens_details.reasoning_tokens`` (in
    captures of the native dialect; the compatible dialect's equivalent is UNCONFIRMED)."""
    out = answer.output_tokens if output_tokens is None else output_tokens
    usage = {"total_tokens": answer.input_tokens + out, "output_tokens": out,
             "input_tokens": answer.input_tokens, "prompt_tokens_details": {"cached_tokens": 0}}
    if answer.reasoning is not None:
        usage["output_tokens_details"] = {"reasoning_tokens": min(answer.reasoning_tokens, out)}
    return usage


def compat_json(request: ChatRequest, answer: Answer, request_id: str, created: int) -> dict:
    """E1: a compatible-mode chat completion."""
    choices = [{"message": _message(answer), "finish_reason": answer.finish_reason, "index": i,
                "logprobs": None} for i in range(answer.choices)]
    return {"choices": choices, "object": "chat.completion", "usage": compat_usage(answer),
            "created": created, "system_fingerprint": None, "model": request.model,
            "id": f"chatcmpl-{request_id}"}


def native_json(request: ChatRequest, answer: Answer, request_id: str) -> dict:
    """E7: a native generation result, ``message`` or ``text`` format."""
    if request.result_format == "text":
        output: dict[str, Any] = {"finish_reason": answer.finish_reason, "text": answer.content}
    else:
        output = {"choices": [{"finish_reason": answer.finish_reason,
                               "message": _message(answer)} for _ in range(answer.choices)]}
    return {"output": output, "usage": native_usage(answer), "request_id": request_id}


def _phases(answer: Answer, tokens_per_piece: int) -> Iterator[tuple[str, str]]:
    """(field, piece) pairs in the order a model produces them: reasoning, then the answer."""
    if answer.reasoning:
        for piece in pieces(answer.reasoning, tokens_per_piece):
            yield "reasoning_content", piece
    for piece in pieces(answer.content, tokens_per_piece):
        yield "content", piece


def _chunk(request: ChatRequest, request_id: str, created: int, choices: list,
           usage: Any = None) -> dict[str, Any]:
    return {"choices": choices, "object": "chat.completion.chunk", "usage": usage,
            "created": created, "system_fingerprint": None, "model": request.model,
            "id": f"chatcmpl-{request_id}"}


def _choice(delta: dict, finish: str | None = None) -> list[dict[str, Any]]:
    return [{"delta": delta, "finish_reason": finish, "index": 0, "logprobs": None}]


def tool_call_head(call: dict[str, Any], arguments: str = "") -> dict[str, Any]:
    """The first piece of a streamed tool call: index, id, type, name and the first arguments."""
    return {"index": call["index"], "id": call["id"], "type": "function",
            "function": {"name": call["function"]["name"], "arguments": arguments}}


def tool_call_piece(call: dict[str, Any], arguments: str) -> dict[str, Any]:
    """A later piece: more arguments, an empty ``id``, no name (docs/sources.md §5.1)."""
    return {"function": {"arguments": arguments}, "index": call["index"], "id": "",
            "type": "function"}


def _copy(call: dict[str, Any]) -> dict[str, Any]:
    """A call as it stands now: a cumulative event must not change when the call grows."""
    return {**call, "function": dict(call["function"])}


def tool_call_parts(call: dict[str, Any], tokens_per_piece: int) -> list[dict[str, Any]]:
    """A tool call as the pieces a stream carries: the head, then the rest of the arguments."""
    rest = pieces(call["function"]["arguments"], tokens_per_piece) or [""]
    return [tool_call_head(call, rest[0])] + [tool_call_piece(call, p) for p in rest[1:]]


def compat_chunks(request: ChatRequest, answer: Answer, request_id: str, created: int,
                  tokens_per_piece: int = 1) -> Iterator[dict[str, Any]]:
    """E3/E4: the chunks of a compatible stream, before ``[DONE]``."""
    def chunk(choices: list, usage: Any = None) -> dict[str, Any]:
        return _chunk(request, request_id, created, choices, usage)

    choice = _choice
    thinking = answer.reasoning is not None
    calls_only = bool(answer.tool_calls) and not answer.content and not thinking
    if not calls_only:  # a call-only answer opens with its first call (below)
        first = ({"content": None, "role": "assistant", "reasoning_content": ""} if thinking
                 else {"content": "", "role": "assistant"})
        yield chunk(choice(first))
    for name, piece in _phases(answer, tokens_per_piece):
        if thinking:
            other = "content" if name == "reasoning_content" else "reasoning_content"
            yield chunk(choice({name: piece, other: None}))
        else:
            yield chunk(choice({name: piece}))
    for call in answer.tool_calls or []:
        for number, part in enumerate(tool_call_parts(call, tokens_per_piece)):
            if calls_only and call["index"] == 0 and number == 0:
                yield chunk(choice({"content": None, "tool_calls": [part], "role": "assistant"}))
            else:
                yield chunk(choice({"tool_calls": [part]}))
    yield chunk(choice({} if answer.tool_calls else {"content": ""}, answer.finish_reason))
    if request.include_usage:
        yield chunk([], {k: v for k, v in compat_usage(answer).items()})


def compat_events(request: ChatRequest, answer: Answer, request_id: str, created: int,
                  tokens_per_piece: int = 1) -> list[bytes]:
    """E3/E4 as sent: every event of a compatible stream, ``[DONE]`` last.

    The same bytes as :func:`compat_sse` over :func:`compat_chunks`. For a plain-text answer
    (no reasoning, no tool calls) each piece's event is a template — cut once per stream from
    an event framed the general way — around the piece's JSON string, instead of a chunk built
    and encoded whole; ``tests/test_mock_wire.py`` holds the two ways equal.
    """
    if answer.reasoning is not None or answer.tool_calls:
        chunks = compat_chunks(request, answer, request_id, created, tokens_per_piece)
        return [*map(compat_sse, chunks), compat_sse("[DONE]")]
    marker = "\x00piece\x00"
    framed = compat_sse(_chunk(request, request_id, created, _choice({"content": marker})))
    head, tail = framed.decode().split(dumps(marker))
    events = [compat_sse(_chunk(request, request_id, created,
                                _choice({"content": "", "role": "assistant"})))]
    events += [f"{head}{dumps(piece)}{tail}".encode()
               for piece in pieces(answer.content, tokens_per_piece)]
    events.append(compat_sse(_chunk(request, request_id, created,
                                    _choice({"content": ""}, answer.finish_reason))))
    if request.include_usage:
        events.append(compat_sse(_chunk(request, request_id, created, [],
                                        compat_usage(answer))))
    return [*events, compat_sse("[DONE]")]


def native_events(request: ChatRequest, answer: Answer, request_id: str,
                  tokens_per_piece: int = 1) -> Iterator[dict[str, Any]]:
    """E8: the data of each native stream event, incremental or cumulative."""
    from .answers import tokens

    so_far = {"content": "", "reasoning_content": ""}
    used = 0

    def event(content: str, reasoning: str | None, finish: str,
              calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        usage = native_usage(answer, used)
        if request.result_format == "text":
            return {"output": {"text": content, "finish_reason": finish}, "usage": usage,
                    "request_id": request_id}
        message: dict[str, Any] = {"content": content, "role": "assistant"}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        if calls:
            message["tool_calls"] = calls
        return {"output": {"choices": [{"message": message, "finish_reason": finish}]},
                "usage": usage, "request_id": request_id}

    thinking = answer.reasoning is not None
    for name, piece in _phases(answer, tokens_per_piece):
        so_far[name] += piece
        used = min(used + len(tokens(piece)), answer.output_tokens)
        shown = piece if request.incremental else so_far[name]
        if name == "content":
            yield event(shown, "" if thinking else None, "null")
        else:
            yield event("", shown, "null")
    done: list[dict[str, Any]] = []
    for call in answer.tool_calls or []:
        if request.result_format == "text":
            break
        so_far_call = tool_call_head(call)
        for part in tool_call_parts(call, tokens_per_piece):
            so_far_call["function"]["arguments"] += part["function"]["arguments"]
            shown_calls = [part] if request.incremental else [*done, _copy(so_far_call)]
            yield event("" if request.incremental else so_far["content"],
                        "" if thinking else None, "null", shown_calls)
        done.append(so_far_call)
    used = answer.output_tokens
    if request.incremental:
        yield event("", "" if thinking else None, answer.finish_reason)
    else:
        yield event(so_far["content"], so_far["reasoning_content"] if thinking else None,
                    answer.finish_reason, done)


def compat_sse(data: dict[str, Any] | str) -> bytes:
    """One compatible-mode event: ``data: {json}`` and a blank line."""
    return f"data: {data if isinstance(data, str) else dumps(data)}\n\n".encode()


def native_sse(number: int, data: dict[str, Any], event: str = "result",
               status: int = 200) -> bytes:
    """One native event, framed exactly as the service frames it."""
    return f"id:{number}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{dumps(data)}\n\n".encode()

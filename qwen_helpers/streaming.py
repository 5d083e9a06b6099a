"""Streaming: collect a stream into one result with its text, timings and completeness.

``collect_openai`` takes an ``openai`` stream; ``collect_dashscope`` takes what
``Generation.call(stream=True)`` yields (1.x module API) or a 2.0 ``Client`` chat stream. Both
return a :class:`StreamResult` with the text, the time to first token (TTFT) and whether the
stream really finished. A stream is *complete* only when a ``finish_reason`` arrived and nothing
failed. How each way of breaking reaches you (docs/sources.md §5; seen against the mock):

==============================  ==============================  =============================
what happened                   openai                          dashscope 1.x
==============================  ==============================  =============================
connection cut mid-stream       raises ``APIConnectionError``   raises ``ChunkedEncodingError``
no bytes for longer than the    raises ``APITimeoutError``      raises ``requests``
read time-out                                                   ``ConnectionError``
in-band error event             raises ``APIError``             yields a response with
                                                                ``status_code`` 400
malformed chunk                 raises ``JSONDecodeError``      yields ``status_code`` 400,
                                                                code ``Unknown``
clean close, no ``[DONE]``      ends silently                   ends silently
==============================  ==============================  =============================

Each is reported ``complete=False`` with the text received so far, never passed off as
complete; ``strict=True`` raises :class:`IncompleteStream` instead. The 2.0 Client raises raw
``httpx`` errors for cuts and time-outs and ``DashScopeError`` subclasses for the rest. An
exception raised by your own ``on_text`` or ``on_reasoning`` is not a broken stream: the stream
is closed and the exception propagates.

The raw SSE reader (``iter_sse``, ``aiter_sse``) lives in :mod:`qwen_helpers.sse`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import QwenError, to_qwen_error
from .messages import say
from .sse import SSEDecoder, SSEEvent, aiter_sse, iter_sse

__all__ = ["IncompleteStream", "SSEDecoder", "SSEEvent", "StreamResult", "acollect_dashscope",
           "acollect_openai", "aiter_sse", "collect_dashscope", "collect_openai", "iter_sse"]

Clock = Callable[[], float]
OnPiece = Callable[[str], object]


@dataclass
class StreamResult:
    """What a stream delivered: text, timings, usage, and whether it really finished."""

    text: str = ""
    reasoning: str = ""
    """The thinking models' ``reasoning_content``."""
    chunks: int = 0
    """Chunks received, role-only and usage-only chunks included."""
    ttft: float | None = None
    """Seconds from the call to the first non-empty piece of text (reasoning counts)."""
    answer_ttft: float | None = None
    """Seconds from the call to the first piece of the answer (``content``): on a thinking
    model, the reader waits this long for the answer, however soon the reasoning began."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Tool calls, their streamed pieces joined by ``index``: ``{"id", "type", "function":
    {"name", "arguments"}}``, ``arguments`` the JSON text as the model wrote it."""
    total_time: float = 0.0
    usage: dict[str, Any] | None = None
    """The last usage the stream carried, as the wire named it (native usage is cumulative)."""
    finish_reason: str | None = None
    complete: bool = False
    error: QwenError | str | None = None
    """What broke the stream, or a sentence when it just ended without a finish reason."""
    request_id: str | None = None

    @property
    def input_tokens(self) -> int | None:
        """Input tokens from either dialect (``input_tokens`` or ``prompt_tokens``)."""
        return _first(self.usage, "input_tokens", "prompt_tokens")

    @property
    def output_tokens(self) -> int | None:
        """Output tokens from either dialect (``output_tokens`` or ``completion_tokens``)."""
        return _first(self.usage, "output_tokens", "completion_tokens")

    @property
    def reasoning_tokens(self) -> int | None:
        """The part of the output tokens spent reasoning, when the usage says (``reasoning_tokens``
        in ``completion_tokens_details`` or ``output_tokens_details``)."""
        details = _first(self.usage, "completion_tokens_details", "output_tokens_details")
        return _first(details, "reasoning_tokens") if isinstance(details, Mapping) else None

    def summary(self, timings: bool = True) -> str:
        """One line for a notebook; ``timings=False`` keeps it stable between runs."""
        parts = [say("stream.complete") if self.complete
                 else say("stream.incomplete", error=_describe(self.error)),
                 say("stream.chunks", count=self.chunks),
                 say("stream.characters", count=len(self.text)),
                 f"finish_reason={self.finish_reason}"]
        if self.usage is not None:
            parts.append(say("stream.tokens", input=self.input_tokens, output=self.output_tokens))
        if timings:
            ttft = "—" if self.ttft is None else say("stream.seconds", seconds=self.ttft)
            parts.append(say("stream.timings", ttft=ttft,
                             total=say("stream.seconds", seconds=self.total_time)))
        return " · ".join(parts)


class IncompleteStream(Exception):
    """Raised with ``strict=True`` when a stream did not finish; ``.result`` keeps its text."""

    def __init__(self, result: StreamResult) -> None:
        super().__init__(say("stream.stopped", chunks=result.chunks,
                             characters=len(result.text), error=_describe(result.error)))
        self.result = result


def _first(usage: Mapping[str, Any] | None, *names: str) -> int | None:
    return next((usage[n] for n in names if usage and usage.get(n) is not None), None)


def _describe(error: object) -> str:
    return error if isinstance(error, str) else f"{type(error).__name__}: {error}"


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return dict(value.model_dump() if hasattr(value, "model_dump") else value)


def _as_text(value: Any) -> str:
    """Content as text; multimodal content is a list of parts such as ``{"text": …}``."""
    if isinstance(value, list):
        return "".join(part.get("text", "") for part in value if isinstance(part, Mapping))
    return value or ""


class _Collector:
    """The state shared by every collector; fed one chunk or response at a time."""

    def __init__(self, clock: Clock, on_text: OnPiece | None, on_reasoning: OnPiece | None,
                 cumulative: bool) -> None:
        self.result, self.clock, self.cumulative = StreamResult(), clock, cumulative
        self.callbacks = {"text": on_text, "reasoning": on_reasoning}
        self.start = clock()
        self.stopped, self.cause = False, None
        self.caller_error: Exception | None = None

    def add(self, kind: str, value: Any) -> None:
        value, known = _as_text(value), getattr(self.result, kind)
        if not value:
            return
        if not self.cumulative:
            piece, known = value, known + value
        elif value.startswith(known):
            piece, known = value[len(known):], value
        elif known.startswith(value):
            return  # an older, shorter snapshot: nothing new
        else:
            piece = known = value  # the snapshot rewrote earlier text; take it as the whole
        if not piece:
            return
        first_answer = kind == "text" and self.result.answer_ttft is None
        if self.result.ttft is None or first_answer:
            now = self.clock() - self.start  # one reading: the first piece may be both
            if self.result.ttft is None:
                self.result.ttft = now
            if first_answer:
                self.result.answer_ttft = now
        setattr(self.result, kind, known)
        if self.callbacks[kind]:
            try:
                self.callbacks[kind](piece)
            except Exception as exc:  # the caller's own bug, not a failure of the stream
                self.caller_error = exc
                raise

    def add_tool_calls(self, pieces: Any) -> None:
        """Join streamed tool-call pieces by ``index``: the first piece of a call brings its id
        and name, the later ones more of its ``arguments`` (names and ids are never split)."""
        calls = self.result.tool_calls
        for piece in pieces or []:
            piece = _as_dict(piece) or {}
            index = piece.get("index") or 0
            while len(calls) <= index:
                calls.append({"id": "", "type": "function",
                              "function": {"name": "", "arguments": ""}})
            call, function = calls[index], piece.get("function") or {}
            call["id"] = piece.get("id") or call["id"]
            call["function"]["name"] = function.get("name") or call["function"]["name"]
            if self.cumulative:  # a native snapshot holds each call's arguments so far
                call["function"]["arguments"] = function.get("arguments") or ""
            else:
                call["function"]["arguments"] += function.get("arguments") or ""

    def finish_reason(self, reason: str | None) -> None:
        if reason and reason != "null":  # native streams send the *string* "null" until the end
            self.result.finish_reason = reason

    def take(self, item: Any) -> None:
        """One openai / 2.0 chunk, or one 1.x ``GenerationResponse`` (a dict with ``output``)."""
        self.result.chunks += 1
        if isinstance(item, Mapping):
            return self._native(item)
        request_id = getattr(item, "id", None) or getattr(item, "request_id", None)
        if request_id:  # compatible ids are "chatcmpl-" + the request id (sources.md §4.1)
            self.result.request_id = request_id.removeprefix("chatcmpl-")
        self.result.usage = _as_dict(getattr(item, "usage", None)) or self.result.usage
        for choice in getattr(item, "choices", None) or []:
            if getattr(choice, "index", 0) == 0:
                delta = choice.delta
                self.add("reasoning", getattr(delta, "reasoning_content", None))
                self.add("text", delta.content)
                self.add_tool_calls(getattr(delta, "tool_calls", None))
                self.finish_reason(choice.finish_reason)

    def _native(self, response: Mapping[str, Any]) -> None:
        self.result.request_id = response.get("request_id") or self.result.request_id
        status = response.get("status_code")
        if status is not None and status != 200:  # an in-band error: a response, not a raise
            self.result.error = self.error(response)
            self.stopped = True
            return
        self.result.usage = _as_dict(response.get("usage")) or self.result.usage
        output = response.get("output") or {}
        choices = output.get("choices")
        if choices:
            message = choices[0].get("message") or {}
            self.add("reasoning", message.get("reasoning_content"))
            self.add("text", message.get("content"))
            self.add_tool_calls(message.get("tool_calls"))
            self.finish_reason(choices[0].get("finish_reason"))
        else:  # result_format="text"
            self.add("text", output.get("text"))
            self.finish_reason(output.get("finish_reason"))

    @staticmethod
    def error(problem: BaseException | Mapping[str, Any], in_stream: bool = False) -> QwenError:
        return to_qwen_error(problem, in_stream=in_stream)

    def fail(self, exc: BaseException) -> None:
        # After the first chunk a cut or a time-out broke a stream that had begun.
        self.result.error, self.cause = self.error(exc, self.result.chunks > 0), exc

    def finish(self, strict: bool) -> StreamResult:
        result = self.result
        result.total_time = self.clock() - self.start
        if result.error is None and result.finish_reason is None:
            result.error = say("stream.no_finish_reason")
        result.complete = result.error is None
        if strict and not result.complete:
            raise IncompleteStream(result) from self.cause
        return result


def _collect(stream: Any, collector: _Collector, strict: bool) -> StreamResult:
    try:
        stream = stream() if callable(stream) and not hasattr(stream, "__iter__") else stream
        for item in stream:
            collector.take(item)
            if collector.stopped:
                break
    except Exception as exc:  # a cut, a time-out, a malformed chunk, an in-band error
        if exc is collector.caller_error:
            raise  # on_text's exception: the stream is closed below, the error is the caller's
        collector.fail(exc)
    finally:
        getattr(stream, "close", lambda: None)()
    return collector.finish(strict)


async def _acollect(stream: Any, collector: _Collector, strict: bool) -> StreamResult:
    try:
        if callable(stream) and not hasattr(stream, "__aiter__"):
            stream = stream()
        if inspect.isawaitable(stream):
            stream = await stream
        async for item in stream:
            collector.take(item)
            if collector.stopped:
                break
    except Exception as exc:
        if exc is collector.caller_error:
            raise
        collector.fail(exc)
    finally:
        close = getattr(stream, "aclose", None) or getattr(stream, "close", None)
        if close is not None and inspect.isawaitable(closing := close()):
            await closing
    return collector.finish(strict)


def collect_openai(stream: Any, *, on_text: OnPiece | None = None,
                   on_reasoning: OnPiece | None = None, clock: Clock = time.perf_counter,
                   strict: bool = False) -> StreamResult:
    """Collect an ``openai`` stream, or a function that opens one (then TTFT includes opening).

    Usage appears only with ``stream_options={"include_usage": True}`` (a last chunk with
    ``choices: []``). Only choice 0 is collected; its tool-call pieces are joined by index.
    """
    return _collect(stream, _Collector(clock, on_text, on_reasoning, False), strict)


async def acollect_openai(stream: Any, *, on_text: OnPiece | None = None,
                          on_reasoning: OnPiece | None = None, clock: Clock = time.perf_counter,
                          strict: bool = False) -> StreamResult:
    """Collect an ``AsyncOpenAI`` stream, or a coroutine function that opens one."""
    return await _acollect(stream, _Collector(clock, on_text, on_reasoning, False), strict)


def collect_dashscope(responses: Any, *, incremental: bool, on_text: OnPiece | None = None,
                      on_reasoning: OnPiece | None = None, clock: Clock = time.perf_counter,
                      strict: bool = False) -> StreamResult:
    """Collect ``Generation.call(stream=True)`` or a 2.0 ``Client`` chat stream.

    Pass the call's ``incremental_output``: True when each response holds only the new piece,
    False when each holds the whole text so far (both SDKs then merge client-side). Left unset,
    1.x gets the server's default, documented as False; 2.0 always streams increments.
    Every response's ``status_code`` is checked: 1.x does not raise a mid-stream error.
    """
    collector = _Collector(clock, on_text, on_reasoning, not incremental)
    return _collect(responses, collector, strict)


async def acollect_dashscope(responses: Any, *, incremental: bool, on_text: OnPiece | None = None,
                             on_reasoning: OnPiece | None = None,
                             clock: Clock = time.perf_counter,
                             strict: bool = False) -> StreamResult:
    """Collect ``AioGeneration.call(stream=True)`` or a 2.0 ``AsyncClient`` chat stream."""
    collector = _Collector(clock, on_text, on_reasoning, not incremental)
    return await _acollect(responses, collector, strict)

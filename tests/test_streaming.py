"""Collecting streams with the real SDKs against the mock: text, TTFT, usage, broken streams."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

import dashscope
import httpx
import pytest
from dashscope import AioGeneration, Generation
from hypothesis import given
from hypothesis import strategies as st
from openai import AsyncOpenAI, OpenAI

from qwen_helpers.streaming import (
    IncompleteStream,
    StreamResult,
    acollect_dashscope,
    acollect_openai,
    collect_dashscope,
    collect_openai,
)

MESSAGES = [{"role": "user", "content": "hi"}]
FULL = ("This is a mock answer from the local DashScope mock: no recording matches this request."
        " You asked: “hi”. With a real API key, qwen-plus answers it for real.")
SHORT = 0.2
"""A client time-out for frozen streams: long for a local call, short for a test."""


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def ticking(self, items: Iterable, step: float = 1.0) -> Iterator:
        """Pass items through, moving the clock by ``step`` as each one arrives."""
        for item in items:
            self.now += step
            yield item


def openai_client(mock, key, **options) -> OpenAI:
    return OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0, **options)


def openai_stream(client: OpenAI, scenario: str | None = None, **options):
    headers = {"X-Mock-Scenario": scenario} if scenario else {}
    return client.chat.completions.create(model="qwen-plus", messages=MESSAGES, stream=True,
                                          extra_headers=headers, **options)


def native_stream(mock, key, incremental: bool, scenario: str | None = None, **options):
    headers = {"X-Mock-Scenario": scenario} if scenario else {}
    return Generation.call(model="qwen-plus", messages=MESSAGES, stream=True, api_key=key,
                           base_address=mock.native_base_url, result_format="message",
                           incremental_output=incremental, headers=headers, **options)


def logged_usage(mock) -> dict:
    (entry,) = [e for e in mock.requests() if e["path"].endswith(("completions", "generation"))]
    return entry["usage"]


# ---- whole streams ------------------------------------------------------------------------

@pytest.mark.parametrize("include_usage", [False, True])
def test_openai_stream_is_collected_whole(mock, key, include_usage):
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    pieces: list[str] = []
    result = collect_openai(openai_stream(openai_client(mock, key), **options),
                            on_text=pieces.append)
    assert (result.text, result.complete, result.error) == (FULL, True, None)
    assert result.finish_reason == "stop" and "".join(pieces) == FULL and "" not in pieces
    assert result.request_id == mock.requests()[0]["request_id"]
    if include_usage:  # one more chunk, with `choices: []` and the usage
        assert result.chunks == len(pieces) + 3
        assert (result.input_tokens, result.output_tokens) == tuple(logged_usage(mock).values())
    else:
        assert result.chunks == len(pieces) + 2 and result.usage is None


@pytest.mark.parametrize("include_usage", [False, True])
def test_async_openai_stream_is_collected_whole(mock, key, include_usage):
    client = AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    result = asyncio.run(acollect_openai(lambda: client.chat.completions.create(
        model="qwen-plus", messages=MESSAGES, stream=True, **options)))
    assert (result.text, result.complete, result.finish_reason) == (FULL, True, "stop")
    assert (result.usage is not None) == include_usage


@pytest.mark.parametrize("incremental", [True, False])
def test_native_stream_incremental_or_cumulative_gives_the_same_text(mock, key, incremental):
    pieces: list[str] = []
    result = collect_dashscope(native_stream(mock, key, incremental), incremental=incremental,
                               on_text=pieces.append)
    assert (result.text, result.complete, result.finish_reason) == (FULL, True, "stop")
    assert "".join(pieces) == FULL  # cumulative snapshots are turned into new pieces
    assert (result.input_tokens, result.output_tokens) == tuple(logged_usage(mock).values())
    assert result.request_id == mock.requests()[0]["request_id"]


def test_async_native_stream_is_collected(mock, key):
    async def run() -> StreamResult:
        try:
            return await acollect_dashscope(lambda: AioGeneration.call(
                model="qwen-plus", messages=MESSAGES, stream=True, api_key=key,
                base_address=mock.native_base_url, result_format="message",
                incremental_output=True), incremental=True)
        finally:
            await dashscope.close_shared_aio_session()

    result = asyncio.run(run())
    assert (result.text, result.complete) == (FULL, True)


@pytest.mark.parametrize("protocol", ["native", "openai"])
@pytest.mark.parametrize("incremental", [True, False])
def test_dashscope_2_client_stream_is_collected(mock, key, protocol, incremental):
    base_url = mock.native_base_url if protocol == "native" else mock.compatible_base_url
    client = dashscope.Client(api_key=key, base_url=base_url, protocol=protocol, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=MESSAGES, stream=True,
                                            incremental_output=incremental)
    result = collect_dashscope(stream, incremental=incremental)
    assert (result.text, result.complete, result.finish_reason) == (FULL, True, "stop")
    assert result.output_tokens == logged_usage(mock)["output_tokens"]


def test_thinking_streams_keep_reasoning_apart(mock, key):
    reasoning: list[str] = []
    compatible = collect_openai(openai_stream(openai_client(mock, key),
                                              extra_body={"enable_thinking": True}),
                                on_reasoning=reasoning.append)
    native = collect_dashscope(native_stream(mock, key, True, enable_thinking=True),
                               incremental=True)
    for result in (compatible, native):
        assert result.complete and result.text == FULL
        assert result.reasoning.startswith("This is mock reasoning")
    assert "".join(reasoning) == compatible.reasoning


# ---- time to first token ------------------------------------------------------------------

def test_ttft_skips_the_role_only_first_chunk(mock, key):
    clock = FakeClock()
    stream = openai_stream(openai_client(mock, key))
    result = collect_openai(clock.ticking(stream), clock=clock)
    assert result.ttft == 2.0  # chunk 1 is role-only with empty content; chunk 2 has "This"
    assert result.total_time == result.chunks


def test_ttft_of_a_native_stream_is_its_first_event(mock, key):
    clock = FakeClock()
    result = collect_dashscope(clock.ticking(native_stream(mock, key, False), 0.5),
                               incremental=False, clock=clock)
    assert (result.ttft, result.total_time) == (0.5, result.chunks * 0.5)


def test_ttft_includes_opening_when_given_a_function(mock, key):
    clock, client = FakeClock(), openai_client(mock, key)

    def open_stream():
        clock.now += 3.0  # the time to send the request and get the headers
        return clock.ticking(openai_stream(client))

    assert collect_openai(open_stream, clock=clock).ttft == 5.0


# ---- broken streams -----------------------------------------------------------------------

BROKEN = ["cut:3", "error:2", "malformed:2", "freeze:2"]


def assert_partial(result: StreamResult) -> None:
    assert result.complete is False and result.error is not None
    assert result.text and FULL.startswith(result.text) and result.text != FULL
    assert result.finish_reason is None


@pytest.mark.parametrize("scenario", BROKEN)
def test_a_broken_openai_stream_is_incomplete_with_its_partial_text(mock, key, scenario):
    client = openai_client(mock, key, timeout=SHORT)
    result = collect_openai(openai_stream(client, scenario))
    assert_partial(result)
    if scenario == "error:2":
        assert "inappropriate content" in str(result.error)


@pytest.mark.parametrize("scenario", BROKEN)
def test_a_broken_async_openai_stream_is_incomplete(mock, key, scenario):
    client = AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0,
                         timeout=SHORT)
    result = asyncio.run(acollect_openai(lambda: client.chat.completions.create(
        model="qwen-plus", messages=MESSAGES, stream=True,
        extra_headers={"X-Mock-Scenario": scenario})))
    assert_partial(result)


@pytest.mark.parametrize("incremental", [True, False])
@pytest.mark.parametrize("scenario", BROKEN)
def test_a_broken_native_stream_is_incomplete_with_its_partial_text(mock, key, scenario,
                                                                     incremental):
    stream = native_stream(mock, key, incremental, scenario, request_timeout=SHORT)
    result = collect_dashscope(stream, incremental=incremental)
    assert_partial(result)
    if scenario == "error:2":  # 1.x yields the error as a response with status_code 400
        assert "DataInspectionFailed" in str(result.error) or "inappropriate" in str(
            result.error)


def test_an_error_when_opening_is_reported_not_raised(mock, key):
    client = openai_client(mock, key)
    result = collect_openai(lambda: openai_stream(client, "429"))
    assert (result.complete, result.chunks, result.text) == (False, 0, "")
    assert "rate limit" in str(result.error).lower()
    native = collect_dashscope(native_stream(mock, key, True, "503"), incremental=True)
    assert native.complete is False and "503" in str(native.error) + repr(native.error)


def sse_transport(body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body))


def test_a_clean_close_without_done_is_not_passed_off_as_complete():
    chunk = (b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,'
             b'"model":"qwen-plus","choices":[{"index":0,"delta":{"content":"Hel"},'
             b'"finish_reason":null}]}\n\n')
    client = OpenAI(api_key="mock-key-valid", base_url="http://mock.invalid/v1",
                    http_client=httpx.Client(transport=sse_transport(chunk * 2)))
    result = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=MESSAGES, stream=True))  # the SDK ends silently
    assert (result.text, result.chunks, result.complete) == ("HelHel", 2, False)
    assert "without a finish_reason" in result.error


def test_strict_raises_with_the_partial_result_and_the_cause(mock, key):
    with pytest.raises(IncompleteStream, match="send the request again only if") as caught:
        collect_openai(openai_stream(openai_client(mock, key), "cut:3"), strict=True)
    assert caught.value.result.text == "This is"
    assert caught.value.__cause__ is not None
    result = collect_openai(openai_stream(openai_client(mock, key)), strict=True)
    assert result.complete


# ---- the delta rule -----------------------------------------------------------------------

def native_response(content: str, finish: str = "null") -> dict:
    return {"status_code": 200, "request_id": "r", "usage": None,
            "output": {"choices": [{"finish_reason": finish,
                                    "message": {"role": "assistant", "content": content}}]}}


@given(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=8))
def test_cumulative_snapshots_and_increments_give_the_same_pieces(pieces):
    snapshots = ["".join(pieces[:n]) for n in range(1, len(pieces) + 1)]
    seen: dict[bool, list[str]] = {True: [], False: []}
    for incremental, contents in ((True, [*pieces, ""]), (False, [*snapshots, snapshots[-1]])):
        responses = [native_response(c) for c in contents]
        responses[-1]["output"]["choices"][0]["finish_reason"] = "stop"
        result = collect_dashscope(responses, incremental=incremental,
                                   on_text=seen[incremental].append)
        assert result.complete and result.text == "".join(pieces)
    assert seen[True] == seen[False] == pieces


def test_a_native_stream_that_stops_before_finishing_is_incomplete():
    result = collect_dashscope([native_response("Hel"), native_response("Hello")],
                               incremental=False)
    assert (result.text, result.complete) == ("Hello", False)


def test_a_cut_after_the_first_chunk_is_a_broken_stream_not_a_connection_failure(mock, key):
    cut = collect_openai(openai_stream(openai_client(mock, key), "cut:3"))
    native = collect_dashscope(native_stream(mock, key, True, "cut:3"), incremental=True)
    for result in (cut, native):
        assert getattr(result.error, "kind", None) == "stream", result.error
        assert "partial text" in str(result.error)
    refused = collect_openai(lambda: openai_stream(openai_client(mock, key), "drop"))
    assert (refused.chunks, getattr(refused.error, "kind", None)) == (0, "connection")

"""The hand-written SSE decoder: both dialects' framing, line ends, comments, split bytes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.sse import SSEDecoder, SSEEvent, aiter_sse, iter_sse, parse_sse

NATIVE = (b"id:1\nevent:result\n:HTTP_STATUS/200\ndata:{\"a\":1}\n\n"
          b"id:2\nevent:error\n:HTTP_STATUS/400\ndata:{\"code\":\"X\"}\n\n")
COMPATIBLE = b'data: {"a": 1}\n\ndata: [DONE]\n\n'


def feed_all(chunks: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def test_native_framing_keeps_id_event_and_status_comment():
    first, second = parse_sse(NATIVE)
    assert first == SSEEvent('{"a":1}', "result", "1", ("HTTP_STATUS/200",))
    assert (second.event, second.id, second.comments) == ("error", "2", ("HTTP_STATUS/400",))
    assert second.json() == {"code": "X"}


def test_compatible_framing_has_the_default_event_type_and_done():
    first, done = parse_sse(COMPATIBLE)
    assert first == SSEEvent('{"a": 1}')  # one space after "data:" is dropped
    assert (done.data, done.event, done.id) == ("[DONE]", "message", None)


@pytest.mark.parametrize("ending", [b"\r\n", b"\r", b"\n"])
def test_every_line_ending_gives_the_same_events(ending):
    assert parse_sse(NATIVE.replace(b"\n", ending)) == parse_sse(NATIVE)


def test_a_crlf_split_between_chunks_is_one_line_end():
    body = COMPATIBLE.replace(b"\n", b"\r\n")
    for cut in range(len(body) + 1):
        assert feed_all([body[:cut], body[cut:]]) == parse_sse(COMPATIBLE)


def test_multi_line_data_is_joined_with_newlines():
    (event,) = parse_sse(b"data: first\ndata:second\ndata\n\n")
    assert event.data == "first\nsecond\n"


def test_comment_only_blocks_dispatch_nothing_and_their_comments_wait():
    events = parse_sse(b": keep-alive\n\n:HTTP_STATUS/200\ndata:x\n\n")
    assert events == [SSEEvent("x", comments=(" keep-alive", "HTTP_STATUS/200"))]


def test_ids_persist_retry_parses_and_unknown_fields_are_ignored():
    events = parse_sse(b"id:7\nretry: 3000\nfoo: bar\ndata:a\n\ndata:b\n\nretry:x\ndata:c\n\n")
    assert [(e.id, e.retry, e.data) for e in events] == [("7", 3000, "a"), ("7", None, "b"),
                                                         ("7", None, "c")]


@pytest.mark.parametrize("character", ["中", "€", "😀", "🀄"])
def test_a_character_split_at_every_byte_offset_survives(character):
    body = f"data: {character}{character}\n\n".encode()
    start = body.index(character.encode())
    width = len(character.encode())
    assert width in (3, 4)
    for cut in range(start, start + 2 * width + 1):
        (event,) = feed_all([body[:cut], body[cut:]])
        assert event.data == character * 2
    (event,) = feed_all([bytes([b]) for b in body])
    assert event.data == character * 2


def test_line_separator_characters_inside_data_do_not_split_it():
    (event,) = parse_sse('data:{"t":"a\u2028b\x85c"}\n\n'.encode())
    assert event.json() == {"t": "a\u2028b\x85c"}


def test_a_missing_final_blank_line_gives_an_event_marked_incomplete():
    events = parse_sse(b"data: one\n\ndata: two")
    assert [(e.data, e.complete) for e in events] == [("one", True), ("two", False)]
    assert parse_sse(b"data: one\n\ndata: two\n")[-1].complete is False
    assert parse_sse(b"data: one\n\n\n") == [SSEEvent("one")]


def test_a_byte_order_mark_at_the_start_is_dropped():
    assert parse_sse(b"\xef\xbb\xbfdata:x\n\n") == [SSEEvent("x")]


MIXED = NATIVE.replace(b"\n", b"\r\n") + "data: 中文😀\r\n\r\n".encode() + COMPATIBLE


@given(st.lists(st.integers(min_value=0, max_value=len(MIXED)), max_size=12))
def test_any_chunking_gives_the_same_events(cuts):
    points = sorted(set(cuts))
    chunks = [MIXED[a:b] for a, b in zip([0, *points], [*points, len(MIXED)], strict=True)]
    assert feed_all(chunks) == parse_sse(MIXED)
    assert len(parse_sse(MIXED)) == 5


def test_iter_sse_reads_a_compatible_stream_from_the_mock(mock, key):
    body = {"model": "qwen-plus", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{mock.compatible_base_url}/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {key}"}) as response:
        events = list(iter_sse(response))
    assert events[-1].data == "[DONE]"
    assert events[0].json()["choices"][0]["delta"] == {"content": "", "role": "assistant"}
    assert all(e.event == "message" and e.complete for e in events)


def test_iter_sse_reads_a_native_stream_from_the_mock(mock, key):
    body = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "hi"}]},
            "parameters": {"result_format": "message", "incremental_output": True}}
    headers = {"Authorization": f"Bearer {key}", "X-DashScope-SSE": "enable"}
    with httpx.stream("POST", f"{mock.native_base_url}/services/aigc/text-generation/generation",
                      json=body, headers=headers) as response:
        events = list(iter_sse(response))
    assert [e.id for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert {e.event for e in events} == {"result"}
    assert all(e.comments == ("HTTP_STATUS/200",) for e in events)
    finishes = [e.json()["output"]["choices"][0]["finish_reason"] for e in events]
    assert set(finishes[:-1]) == {"null"} and finishes[-1] == "stop"


def test_aiter_sse_reads_the_native_error_frame(mock, key):
    body = {"model": "qwen-plus", "input": {"messages": [{"role": "user", "content": "hi"}]},
            "parameters": {"incremental_output": True}}
    headers = {"Authorization": f"Bearer {key}", "X-DashScope-SSE": "enable",
               "X-Mock-Scenario": "error:2"}

    async def read() -> list[SSEEvent]:
        async with httpx.AsyncClient() as client, client.stream(
                "POST", f"{mock.native_base_url}/services/aigc/text-generation/generation",
                json=body, headers=headers) as response:
            return [event async for event in aiter_sse(response)]

    events = asyncio.run(read())
    assert [e.event for e in events] == ["result", "result", "error"]
    assert events[-1].json()["code"] == "DataInspectionFailed"
    assert events[-1].comments == ("HTTP_STATUS/400",)


def test_iter_sse_explains_a_response_that_is_not_a_stream(mock, key):
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{mock.compatible_base_url}/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {key}"}) as response:
        with pytest.raises(ValueError, match=r"application/json.*\"stream\": true"):
            list(iter_sse(response))

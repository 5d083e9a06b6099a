"""Seeing the wire: real SDKs' exchanges captured, masked and shown, against our own mock."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip

import dashscope
import httpx
import pytest
from dashscope import Generation
from fakes import fake_key as make_fake_key
from openai import AsyncOpenAI, OpenAI

from qwen_helpers.config import mask_key
from qwen_helpers.mock import MockServer
from qwen_helpers.wiretap import VOLATILE_HEADERS, Exchange, Wiretap, acapture, capture

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def fake_key() -> str:
    """One planted key for the module."""
    return make_fake_key()


@pytest.fixture(scope="module")
def keyed_mock(fake_key):
    """A mock of our own that accepts the planted key."""
    with MockServer(keys=frozenset({fake_key}), ttft=0.0, tokens_per_second=100_000.0) as server:
        yield server


@pytest.fixture
def server(keyed_mock):
    keyed_mock.reset()
    return keyed_mock


def everything_shown(exchange: Exchange) -> str:
    """Every way an exchange can be shown or inspected."""
    return "\n".join([exchange.text(), exchange.text(stable=False), repr(exchange),
                      exchange._repr_markdown_(), exchange._repr_html_(),
                      str(dataclasses.asdict(exchange)), str(vars(exchange))])


def assert_masked(exchange: Exchange, key: str) -> None:
    shown = everything_shown(exchange)
    assert key not in shown and key[5:-2] not in shown
    assert f"Bearer {mask_key(key)}" in exchange.text()


def openai_call(server, key, **options):
    def call(tap: Wiretap):
        client = OpenAI(api_key=key, base_url=server.compatible_base_url, max_retries=0,
                        http_client=tap.client())
        return client.chat.completions.create(model="qwen-plus", messages=MESSAGES, **options)
    return call


def test_an_openai_call_is_shown_with_the_key_masked(server, fake_key):
    exchange = capture(openai_call(server, fake_key))
    assert_masked(exchange, fake_key)
    text = exchange.text()
    assert text.startswith("POST /compatible-mode/v1/chat/completions HTTP/1.1\n")
    assert '  "model": "qwen-plus",' in text  # the JSON body, pretty-printed
    assert "HTTP/1.1 200 OK" in text and "x-dashscope-call-gateway: true" in text
    assert text.endswith("SDK: returned ChatCompletion")
    assert exchange.finished and exchange.header("x-request-id") is not None


def test_volatile_headers_are_hidden_so_two_runs_print_the_same(server, fake_key):
    first = capture(openai_call(server, fake_key))
    server.reset()
    second = capture(openai_call(server, fake_key))
    assert first.text() == second.text()
    assert "(hidden, they change between runs: " in first.text()
    for name, _ in first.request_headers + first.response_headers:
        assert (f"\n{name}:" in first.text()) != (name.lower() in VOLATILE_HEADERS)
    assert "x-stainless-os:" in first.text(stable=False)
    assert first.text(stable=False) != second.text(stable=False)  # the times differ


def test_a_wrong_key_is_masked_in_the_error_outcome_too(server, fake_key):
    wrong = fake_key[:-1] + ("0" if fake_key[-1] != "0" else "1")
    exchange = capture(openai_call(server, wrong))
    assert_masked(exchange, wrong)
    assert exchange.status == 401 and "invalid_api_key" in exchange.text()
    assert exchange.outcome.startswith("raised AuthenticationError: Error code: 401")


def test_a_stream_shows_its_first_events_and_a_count(server, fake_key):
    exchange = capture(openai_call(server, fake_key, stream=True,
                                   stream_options={"include_usage": True}))
    events = exchange.events()
    text = exchange.text()
    assert events[0].startswith("data: {") and events[-1] == "data: [DONE]"
    assert f"… {len(events) - 4} more events …" in text and f"({len(events)} events)" in text
    assert text.count("\ndata: ") == 4  # three first events and the last one
    assert "(the client stopped reading here" in text  # openai stops at [DONE]
    assert_masked(exchange, fake_key)


def test_a_cut_stream_shows_where_it_broke(server, fake_key):
    exchange = capture(openai_call(server, fake_key, stream=True,
                                   extra_headers={"X-Mock-Scenario": "cut:3"}))
    assert len(exchange.events()) == 3 and "(3 events)" in exchange.text()
    assert "(the body broke off: RemoteProtocolError" in exchange.text()
    assert "yielded 3 items, then raised APIConnectionError" in exchange.outcome


def test_the_dashscope_1x_api_is_captured_through_a_requests_session(server, fake_key):
    exchange = capture(lambda tap: Generation.call(
        model="qwen-plus", messages=MESSAGES, stream=True, incremental_output=True,
        api_key=fake_key, base_address=server.native_base_url, result_format="message",
        session=tap.session()))
    assert_masked(exchange, fake_key)
    text = exchange.text()
    assert "X-DashScope-SSE: enable" in text and "Accept: text/event-stream" in text
    assert exchange.events()[0].startswith("id:1\nevent:result\n:HTTP_STATUS/200\ndata:{")
    assert '"session"' not in text  # the session kwarg does not leak into the body
    assert exchange.finished and "which yielded" in exchange.outcome


def test_the_dashscope_2_client_is_captured_by_attaching_to_its_httpx_client(server, fake_key):
    def call(tap: Wiretap):
        client = dashscope.Client(api_key=fake_key, base_url=server.native_base_url)
        tap.attach(client.transport.http_client)
        return client.chat.completions.create(model="qwen-plus", messages=MESSAGES)

    exchange = capture(call)
    assert_masked(exchange, fake_key)
    assert exchange.target == "/api/v1/services/aigc/text-generation/generation"
    assert '"result_format": "message"' in exchange.text()


def test_async_openai_is_captured(server, fake_key):
    exchange = asyncio.run(acapture(lambda tap: AsyncOpenAI(
        api_key=fake_key, base_url=server.compatible_base_url,
        http_client=tap.async_client()).chat.completions.create(
        model="qwen-plus", messages=MESSAGES, stream=True)))
    assert_masked(exchange, fake_key)
    assert "x-stainless-async: async:asyncio" in exchange.text()
    assert exchange.outcome.startswith("returned AsyncStream, which yielded")


def test_every_retry_is_a_separate_exchange(server, fake_key):
    tap = Wiretap()
    client = OpenAI(api_key=fake_key, base_url=server.compatible_base_url, max_retries=1,
                    http_client=tap.client())
    client.with_options(timeout=5).chat.completions.create(
        model="qwen-plus", messages=MESSAGES,
        extra_headers={"X-Mock-Scenario": "429/Throttling.RateQuota,200"})
    assert [e.status for e in tap.exchanges] == [429, 200]
    assert [e.header("x-stainless-retry-count", response=False) for e in tap.exchanges] == [
        "0", "1"]


class Chunks(httpx.SyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self):
        yield from self.chunks


@pytest.mark.parametrize("streamed", [True, False])
def test_a_gzip_body_is_shown_decoded(streamed):
    body = gzip.compress(b'{"output": {"text": "hi"}}')
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, headers=headers, **({"stream": Chunks(body[:9], body[9:])} if streamed
                                 else {"content": body})))
    tap = Wiretap()
    with httpx.Client(transport=transport, event_hooks=tap.hooks()) as client:
        assert client.post("http://mock.invalid/x", json={}).json() == {"output": {"text": "hi"}}
    assert '"text": "hi"' in tap.last.text() and tap.last.finished
    assert (tap.last.response_body == body) is streamed  # as received, before decoding


def test_a_key_echoed_anywhere_is_masked_even_across_chunks(fake_key):
    body = f'{{"echo": "{fake_key}"}}'.encode()
    for cut in range(len(body) + 1):
        transport = httpx.MockTransport(lambda request, cut=cut: httpx.Response(
            200, headers={"x-echo": fake_key}, stream=Chunks(body[:cut], body[cut:])))
        tap = Wiretap()
        with httpx.Client(transport=transport, event_hooks=tap.hooks(),
                          headers={"Authorization": f"Bearer {fake_key}"}) as client:
            assert fake_key in client.get(f"http://mock.invalid/x?key={fake_key}").text
        assert fake_key not in everything_shown(tap.last)
        assert tap.last.response_body == f'{{"echo": "{mask_key(fake_key)}"}}'.encode()


def test_a_connection_dropped_before_any_response_is_shown(server, fake_key):
    exchange = capture(openai_call(server, fake_key, extra_headers={"X-Mock-Scenario": "drop"}))
    assert exchange.status is None
    assert "\n(no response)\n" in exchange.text()
    assert exchange.outcome == "raised APIConnectionError: Connection error."


def test_nothing_captured_says_how_to_tap():
    with pytest.raises(LookupError, match=r"tap\.client\(\)"):
        capture(lambda tap: None)

"""The defects an outside hostile run found in the mock (issue 13): each answered as a 4xx.

Raw HTTP, because the SDKs refuse most of these inputs before sending them.
"""

from __future__ import annotations

import json
import logging
import tracemalloc

import httpx
import pytest

from qwen_helpers.mock import DEMO_KEY
from qwen_helpers.mock.scenarios import MAX_DEFAULTS, MAX_ITEMS, MAX_POSITIONS, ScenarioBook, parse

CHAT = "/compatible-mode/v1/chat/completions"
NATIVE = "/api/v1/services/aigc/text-generation/generation"
AUTH = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}


def post(mock, path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(mock.url + path, content=body, headers={**AUTH, **(headers or {})},
                      timeout=10)


# -- item 1: a lone surrogate escape is invalid input, not a server error ----------------------

@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("path", [CHAT, NATIVE], ids=["compatible", "native"])
def test_a_lone_surrogate_is_a_400_in_the_dialects_shape(mock, path, stream):
    message = '[{"role": "user", "content": "\\ud800"}]'
    if path == CHAT:
        body = f'{{"model": "qwen-plus", "stream": {str(stream).lower()}, "messages": {message}}}'
        headers = {}
    else:
        body = (f'{{"model": "qwen-plus", "input": {{"messages": {message}}}, '
                f'"parameters": {{"result_format": "message"}}}}')
        headers = {"X-DashScope-SSE": "enable"} if stream else {}
    answer = post(mock, path, body.encode(), headers)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/json")
    not_json = post(mock, path, b"{not json", headers)  # the service's "body invalid" answer
    error, expected = answer.json(), not_json.json()
    assert error["request_id"] == answer.headers["x-request-id"]
    error.pop("request_id"), expected.pop("request_id")
    assert error == expected



@pytest.mark.parametrize("count", ["²".encode(), b"9" * 5000], ids=["superscript", "5000-digits"])
def test_an_odd_retry_count_header_is_no_server_error(mock, count):
    """str.isdigit() accepts '²' and 5,000 digits, which int() refuses: it was a 500."""
    hello = b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}'
    answer = httpx.post(mock.url + CHAT, content=hello, timeout=10,
                        headers={**AUTH, "x-stainless-retry-count": count})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["x-request-id"]
    assert mock.requests()[-1]["retry_count"] is None

# -- item 2: a bad scenario is refused before it is expanded --------------------------------

@pytest.mark.parametrize("sequence", [",", ",,", "429*0", "429*100000000", "429*1000000000000",
                                      "429*10^12", "stall:nan", "stall:inf", "stall:-1",
                                      "cut:99999999999999999999", f"200*{MAX_ITEMS + 1}"])
def test_a_bad_scenario_is_a_400_that_says_what_is_allowed(mock, sequence):
    tracemalloc.start()
    try:
        answer = post(mock, CHAT, b'{"model": "qwen-plus", "messages": [{"role": "user", '
                                  b'"content": "hi"}]}', {"X-Mock-Scenario": sequence})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 400, answer.text[:300]
    assert "scenario" in answer.text
    assert peak < 50 * 1024 * 1024  # the list of a hundred million items is never built


def test_the_parser_checks_the_count_before_building_the_list():
    with pytest.raises(ValueError, match="at most"):
        parse("429*100000000")
    with pytest.raises(ValueError, match="K from 1"):
        parse("429*0")
    assert len(parse(f"429*{MAX_ITEMS}")) == MAX_ITEMS


# -- item 9: bounded state -----------------------------------------------------------------

def test_the_places_remembered_are_bounded():
    book = ScenarioBook()
    for number in range(MAX_POSITIONS + 500):  # each value a new place, as a fuzzer sends
        book.next_step(f"key-{number}", "200,429")
    assert len(book._positions) == MAX_POSITIONS
    assert str(book.next_step("k", "429,200")) == "429"  # a sequence still plays in order
    assert str(book.next_step("k", "429,200")) == "200"


def test_default_scenarios_are_bounded_and_clearing_makes_room(mock):
    for number in range(MAX_DEFAULTS):
        answer = httpx.post(mock.url + "/_mock/scenario",
                            json={"key": f"k{number}", "sequence": "429"}, timeout=10)
        assert answer.status_code == 200
    refused = httpx.post(mock.url + "/_mock/scenario", json={"key": "one-more", "sequence": "429"},
                         timeout=10)
    assert refused.status_code == 400 and "at most" in refused.json()["error"]
    assert httpx.post(mock.url + "/_mock/scenario", json={"key": "k0", "sequence": "503"},
                      timeout=10).status_code == 200  # a key that has one may change it
    assert httpx.post(mock.url + "/_mock/scenario", json={"key": "k1", "sequence": ""},
                      timeout=10).status_code == 200
    assert httpx.post(mock.url + "/_mock/scenario", json={"key": "one-more", "sequence": "429"},
                      timeout=10).status_code == 200


@pytest.mark.parametrize("body", [
    {"key": "k" * 10_000_000, "sequence": "429"},
    {"key": "k", "sequence": "," * 10_000_000 + "429"},
], ids=["10-MB-key", "10-MB-sequence"])
def test_a_default_scenario_with_a_huge_key_or_sequence_is_refused(mock, body):
    """256 such keys would hold 4 GB: each is refused, and nothing is stored."""
    answer = httpx.post(mock.url + "/_mock/scenario", json=body, timeout=30)
    assert answer.status_code == 400 and "at most" in answer.json()["error"]
    assert httpx.get(mock.url + "/_mock/scenario", timeout=10).json() == {"defaults": {}}


def test_the_places_remembered_keep_no_copy_of_each_sequence(monkeypatch):
    from qwen_helpers.mock import scenarios

    monkeypatch.setattr(scenarios, "MAX_POSITIONS", 100)
    book = ScenarioBook()
    tracemalloc.start()
    try:
        for number in range(200):  # each a new sequence as long as a header allows
            book.next_step(DEMO_KEY, f"{200 + number}," + "," * 8000 + "200")
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(book._positions) == 100
    assert kept < 100 * 1024  # 100 places, not 100 copies of 8 KB


def test_defaults_followed_from_another_mock_are_bounded_too():
    book = ScenarioBook()
    book.follow({f"key-{number}": "429" for number in range(MAX_DEFAULTS + 100)} |
                {"k" * 10_000: "503"})
    assert len(book._followed) == MAX_DEFAULTS and "k" * 10_000 not in book._followed


# -- item 5: the non-stream cut sends part of the body, then closes ---------------------------

@pytest.mark.parametrize("path", [CHAT, NATIVE], ids=["compatible", "native"])
def test_a_non_stream_cut_sends_half_the_body_and_says_so_in_the_log(mock, path, caplog):
    import http.client
    from urllib.parse import urlsplit

    body = (b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}'
            if path == CHAT else b'{"model": "qwen-plus", "input": {"messages": [{"role": '
            b'"user", "content": "hi"}]}, "parameters": {"result_format": "message"}}')
    where = urlsplit(mock.url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.request("POST", path, body, {**AUTH, "X-Mock-Scenario": "cut"})
    answer = connection.getresponse()
    assert answer.status == 200
    promised = int(answer.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as cut:
        answer.read()
    connection.close()
    assert 0 < len(cut.value.partial) < promised  # part of the answer, not nothing like drop
    entry = mock.requests()[-1]
    assert entry["status"] == 200 and entry["outcome"] == "cut"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback logged


# -- item 8: a client that hangs up mid-stream is logged as such ------------------------------

def test_a_client_that_hangs_up_mid_stream_is_logged(mock):
    from qwen_helpers.mock.pace import HEADER as PACE

    body = (b'{"model": "qwen-plus", "stream": true, '
            b'"messages": [{"role": "user", "content": "hi"}]}')
    with httpx.Client(timeout=10) as client, client.stream(
            "POST", mock.url + CHAT, content=body,
            headers={**AUTH, PACE: "ttft=0,tps=5"}) as answer:
        next(answer.iter_raw())  # the first chunk, then the client goes away
    assert logged_outcome(mock) == "client closed"


def logged_outcome(mock) -> str | None:
    """The last request's outcome, once noted (a hang-up is noted a moment after it happens)."""
    import time

    deadline = time.monotonic() + 5
    while mock.requests()[-1].get("outcome") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return mock.requests()[-1].get("outcome")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_client_that_hangs_up_before_the_answer_is_logged(mock, stream):
    """During a stall (before any answer byte) the client gives up: the log says so."""
    body = b'{"model": "qwen-plus", "stream": %s, "messages": [{"role": "user", "content": "hi"}]}'
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(mock.url + CHAT, content=body % str(stream).lower().encode(), timeout=0.3,
                   headers={**AUTH, "X-Mock-Scenario": "stall:5"})
    assert logged_outcome(mock) == "client closed"


def test_a_client_that_hangs_up_while_sending_the_body_is_logged(mock):
    import socket
    import time
    from urllib.parse import urlsplit

    where = urlsplit(mock.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
        connection.sendall(f"POST {CHAT} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer "
                           f"{DEMO_KEY}\r\nContent-Length: 1000\r\n\r\n{{".encode())
        while not mock.requests():  # the gateway has seen the request; its body never comes
            time.sleep(0.01)
    assert logged_outcome(mock) == "client closed"


def test_a_dropped_connection_is_logged_as_dropped(mock):
    with pytest.raises(httpx.RemoteProtocolError):
        post(mock, CHAT, b'{"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}',
             {"X-Mock-Scenario": "drop"})
    assert logged_outcome(mock) == "drop"


# -- item 3: a huge prompt is refused by the cheap check, off the event loop ------------------

def chat_body(path: str, messages: list, **extra) -> bytes:
    """A chat request in the path's dialect (``extra``: parameters such as ``tools``)."""
    body = ({"model": "qwen-plus", "messages": messages, **extra} if path == CHAT else
            {"model": "qwen-plus", "input": {"messages": messages}, "parameters": extra})
    return json.dumps(body, ensure_ascii=False).encode()


def without_id(answer: httpx.Response) -> dict:
    error = answer.json()
    error.pop("request_id")
    return error


@pytest.fixture
def uncounted(monkeypatch) -> list[int]:
    """Records each exact count of a whole prompt (``answers.count_prompt``)."""
    from qwen_helpers.mock import answers

    counted: list[int] = []
    real = answers.count_prompt
    monkeypatch.setattr(answers, "count_prompt",
                        lambda messages, tools=None: counted.append(1) or real(messages, tools))
    return counted


MB = 1024 * 1024
LARGE = {
    "one-message": lambda: ([{"role": "user", "content": "数据块 chunk-7 " * (15 * MB // 20)}], {}),
    "tool-calls": lambda: ([{"role": "assistant", "content": None,
                             "tool_calls": [{"id": "call-" + "x" * 15 * MB}]},
                            {"role": "user", "content": "hi"}], {}),
    "tools": lambda: ([{"role": "user", "content": "hi"}],
                      {"tools": [{"type": "function", "function": {
                          "name": "f", "description": "x " * (15 * MB // 2)}}]}),
    "empty-messages": lambda: ([{"role": "user", "content": ""}] * (15 * MB // 32), {}),
}
"""Where a 15 MB prompt can sit: a message's text, its tool calls, the tools, many messages."""


@pytest.mark.parametrize("where", LARGE)
@pytest.mark.parametrize("path", [CHAT, NATIVE], ids=["compatible", "native"])
def test_a_15_mb_prompt_gets_the_services_input_length_400(mock, path, where, uncounted):
    slightly_over = post(mock, path, chat_body(path, [{"role": "user", "content": "数" * 98_300}]))
    assert slightly_over.status_code == 400  # 98,308 tokens, counted exactly
    assert "Range of input length should be [1, 98304]" in slightly_over.text
    uncounted.clear()
    messages, extra = LARGE[where]()
    answer = post(mock, path, chat_body(path, messages, **extra))
    assert answer.status_code == 400
    assert without_id(answer) == without_id(slightly_over)
    assert uncounted == []  # refused before the whole prompt was counted


@pytest.mark.parametrize("body", [
    chat_body(CHAT, [{"role": "user", "content": "数" * 98_000}]),  # 98,008 tokens
    chat_body(CHAT, [{"role": "user", "content": "hi"}]).replace(b"{", b"{" + b" " * MB, 1),
], ids=["just-under-the-limit", "padded-with-spaces"])
def test_a_large_body_within_the_limit_is_still_answered(mock, body):
    assert len(body) > 256 * 1024  # checked by the cheap check first
    assert post(mock, CHAT, body).status_code == 200


# -- item 9: a connection that sends nothing is closed after the idle time --------------------

def test_a_silent_connection_is_closed_after_the_idle_time():
    import socket
    from urllib.parse import urlsplit

    from qwen_helpers.mock import MockServer

    with MockServer(idle_timeout=0.5) as mock:
        where = urlsplit(mock.url)
        with socket.create_connection((where.hostname, where.port), timeout=10) as silent:
            assert silent.recv(1) == b""  # closed by the mock (our 10 s time-out would raise)


@pytest.mark.parametrize("path", [CHAT, "/_mock/scenario"], ids=["chat", "control"])
def test_a_body_that_never_comes_is_answered_408_and_closed(path):
    """Headers promise a body, then silence: aiohttp's keep-alive time-out does not apply."""
    import socket
    from urllib.parse import urlsplit

    from qwen_helpers.mock import MockServer

    with MockServer(idle_timeout=0.5) as mock:
        where = urlsplit(mock.url)
        with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
            connection.sendall(f"POST {path} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer "
                               f"{DEMO_KEY}\r\nContent-Length: 100\r\n\r\n{{".encode())
            answer = b""
            while chunk := connection.recv(65536):  # until the mock closes it
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
        if path == CHAT:
            assert mock.requests()[-1]["status"] == 408

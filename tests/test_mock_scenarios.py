"""Scripted faults, the request log, and how each client stack meets them."""

from __future__ import annotations

import dashscope
import httpx
import openai
import pytest
from dashscope import Generation
from dashscope.v2.errors import ContentFilterError, RateLimitError, ServiceUnavailableError

from qwen_helpers.mock.scenarios import ScenarioBook, Step, parse

HELLO = [{"role": "user", "content": "你好"}]


def scripted(sequence: str) -> dict[str, str]:
    return {"X-Mock-Scenario": sequence}


# -- the sequence language ---------------------------------------------------------------------

def test_parse_statuses_codes_faults_and_repeats():
    steps = parse("429*2, 429/Throttling.AllocationQuota, cut:3, stall:0.5, drop, 200")
    assert [str(s) for s in steps] == ["429", "429", "429/Throttling.AllocationQuota", "cut:3",
                                       "stall:0.5", "drop", "200"]
    assert parse("error") == [Step("error", arg=1)]


@pytest.mark.parametrize("bad", ["teapot", "99", "429/NoSuchCode", "cut:x", "stall:9999",
                                 "drop:3", "cut:-1"])
def test_bad_items_are_refused_with_what_is_allowed(bad):
    with pytest.raises(ValueError, match="scenario item"):
        parse(bad)


def test_each_key_plays_the_sequence_and_starts_over():
    book = ScenarioBook()
    assert [str(book.next_step("a", "429,200")) for _ in range(3)] == ["429", "200", "429"]
    assert str(book.next_step("b", "429,200")) == "429"  # its own place in the sequence
    book.set_default(None, "503")
    assert [str(book.next_step(k, None)) for k in "aab"] == ["503", "503", "503"]
    book.set_default(None, "")
    assert book.next_step("a", None) is None


# -- the openai SDK --------------------------------------------------------------------------

def test_openai_sdk_retries_show_up_in_the_request_log(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url)  # max_retries=2
    reply = client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                           extra_headers=scripted("429,200"))
    assert reply.choices[0].message.content
    log = mock.requests()
    assert [(e["status"], e["scenario"], e["retry_count"]) for e in log] == [
        (429, "429", 0), (200, "200", 1)]
    assert log[1]["time"] > log[0]["time"]


def test_status_errors_have_the_dialect_body(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers=scripted("429/Throttling.AllocationQuota"))
    assert caught.value.code == "insufficient_quota"
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers=scripted("503"))
    assert caught.value.code == "ModelUnavailable"
    with pytest.raises(openai.InternalServerError) as caught:  # gateway text, not JSON
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers=scripted("504"))
    assert caught.value.body == "Gateway Timeout"


def test_a_cut_stream_is_noticed_by_openai(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_headers=scripted("cut:3"))
    received = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3
    assert mock.requests()[-1]["outcome"] == "cut"


def test_a_dropped_connection_is_retried_by_openai(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=1)
    reply = client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                           extra_headers=scripted("drop,200"))
    assert reply.choices[0].message.content
    assert [e["scenario"] for e in mock.requests()] == ["drop", "200"]


def test_a_stall_longer_than_the_timeout(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0,
                           timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers=scripted("stall:5"))


def test_in_band_error_raises_in_openai(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_headers=scripted("error:2"))
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    assert caught.value.code == "data_inspection_failed"


def test_malformed_chunk_breaks_the_openai_stream(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_headers=scripted("malformed:2"))
    with pytest.raises(ValueError):  # json.JSONDecodeError
        list(stream)


# -- the dashscope SDK -----------------------------------------------------------------------

def test_module_api_never_retries_and_reports_the_status(mock, key):
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                               base_address=mock.native_base_url, headers=scripted("503,200"))
    assert (response.status_code, response.code) == (503, "ModelUnavailable")
    assert len(mock.requests()) == 1


def test_native_mid_stream_error_module_api_vs_client(mock, key):
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, api_key=key, stream=True,
                                 base_address=mock.native_base_url, result_format="message",
                                 incremental_output=True, headers=scripted("error:1")))
    assert parts[0].status_code == 200
    # The 1.x SDK reports every mid-stream error as 400: it ignores :HTTP_STATUS/
    # (docs/sources.md §5.2).
    assert (parts[-1].status_code, parts[-1].code) == (400, "DataInspectionFailed")
    mock.set_scenario("error:1", key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True)
    with pytest.raises(ContentFilterError) as caught:
        list(stream.text_stream)
    assert caught.value.status_code == 200


def test_client_retries_non_streaming_calls_only(mock, key):
    mock.set_scenario("503,200", key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url)  # max_retries=2
    assert client.chat.completions.create(model="qwen-plus", messages=HELLO).output_text
    assert [e["status"] for e in mock.requests()] == [503, 200]
    mock.reset()
    mock.set_scenario("429,200", key=key)
    with pytest.raises(RateLimitError):
        list(client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                            stream=True).text_stream)
    assert [e["status"] for e in mock.requests()] == [429]


def test_scenario_endpoint_and_log_endpoint(mock, key):
    reply = httpx.post(f"{mock.url}/_mock/scenario", json={"sequence": "503"})
    assert reply.json() == {"key": "*", "steps": ["503"]}
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    with pytest.raises(ServiceUnavailableError):
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    log = httpx.get(f"{mock.url}/_mock/requests").json()
    assert log["requests"][-1]["scenario"] == "503" and log["active_streams"] == 0
    assert httpx.delete(f"{mock.url}/_mock/requests").json() == {"cleared": True}
    assert httpx.get(f"{mock.url}/_mock/requests").json()["requests"] == []
    assert httpx.get(f"{mock.url}/_mock/scenario").json() == {"defaults": {}}
    bad = httpx.post(f"{mock.url}/_mock/scenario", json={"sequence": "teapot"})
    assert bad.status_code == 400 and "unknown fault" in bad.json()["error"]


def test_a_bad_scenario_header_says_what_is_allowed(mock, key):
    response = httpx.post(f"{mock.compatible_base_url}/chat/completions",
                          json={"model": "qwen-plus", "messages": HELLO},
                          headers={"Authorization": f"Bearer {key}", **scripted("oops")})
    assert response.status_code == 400
    assert "X-Mock-Scenario" in response.text and "HTTP status" in response.text


def test_a_mock_follows_the_instructors_faults(key):
    """One fault panel reaches every kernel's own mock (QWEN_FAULTS_FROM), and clears with it."""
    import time

    from qwen_helpers.mock import MockServer

    def status(server) -> int:
        client = openai.OpenAI(api_key=key, base_url=server.compatible_base_url, max_retries=0)
        try:
            client.chat.completions.create(model="qwen-plus", messages=HELLO)
        except openai.APIStatusError as error:
            return error.status_code
        return 200

    def eventually(server, expected: int) -> bool:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if status(server) == expected:
                return True
            time.sleep(0.05)
        return False

    instructor = MockServer().start()
    with MockServer(follow=instructor.url, follow_every=0.05) as participant:
        assert status(participant) == 200
        instructor.set_scenario("503")
        assert eventually(participant, 503)
        participant.set_scenario("429,200", key=key)   # the participant's own comes first
        assert status(participant) == 429 and status(participant) == 200
        participant.set_scenario("", key=key)
        instructor.set_scenario("")
        assert eventually(participant, 200)
        instructor.set_scenario("429")
        assert eventually(participant, 429)
        instructor.stop()                               # the instructor's laptop goes to sleep
        assert eventually(participant, 200)

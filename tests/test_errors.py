"""errors: every client stack's failures against the mock become one QwenError."""

from __future__ import annotations

import asyncio
import socket

import dashscope
import openai
import pytest
from dashscope import AioGeneration, Generation
from fakes import fake_key
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.errors import (
    COMPATIBLE_TO_NATIVE,
    HINTS,
    KINDS,
    QwenError,
    is_api_failure,
    raise_for_response,
    to_qwen_error,
)
from qwen_helpers.mock.errors import CATALOG

HELLO = [{"role": "user", "content": "你好"}]

# status scenario → (kind, native code, compatible code); 504 comes from the gateway as text.
STATUSES = {
    "400": ("bad_request", "InvalidParameter", "invalid_parameter_error"),
    "401": ("auth", "InvalidApiKey", "invalid_api_key"),
    "403": ("permission", "AccessDenied", "access_denied"),
    "404": ("not_found", "ModelNotFound", "model_not_found"),
    "429": ("rate_limit", "Throttling.RateQuota", "limit_requests"),
    "429/Throttling.AllocationQuota": ("rate_limit", "Throttling.AllocationQuota",
                                       "insufficient_quota"),
    "500": ("server", "InternalError", "internal_error"),
    "503": ("unavailable", "ModelUnavailable", "ModelUnavailable"),
    "504": ("timeout", None, None),
}




@pytest.fixture
def dead_url() -> str:
    """A loopback port that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def no_module_key(monkeypatch):
    """The dashscope module API's global key stays unset, whatever other tests did."""
    monkeypatch.setattr(dashscope, "api_key", None)


def caught(call) -> BaseException:
    with pytest.raises(Exception) as info:  # noqa: B017 - each stack raises its own class
        call()
    return info.value


def status_of(scenario: str) -> int:
    return int(scenario.split("/")[0])


# -- openai ------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", STATUSES)
def test_openai_status_errors(mock, key, scenario):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    exc = caught(lambda: client.chat.completions.create(
        model="qwen-plus", messages=HELLO, extra_headers={"X-Mock-Scenario": scenario}))
    error = to_qwen_error(exc)
    kind, native, compatible = STATUSES[scenario]
    assert (error.kind, error.status, error.code) == (kind, status_of(scenario), compatible)
    assert error.native_code == native
    assert error.request_id == mock.requests()[-1]["request_id"]
    assert error.__cause__ is exc and error.message and "Error code" not in error.message


def test_openai_connection_refused_timeout_and_in_band_error(mock, key, dead_url):
    refused = openai.OpenAI(api_key=key, base_url=dead_url + "/v1", max_retries=0)
    error = to_qwen_error(caught(lambda: refused.chat.completions.create(
        model="qwen-plus", messages=HELLO)))
    assert (error.kind, error.status, error.request_id) == ("connection", None, None)
    slow = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0,
                         timeout=0.3)
    error = to_qwen_error(caught(lambda: slow.chat.completions.create(
        model="qwen-plus", messages=HELLO, extra_headers={"X-Mock-Scenario": "stall:2"})))
    assert (error.kind, error.status) == ("timeout", None)
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_headers={"X-Mock-Scenario": "error:1"})
    error = to_qwen_error(caught(lambda: list(stream)))
    # openai keeps only the inner "error" object of the event: the request id is lost.
    assert (error.kind, error.status, error.code) == ("stream", None, "data_inspection_failed")
    assert error.native_code == "DataInspectionFailed" and error.request_id is None


def test_a_cut_stream_is_a_stream_failure_when_the_caller_says_so(mock, key):
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_headers={"X-Mock-Scenario": "cut:2"})
    exc = caught(lambda: list(stream))
    assert to_qwen_error(exc).kind == "connection"
    assert to_qwen_error(exc, in_stream=True).kind == "stream"


def test_async_openai_errors_are_the_same(mock, key):
    async def call():
        client = openai.AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url,
                                    max_retries=0)
        try:
            await client.chat.completions.create(
                model="qwen-plus", messages=HELLO,
                extra_headers={"X-Mock-Scenario": "429/Throttling.AllocationQuota"})
        except openai.APIError as exc:
            return to_qwen_error(exc)
        finally:
            await client.close()

    error = asyncio.run(call())
    assert (error.kind, error.status, error.code) == ("rate_limit", 429, "insufficient_quota")


# -- dashscope 1.x module API --------------------------------------------------------------------

@pytest.mark.parametrize("scenario", STATUSES)
def test_module_api_error_responses(mock, key, scenario):
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                               base_address=mock.native_base_url,
                               headers={"X-Mock-Scenario": scenario})
    error = to_qwen_error(response)
    kind, native, _ = STATUSES[scenario]
    assert (error.kind, error.status, error.code) == (kind, status_of(scenario), native)
    assert error.request_id == mock.requests()[-1]["request_id"]  # from x-request-id on 504
    with pytest.raises(QwenError) as raised:
        raise_for_response(response)
    assert raised.value.kind == kind


def test_module_api_refused_timeout_no_key_and_in_band_error(mock, key, dead_url):
    error = to_qwen_error(caught(lambda: Generation.call(
        model="qwen-plus", messages=HELLO, api_key=key, base_address=dead_url + "/api/v1")))
    assert (error.kind, error.status) == ("connection", None)
    error = to_qwen_error(caught(lambda: Generation.call(
        model="qwen-plus", messages=HELLO, api_key=key, base_address=mock.native_base_url,
        request_timeout=0.3, headers={"X-Mock-Scenario": "stall:2"})))
    assert (error.kind, error.status) == ("timeout", None)
    error = to_qwen_error(caught(lambda: Generation.call(
        model="qwen-plus", messages=HELLO, base_address=mock.native_base_url)))
    assert (error.kind, error.status) == ("auth", None)
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, api_key=key, stream=True,
                                 base_address=mock.native_base_url, result_format="message",
                                 incremental_output=True, headers={"X-Mock-Scenario": "error:1"}))
    # The SDK's made-up status for an in-band error (docs/sources.md §5.2).
    assert parts[-1].status_code == 400
    error = to_qwen_error(parts[-1])
    assert (error.kind, error.status, error.code) == ("stream", None, "DataInspectionFailed")
    assert error.request_id == mock.requests()[-1]["request_id"]


def test_async_module_api_errors_are_the_same(mock, key):
    async def call():
        try:
            return await AioGeneration.call(model="qwen-plus", messages=HELLO, api_key=key,
                                            base_address=mock.native_base_url,
                                            headers={"X-Mock-Scenario": "503"})
        finally:
            await dashscope.close_shared_aio_session()

    error = to_qwen_error(asyncio.run(call()))
    assert (error.kind, error.status, error.code) == ("unavailable", 503, "ModelUnavailable")


def test_success_is_not_an_error(mock, key):
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                               base_address=mock.native_base_url)
    assert raise_for_response(response) is response
    with pytest.raises(TypeError, match="succeeded"):
        to_qwen_error(response)
    with pytest.raises(TypeError, match="received str"):
        to_qwen_error("429")
    assert not is_api_failure(response) and not is_api_failure(KeyError("choices"))


# -- dashscope 2.0 Client ----------------------------------------------------------------------

@pytest.mark.parametrize("scenario", STATUSES)
def test_client_status_errors(mock, key, scenario):
    mock.set_scenario(scenario, key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    error = to_qwen_error(caught(lambda: client.chat.completions.create(
        model="qwen-plus", messages=HELLO)))
    kind, native, _ = STATUSES[scenario]
    assert (error.kind, error.status, error.code) == (kind, status_of(scenario), native)
    assert error.request_id == mock.requests()[-1]["request_id"]


def test_client_refused_timeout_and_in_band_error(mock, key, dead_url):
    refused = dashscope.Client(api_key=key, base_url=dead_url + "/api/v1", max_retries=0)
    error = to_qwen_error(caught(lambda: refused.chat.completions.create(
        model="qwen-plus", messages=HELLO)))
    assert (error.kind, error.status) == ("connection", None)
    mock.set_scenario("stall:2", key=key)
    slow = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0,
                            timeout=0.3)
    error = to_qwen_error(caught(lambda: slow.chat.completions.create(
        model="qwen-plus", messages=HELLO)))
    assert (error.kind, error.status) == ("timeout", None)
    mock.reset()
    mock.set_scenario("error:1", key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True)
    error = to_qwen_error(caught(lambda: list(stream.text_stream)))
    assert (error.kind, error.status, error.code) == ("stream", None, "DataInspectionFailed")
    assert error.request_id == mock.requests()[-1]["request_id"]


# -- both dialects, one meaning ----------------------------------------------------------------

@pytest.mark.parametrize("entry", CATALOG.values(), ids=lambda e: e.code)
def test_both_dialects_codes_have_one_kind(entry):
    native = to_qwen_error({"status_code": entry.status, "code": entry.code})
    compatible = to_qwen_error({"status_code": entry.status, "code": entry.compat_code})
    assert native.kind == compatible.kind != "unknown"
    if entry.compat_code in COMPATIBLE_TO_NATIVE:  # a shared compatible code names a sibling
        assert CATALOG[compatible.native_code].status == entry.status


def test_native_and_compatible_quota_codes_are_the_same_thing():
    native = QwenError("rate_limit", "m", status=429, code="Throttling.AllocationQuota")
    compatible = QwenError("rate_limit", "m", status=429, code="insufficient_quota")
    assert native.native_code == compatible.native_code == "Throttling.AllocationQuota"


# -- text ---------------------------------------------------------------------------------------

def test_str_says_kind_status_code_message_request_id_and_what_to_do():
    error = QwenError("rate_limit", "Requests rate limit exceeded.", status=429,
                      code="limit_requests", request_id="r-1")
    assert str(error) == ("rate_limit (HTTP 429, limit_requests): Requests rate limit exceeded. "
                          "(request_id r-1) " + HINTS["rate_limit"])
    assert set(KINDS) == set(HINTS)
    with pytest.raises(ValueError, match="is not one of"):
        QwenError("teapot", "m")


def test_str_speaks_the_kernels_language_and_keeps_the_services_words():
    from qwen_helpers import messages

    error = QwenError("rate_limit", "Requests rate limit exceeded", status=429,
                      code="limit_requests", request_id="r-1")
    error.attempts = [object(), object()]
    english = str(error)
    assert english == ("rate_limit (HTTP 429, limit_requests): Requests rate limit exceeded. "
                       "(request_id r-1) Gave up after 2 attempt(s). Too many requests or tokens "
                       "this minute: wait and retry with backoff.")
    try:
        messages.set_language("zh")
        assert str(error) == ("rate_limit（HTTP 429，limit_requests）：Requests rate limit "
                              "exceeded.（请求 ID：r-1）共尝试 2 次，已放弃。本分钟的请求数或 "
                              "Token 数超限（限流）：请等待后按指数退避重试。")
        assert HINTS["stream"].startswith("流式输出开始后中断")
        with pytest.raises(ValueError, match="不是以下之一"):
            QwenError("teapot", "m")
    finally:
        messages.set_language("en")
    assert str(error) == english


def test_a_planted_key_never_shows(mock):
    planted = fake_key()
    errors = [
        to_qwen_error(caught(lambda: openai.OpenAI(
            api_key=planted, base_url=mock.compatible_base_url, max_retries=0
        ).chat.completions.create(model="qwen-plus", messages=HELLO))),
        to_qwen_error(Generation.call(model="qwen-plus", messages=HELLO, api_key=planted,
                                      base_address=mock.native_base_url)),
        to_qwen_error(caught(lambda: dashscope.Client(
            api_key=planted, base_url=mock.native_base_url, max_retries=0
        ).chat.completions.create(model="qwen-plus", messages=HELLO))),
        to_qwen_error(RuntimeError(f"proxy said: Authorization: Bearer {planted}")),
        to_qwen_error(ValueError(f"key {planted} refused")),
    ]
    assert [e.kind for e in errors[:3]] == ["auth"] * 3
    for error in errors:
        assert planted not in str(error) and planted not in repr(error)
        assert planted[3:] not in f"{error} {error!r} {error.message}"


@given(before=st.text(max_size=40), after=st.text(max_size=40))
def test_no_message_can_smuggle_a_key(before, after):
    planted = fake_key()
    error = QwenError("unknown", f"{before}{planted}{after}")
    assert planted not in str(error) and planted not in repr(error)

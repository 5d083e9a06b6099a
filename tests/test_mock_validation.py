"""Bad input gets the service's 4xx in the right dialect: never a 5xx, a crash, or a hang."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CHAT = "/compatible-mode/v1/chat/completions"
NATIVE = "/api/v1/services/aigc/text-generation/generation"
HELLO = [{"role": "user", "content": "你好"}]


@pytest.fixture
def post(mock, key):
    def send(path: str, body, headers=None) -> httpx.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.post(mock.url + path, content=data, timeout=5,
                          headers={"Authorization": f"Bearer {key}", **(headers or {})})
    return send


def compat_error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def native_error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "request_id"}
    return body


@pytest.mark.parametrize("raw", [b"{", b"not json", b"", b'{"model": "qwen-plus",}',
                                 b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"[" * 10000,
                                 b'{"model": NaN}'])
def test_malformed_bodies(post, raw):
    compatible = post(CHAT, raw)
    assert compatible.status_code == 400
    error = compat_error(compatible)
    assert error["message"] == "Required body invalid, please check the request body format."
    assert error["code"] is None
    native = post(NATIVE, raw)
    assert native.status_code == 400 and native_error(native)["code"] == "InvalidParameter"


@pytest.mark.parametrize(("body", "message"), [
    ({"messages": HELLO}, "you must provide a model parameter"),
    ({"model": "qwen-plus"}, "Required parameter(messages) missing or invalid"),
    ({"model": "qwen-plus", "messages": []}, "[] is too short"),
    ({"model": "qwen-plus", "messages": [{"role": "wizard", "content": "x"}]}, "messages"),
    ({"model": "qwen-plus", "messages": [{"role": "user", "content": 3}]}, "messages"),
    ({"model": "qwen-plus", "messages": [{"role": "user", "content": [{"text": "x"}]}]},
     "input content must be a string"),
    ({"model": "qwen-plus", "messages": HELLO, "temperature": 2}, "Temperature should be in"),
    ({"model": "qwen-plus", "messages": HELLO, "temperature": "hot"}, "temperature"),
    ({"model": "qwen-plus", "messages": HELLO, "top_p": 0}, "top_p"),
    ({"model": "qwen-plus", "messages": HELLO, "max_tokens": 0},
     "Range of max_tokens should be [1, 32768]"),
    ({"model": "qwen-plus", "messages": HELLO, "n": 5}, "Range of n"),
    ({"model": "qwen-plus", "messages": HELLO, "seed": -1}, "Range of seed"),
    ({"model": "qwen-plus", "messages": HELLO, "stream": "yes"}, "stream"),
    ({"model": "qwen-plus", "messages": HELLO, "max_tokens": 10**400}, "max_tokens"),
    ({"model": "qwen-plus", "messages": HELLO, "response_format": {"type": "json_object"}},
     "must contain the word 'json'"),
])
def test_schema_violations_compatible(post, body, message):
    response = post(CHAT, body)
    assert response.status_code == 400
    error = compat_error(response)
    assert message in error["message"]
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(("body", "code", "message"), [
    ({"input": {"messages": HELLO}, "parameters": {}}, "BadRequest.EmptyModel", "model"),
    ({"model": "qwen-plus", "parameters": {}}, "BadRequest.EmptyInput", "input"),
    ({"model": "qwen-plus", "input": {"messages": HELLO}}, "BadRequest.EmptyParameters",
     "parameters"),
    ({"model": "qwen-plus", "input": {}, "parameters": {}}, "InvalidParameter",
     'Either "prompt" or "messages" must exist'),
    ({"model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {"result_format": "x"}},
     "InvalidParameter", "result_format"),
    ({"model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {"seed": 2**63}},
     "InvalidParameter", "Range of seed should be [0, 9223372036854775807]"),
    ({"model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {"max_tokens": 0}},
     "InvalidParameter", "Range of max_tokens should be [1, 32768]"),
])
def test_schema_violations_native(post, body, code, message):
    response = post(NATIVE, body)
    assert response.status_code == 400
    error = native_error(response)
    assert error["code"] == code and message in error["message"]


@pytest.mark.parametrize("model", ["qwen-foo", "qwen-turbo", "qwq-plus"])
def test_unknown_and_retired_models_are_404(post, model):
    compatible = post(CHAT, {"model": model, "messages": HELLO})
    assert compatible.status_code == 404
    assert compat_error(compatible)["code"] == "model_not_found"
    assert f"`{model}`" in compat_error(compatible)["message"]
    native = post(NATIVE, {"model": model, "input": {"messages": HELLO}, "parameters": {}})
    assert native.status_code == 404 and native_error(native)["code"] == "ModelNotFound"


def test_unknown_fields_are_accepted(post):
    assert post(CHAT, {"model": "qwen-plus", "messages": HELLO, "frobnicate": 1}).status_code \
        == 200


def test_oversized_body_is_413(mock, key):
    from qwen_helpers.mock import MockServer

    with MockServer(max_body_bytes=1024) as small:
        body = json.dumps({"model": "qwen-plus", "messages": [
            {"role": "user", "content": "x" * 2000}]})
        response = httpx.post(small.compatible_base_url + "/chat/completions", content=body,
                              headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 413


def test_wrong_method_is_405_with_allow(mock, key):
    response = httpx.get(mock.url + CHAT, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_over_long_prompt_is_refused(post):
    long_text = "数据 " * 120_000  # about 120,000 tokens
    response = post(CHAT, {"model": "qwen-plus", "messages": [
        {"role": "user", "content": long_text}]})
    assert response.status_code == 400
    assert compat_error(response)["message"] == "Range of input length should be [1, 98304]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12)
bodies = st.fixed_dictionaries({}, optional={
    "model": st.sampled_from(["qwen-plus", "qwen-turbo", "", None, 7]) | st.text(max_size=10),
    "messages": st.lists(st.fixed_dictionaries({}, optional={
        "role": st.sampled_from(["user", "system", "assistant", "tool", "x"]),
        "content": json_values}), max_size=3) | json_values,
    "temperature": json_values, "top_p": json_values, "max_tokens": json_values,
    "stream": json_values, "n": json_values, "seed": json_values, "stop": json_values,
    "input": json_values, "parameters": json_values,
})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, path=st.sampled_from([CHAT, NATIVE]))
def test_generated_requests_never_get_a_5xx(post, body, path):
    response = post(path, body)
    assert response.status_code in (200, 400, 404), response.text
    assert len(response.content) < 4096 or response.status_code == 200

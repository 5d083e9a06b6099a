"""Authentication as the service does it: each branch through a teaching key, both dialects."""

from __future__ import annotations

import dashscope
import httpx
import openai
import pytest
from dashscope import Generation
from dashscope.v2.errors import AuthenticationError, PermissionDeniedError, RateLimitError

from qwen_helpers.mock import MockServer

HELLO = [{"role": "user", "content": "你好"}]
CHAT = "/compatible-mode/v1/chat/completions"
NATIVE = "/api/v1/services/aigc/text-generation/generation"
BODIES = {CHAT: {"model": "qwen-plus", "messages": HELLO},
          NATIVE: {"model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {}}}


@pytest.mark.parametrize("path", [CHAT, NATIVE, "/compatible-mode/v1/no-such-path"])
def test_missing_key_is_the_flat_401_on_both_dialects(mock, path):
    response = httpx.post(mock.url + path, json=BODIES.get(path, {}))
    assert response.status_code == 401
    body = response.json()
    assert body == {"code": "InvalidApiKey", "message": "No API-key provided.",
                    "request_id": response.headers["x-request-id"]}


def test_dashscope_client_without_a_key_sends_no_header_and_gets_401(mock, monkeypatch):
    monkeypatch.setattr(dashscope, "api_key", None)
    # connect() (run by earlier tests in this process) sets the 2.0 settings' key: clear it too.
    monkeypatch.setattr(dashscope.settings, "api_key", None)
    client = dashscope.Client(base_url=mock.native_base_url, max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    assert caught.value.message == "No API-key provided."
    assert mock.requests()[-1]["key"] == "(none)"


def test_unknown_key_in_each_dialect(mock):
    client = openai.OpenAI(api_key="mock-key-unknown", base_url=mock.compatible_base_url,
                           max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    assert caught.value.code == "invalid_api_key"
    assert caught.value.type == "invalid_request_error"
    assert caught.value.body["message"] == ("Incorrect API key provided. For details, see: "
                                            "https://help.aliyun.com/zh/model-studio/error-code"
                                            "#apikey-error")
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key="mock-key-unknown",
                               base_address=mock.native_base_url)
    assert (response.status_code, response.code, response.message) == (
        401, "InvalidApiKey", "Invalid API-key provided.")


def test_a_key_from_another_region_looks_exactly_like_a_bad_key(mock):
    """The most common real set-up failure: a Singapore key on the Beijing host."""
    wrong_region = Generation.call(model="qwen-plus", messages=HELLO, api_key="mock-key-intl",
                                   base_address=mock.native_base_url)
    unknown = Generation.call(model="qwen-plus", messages=HELLO, api_key="mock-key-unknown",
                              base_address=mock.native_base_url)
    assert (wrong_region.status_code, wrong_region.code, wrong_region.message) == (
        unknown.status_code, unknown.code, unknown.message)
    with MockServer(region="ap-southeast-1") as singapore:
        right_region = Generation.call(model="qwen-plus", messages=HELLO, api_key="mock-key-intl",
                                       base_address=singapore.native_base_url)
        assert right_region.status_code == 200
        client = openai.OpenAI(api_key="mock-key-unknown",
                               base_url=singapore.compatible_base_url, max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            client.chat.completions.create(model="qwen-plus", messages=HELLO)
        assert "https://www.alibabacloud.com/help/en/model-studio/error-code#apikey-error" in \
            caught.value.message


def test_account_in_arrears_is_400_not_403(mock):
    client = openai.OpenAI(api_key="mock-key-arrears", base_url=mock.compatible_base_url,
                           max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    assert caught.value.code == "Arrearage" and caught.value.type == "Arrearage"
    native = dashscope.Client(api_key="mock-key-arrears", base_url=mock.native_base_url,
                              max_retries=0)
    with pytest.raises(PermissionDeniedError) as raised:  # the 2.0 SDK maps the code, not 400
        native.chat.completions.create(model="qwen-plus", messages=HELLO)
    assert raised.value.status_code == 400 and raised.value.code == "Arrearage"


def test_free_tier_exhausted_is_403(mock):
    response = Generation.call(model="qwen-plus", messages=HELLO,
                               api_key="mock-key-free-tier-exhausted",
                               base_address=mock.native_base_url)
    assert (response.status_code, response.code) == (403, "AllocationQuota.FreeTierOnly")
    client = openai.OpenAI(api_key="mock-key-free-tier-exhausted",
                           base_url=mock.compatible_base_url, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="qwen-plus", messages=HELLO)


def test_rate_limited_key_gets_429_after_three_requests_a_minute(mock):
    client = dashscope.Client(api_key="mock-key-rate-limited", base_url=mock.native_base_url,
                              max_retries=0)
    for _ in range(3):
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    with pytest.raises(RateLimitError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    assert caught.value.code == "Throttling.RateQuota"
    # The budget is per model: another model still answers.
    assert client.chat.completions.create(model="qwen-flash", messages=HELLO).output_text


def test_keys_given_to_the_mock_are_valid(key):
    with MockServer(keys=frozenset({"my-own-test-key"})) as server:
        client = openai.OpenAI(api_key="my-own-test-key", base_url=server.compatible_base_url)
        assert client.chat.completions.create(model="qwen-plus", messages=HELLO).choices
        assert server.requests()[-1]["key"] == "my-ow…ey"


def test_unknown_path_with_a_valid_key(mock, key):
    response = httpx.get(f"{mock.url}/api/v1/no-such-thing",
                         headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json()["message"] == "url error, please check url!"


def test_tokens_per_minute_budget_gives_the_allocation_quota_429(key):
    """A TPM budget counts real tokens, input and output, per key and model.

    See docs/sources.md §8.1.
    """
    with MockServer(tpm=20) as server:
        client = openai.OpenAI(api_key=key, base_url=server.compatible_base_url, max_retries=0)
        first = client.chat.completions.create(model="qwen-plus", messages=HELLO)
        assert first.usage.total_tokens == 17  # 9 in + 8 out; 17 + the next 9 in is over 20
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="qwen-plus", messages=HELLO)
        assert caught.value.code == "insufficient_quota"
        assert [e["status"] for e in server.requests()] == [200, 429]

"""The response cache: hits, the key left out, TTL on a fake clock, failures never stored."""

from __future__ import annotations

import json
import secrets
import threading

import openai
import pytest
from dashscope import Generation
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.cache import (
    CachedResult,
    ResponseCache,
    cached_call,
    canonical_request,
    is_cacheable,
    request_key,
)
from qwen_helpers.streaming import StreamResult
from qwen_helpers.usage import Ledger

HELLO = [{"role": "user", "content": "你好"}]


class FakeClock:
    """Wall-clock seconds that move only when told."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def planted_key() -> str:
    """A string shaped like a real key, made at run time so no file ever holds one."""
    return "sk-" + secrets.token_hex(16)


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


def chat_requests(mock) -> int:
    return sum(entry["path"].endswith(("/chat/completions", "/generation"))
               for entry in mock.requests())


def test_second_call_is_a_hit_and_sends_nothing(mock, client, tmp_path):
    cache = ResponseCache(tmp_path)
    first = cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=HELLO)
    second = cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=HELLO)
    assert (first.cached, second.cached) == (False, True)
    assert first.response == second.response and second.response["choices"][0]["message"]
    assert chat_requests(mock) == 1 and (cache.hits, cache.misses) == (1, 1)
    ledger = Ledger()
    row = ledger.record(second.response, cached=second.cached)
    assert row.cached and row.cost(None) == 0.0


def test_a_new_cache_on_the_same_folder_reads_the_disk(mock, client, tmp_path):
    cached_call(ResponseCache(tmp_path), client.chat.completions.create, model="qwen-plus",
                messages=HELLO)
    again = cached_call(ResponseCache(tmp_path), client.chat.completions.create,
                        model="qwen-plus", messages=HELLO)
    assert again.cached and chat_requests(mock) == 1


def test_parameters_that_change_the_answer_change_the_key(mock, client):
    cache = ResponseCache()
    create = client.chat.completions.create
    cached_call(cache, create, model="qwen-plus", messages=HELLO)
    assert not cached_call(cache, create, model="qwen-plus", messages=HELLO, temperature=0.1).cached
    assert not cached_call(cache, create, model="qwen-flash", messages=HELLO).cached
    assert cached_call(cache, create, model="qwen-plus", messages=HELLO, timeout=30).cached


def test_the_key_and_headers_never_reach_the_cache(mock, key, tmp_path):
    secret = planted_key()
    cache = ResponseCache(tmp_path)
    native = dict(model="qwen-plus", messages=HELLO, base_address=mock.native_base_url,
                  result_format="message")
    # The planted key rides in a header and in extra_headers; the mock's demo key authenticates.
    result = cached_call(cache, Generation.call, api_key=key, headers={"X-Trace": secret},
                         **native)
    assert result.response["status_code"] == 200
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=HELLO,
                extra_headers={"X-Trace": f"Bearer {secret}"})

    def fake_call(**request):  # a function that takes the key itself, as Generation.call does
        return {"choices": [{"message": {"content": "ok"}}]}

    cached_call(cache, fake_call, model="qwen-plus", messages=HELLO, api_key=secret,
                headers={"Authorization": f"Bearer {secret}"})
    same = canonical_request({"api_key": secret, "model": "m", "messages": HELLO})
    assert same == canonical_request({"api_key": key, "model": "m", "messages": HELLO})
    files = list(tmp_path.iterdir())
    assert len(files) == 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert secret not in text and key not in text and secret[:12] not in text
    assert secret not in repr(cache) and secret not in repr(result)


def test_answers_expire_after_the_ttl(mock, client, tmp_path):
    clock = FakeClock()
    cache = ResponseCache(tmp_path, ttl=60, clock=clock)
    call = dict(model="qwen-plus", messages=HELLO)
    cached_call(cache, client.chat.completions.create, **call)
    clock.now += 59.9
    assert cached_call(cache, client.chat.completions.create, **call).cached
    clock.now += 0.1
    assert not cached_call(cache, client.chat.completions.create, **call).cached
    assert chat_requests(mock) == 2 and cache.misses == 2


def test_failures_are_never_stored(mock, client, key, tmp_path):
    cache = ResponseCache(tmp_path)
    with pytest.raises(openai.RateLimitError):
        cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=HELLO,
                    extra_headers={"X-Mock-Scenario": "429"})
    # dashscope 1.x never raises: its 503 is a response with status_code, passed through.
    refused = cached_call(cache, Generation.call, model="qwen-plus", messages=HELLO, api_key=key,
                          base_address=mock.native_base_url, headers={"X-Mock-Scenario": "503"})
    assert not refused.cached and refused.response.status_code == 503
    assert list(tmp_path.iterdir()) == [] and cache.hits == 0


def test_incomplete_stream_results_and_error_bodies_are_not_cacheable():
    assert not is_cacheable({"error": {"code": "limit_requests"}})
    assert not is_cacheable({"status_code": 429})
    assert not is_cacheable(StreamResult("Hel", complete=False))
    cache = ResponseCache()
    partial = {"text": "Hel", "complete": False}
    assert cached_call(cache, lambda **_: partial, prompt="x").response is partial
    assert cache.get(request_key(canonical_request({"prompt": "x"}))) is None


def test_a_corrupted_file_is_a_miss(mock, client, tmp_path):
    cache = ResponseCache(tmp_path)
    first = cached_call(cache, client.chat.completions.create, model="qwen-plus", messages=HELLO)
    for garbage in ("{not json", "[]", '{"stored_at": "soon"}', ""):
        (tmp_path / f"{first.key}.json").write_text(garbage, encoding="utf-8")
        assert ResponseCache(tmp_path).get(first.key) is None
    again = cached_call(ResponseCache(tmp_path), client.chat.completions.create,
                        model="qwen-plus", messages=HELLO)
    assert not again.cached  # called again, and the file is whole once more
    assert json.loads((tmp_path / f"{first.key}.json").read_text())["response"] == again.response


def test_ten_threads_writing_at_once_leave_whole_files(tmp_path):
    cache = ResponseCache(tmp_path)
    start = threading.Barrier(10)

    def write(n: int) -> None:
        start.wait(timeout=5)
        for round_ in range(20):
            cache.put("same", {"writer": n, "round": round_, "text": "x" * 5000})
            cache.put(f"own-{n}", {"writer": n})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fresh = ResponseCache(tmp_path)
    assert fresh.get("same").response["text"] == "x" * 5000
    assert all(fresh.get(f"own-{n}").response == {"writer": n} for n in range(10))
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".json"]  # no temporary left


def test_clear_forgets_everything(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", {"a": 1})
    assert isinstance(cache.get("k"), CachedResult)
    cache.clear()
    assert cache.get("k") is None and list(tmp_path.iterdir()) == []


@given(st.dictionaries(st.sampled_from(["temperature", "seed", "top_p", "stop"]),
                       st.integers(0, 5), max_size=4),
       st.sampled_from(["api_key", "headers", "extra_headers", "timeout", "max_retries"]),
       st.text(min_size=1, max_size=20))
def test_transport_parameters_never_change_the_key(params, transport, value):
    request = {"model": "qwen-plus", "messages": HELLO, **params}
    assert request_key(canonical_request(request)) == request_key(
        canonical_request({**request, transport: value}))
    assert request_key(canonical_request(dict(reversed(request.items())))) == request_key(
        canonical_request(request))

"""The ledger: usage from both dialects and all three SDK stacks, totals, cost and estimates."""

from __future__ import annotations

import dashscope
import httpx
import openai
import pytest
from dashscope import Generation
from dashscope.v2.errors import APIStatusError
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers.streaming import StreamResult
from qwen_helpers.usage import (
    CACHE_HIT_FRACTION,
    PRICES,
    CallRecord,
    Ledger,
    Usage,
    estimate_tokens,
    price_of,
    read_call,
    read_usage,
)

HELLO = [{"role": "user", "content": "你好"}]
OTHER = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}]


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


def logged_usage(mock) -> Usage:
    entry = mock.requests()[-1]["usage"]
    return Usage(entry["input_tokens"], entry["output_tokens"], 0)


def test_openai_chat_completion(mock, client):
    ledger = Ledger()
    row = ledger.record(client.chat.completions.create(model="qwen-plus", messages=HELLO),
                        latency=0.25)
    assert (row.input_tokens, row.output_tokens, row.cached_tokens) == tuple(
        vars(logged_usage(mock)).values())
    assert (row.model, row.status, row.latency, row.error) == ("qwen-plus", 200, 0.25, None)
    assert row.request_id == mock.requests()[-1]["request_id"]


def test_openai_stream_last_chunk(mock, client):
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            stream_options={"include_usage": True})
    last = list(stream)[-1]
    assert read_usage(last) == logged_usage(mock)
    assert read_call(last)["request_id"] == mock.requests()[-1]["request_id"]


def test_dashscope_generation_response(mock, key):
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                               base_address=mock.native_base_url, result_format="message")
    row = Ledger().record(response, model="qwen-plus")
    assert Usage(row.input_tokens, row.output_tokens, row.cached_tokens) == logged_usage(mock)
    assert row.request_id == mock.requests()[-1]["request_id"] and row.status == 200


@pytest.mark.parametrize("protocol", ["native", "openai"])
def test_dashscope_2_client(mock, key, protocol):
    base = mock.native_base_url if protocol == "native" else mock.compatible_base_url
    client = dashscope.Client(api_key=key, base_url=base, protocol=protocol, max_retries=0)
    row = Ledger().record(client.chat.completions.create(model="qwen-flash", messages=OTHER),
                          model="qwen-flash")
    assert Usage(row.input_tokens, row.output_tokens, row.cached_tokens) == logged_usage(mock)
    assert row.request_id == mock.requests()[-1]["request_id"]


@pytest.mark.parametrize("path", ["/chat/completions", "/services/aigc/text-generation/generation"])
def test_plain_json_of_both_dialects(mock, key, path):
    base = mock.compatible_base_url if path == "/chat/completions" else mock.native_base_url
    body = {"model": "qwen-plus", "messages": HELLO} if path == "/chat/completions" else {
        "model": "qwen-plus", "input": {"messages": HELLO}, "parameters": {}}
    data = httpx.post(base + path, json=body, headers={"Authorization": f"Bearer {key}"}).json()
    assert read_usage(data) == logged_usage(mock)


def test_cached_tokens_from_both_spellings():
    compatible = {"usage": {"prompt_tokens": 100, "completion_tokens": 5,
                            "prompt_tokens_details": {"cached_tokens": 64}}}
    native = {"usage": {"input_tokens": 100, "output_tokens": 5,
                        "prompt_tokens_details": {"cached_tokens": 64}}}
    assert read_usage(compatible) == read_usage(native) == Usage(100, 5, 64)
    assert read_usage({"usage": None}) is None and read_usage(object()) is None


def test_ledger_sum_equals_what_the_mock_logged(mock, client, key):
    ledger = Ledger()
    for messages in (HELLO, OTHER, HELLO):
        ledger.record(client.chat.completions.create(model="qwen-plus", messages=messages))
    ledger.record(Generation.call(model="qwen-flash", messages=OTHER, api_key=key,
                                  base_address=mock.native_base_url), model="qwen-flash")
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_headers={"X-Mock-Scenario": "429"})
    error_row = ledger.record(caught.value, model="qwen-plus", attempt=2)
    assert (error_row.status, error_row.error, error_row.input_tokens) == (429, "limit_requests", 0)
    assert error_row.request_id == mock.requests()[-1]["request_id"]

    logged = [e["usage"] for e in mock.requests() if "usage" in e]
    total = ledger.totals()[-1]
    assert total["model"] == "all" and total["calls"] == 5 and total["errors"] == 1
    assert total["input_tokens"] == sum(u["input_tokens"] for u in logged)
    assert total["output_tokens"] == sum(u["output_tokens"] for u in logged)
    per_model = {row["model"]: row for row in ledger.totals()}
    assert per_model["qwen-flash"]["calls"] == 1 and per_model["qwen-plus"]["calls"] == 4


def test_dashscope_1x_error_response_is_an_error_row(mock, key):
    response = Generation.call(model="qwen-plus", messages=HELLO, api_key=key,
                               base_address=mock.native_base_url,
                               headers={"X-Mock-Scenario": "429/Throttling.AllocationQuota"})
    row = Ledger().record(response, model="qwen-plus")
    assert (row.status, row.error, row.input_tokens) == (429, "Throttling.AllocationQuota", 0)


def test_a_row_without_a_model_name_is_refused():
    with pytest.raises(ValueError, match="pass model="):
        Ledger().record({"usage": {"input_tokens": 1, "output_tokens": 1}})


def test_cost_from_the_dated_table():
    ledger = Ledger()
    ledger.add(CallRecord("qwen-plus", 200, "r1", 100_000, 100_000, 0, 1.0))
    ledger.add(CallRecord("qwen-plus", 200, "r2", 100_000, 0, 50_000, 1.0))  # half from cache
    ledger.add(CallRecord("qwen-plus", 200, "r3", 5000, 500, 0, 0.0, cached=True))  # ours: free
    rows = {row["model"]: row for row in ledger.totals()}

    def expected(price_in: float, price_out: float) -> float:
        return (100_000 * (price_in + price_out) + 50_000 * price_in
                + 50_000 * price_in * CACHE_HIT_FRACTION) / 1e6

    assert rows["qwen-plus"]["cost"] == pytest.approx(expected(0.4, 1.2))
    assert rows["qwen-plus"]["our_cache_hits"] == 1 and rows["qwen-plus"]["currency"] == "USD"
    assert "2025-04-22" in rows["qwen-plus"]["price_source"]
    china = {row["model"]: row for row in ledger.totals("cn-beijing")}
    assert china["qwen-plus"]["cost"] == pytest.approx(expected(0.8, 2.0))
    assert china["all"]["currency"] == "CNY"


def test_unknown_prices_say_unknown():
    ledger = Ledger()
    ledger.add(CallRecord("qwen3.6-plus", 200, "r", 100, 10, 0, 1.0))
    ledger.add(CallRecord("qwen3.5-plus", 200, "r", 100, 10, 0, 1.0))  # no output price
    ledger.add(CallRecord("qwen-plus", 200, "r", 100, 10, 0, 1.0))
    summary = {row["model"]: row for row in ledger.summary()}
    assert summary["qwen3.6-plus"]["cost"] == summary["qwen3.5-plus"]["cost"] == "unknown"
    assert summary["qwen-plus"]["cost"].startswith("USD ")
    assert summary["all"]["cost"] == "unknown"
    assert "| qwen3.6-plus | 1 | 0 |" in ledger._repr_markdown_()
    assert "third-party" in ledger.to_markdown()  # qwen3.5-plus's source is marked as such


def test_known_cost_counts_the_priced_tokens_as_a_lower_bound():
    ledger = Ledger()
    ledger.add(CallRecord("qwen3.5-flash", 200, "r", 1_000_000, 10, 0, 1.0))  # no output price
    ledger.add(CallRecord("qwen3.6-plus", 200, "r", 100, 10, 0, 1.0))  # no price at all
    ledger.record_incomplete("qwen-plus", request_id="r", input_tokens=9)  # usage unknown
    totals = {row["model"]: row for row in ledger.totals()}
    assert totals["qwen3.5-flash"]["cost"] is None
    assert totals["qwen3.5-flash"]["known_cost"] == pytest.approx(0.1)  # 1 M input tokens
    assert totals["qwen3.6-plus"]["known_cost"] == 0 and totals["qwen-plus"]["known_cost"] == 0
    assert totals["all"]["cost"] is None and totals["all"]["known_cost"] == pytest.approx(0.1)


def test_prompts_past_a_price_tier_are_unknown():
    long_prompt = CallRecord("qwen-plus", 200, "r", 200_000, 10, 0, 1.0)
    assert long_prompt.cost(price_of("qwen-plus", "china")) is None
    assert long_prompt.cost(price_of("qwen-plus")) is not None


def test_every_price_names_its_source_and_date():
    for price in PRICES:
        assert price.source and price.date and price.market in ("international", "china")
        assert price.input is not None  # each row exists because the reference gives a figure
    assert price_of("qwen-flash").third_party and not price_of("qwen-plus").third_party
    with pytest.raises(ValueError, match="use one of"):
        price_of("qwen-plus", "mars")


def test_a_broken_stream_is_unknown_never_zero():
    ledger = Ledger()
    row = ledger.record_incomplete("qwen-plus", request_id="r", input_tokens=9)
    assert not row.usage_known and row.output_tokens is None and row.cost(price_of("qwen-plus")) \
        is None
    total = ledger.totals()[-1]
    assert total["unknown_usage"] == 1 and total["cost"] is None
    assert total["input_tokens"] == 0  # estimates are kept on the row, not added as billed


def test_a_stream_result_marked_incomplete_keeps_its_usage_as_an_estimate():
    ledger = Ledger()
    row = ledger.record(StreamResult("Hel", usage={"prompt_tokens": 9, "completion_tokens": 2},
                                     complete=False), model="qwen-plus")
    assert not row.usage_known and (row.input_tokens, row.output_tokens) == (9, 2)
    assert row.error == "stream"
    done = ledger.record(StreamResult("Hello", usage={"prompt_tokens": 9, "completion_tokens": 5},
                                      finish_reason="stop", complete=True), model="qwen-plus")
    assert done.usage_known and done.output_tokens == 5


@pytest.mark.parametrize("scenario", ["cut:2", "error:1", "drop"])
def test_streams_that_break_on_the_wire_have_unknown_usage(mock, client, scenario):
    ledger = Ledger()
    with pytest.raises(openai.APIError) as caught:
        for _ in client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                                extra_headers={"X-Mock-Scenario": scenario}):
            pass
    row = ledger.record(caught.value, model="qwen-plus")
    assert not row.usage_known and row.input_tokens is None and row.status is None
    assert ledger.totals()[-1]["cost"] is None


def test_a_dashscope_2_in_stream_error_has_unknown_usage(mock, key):
    mock.set_scenario("error:1", key=key)
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        list(client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True))
    row = Ledger().record(caught.value, model="qwen-plus")
    assert caught.value.status_code == 200 and not row.usage_known


def test_estimate_matches_what_the_mock_bills(mock, client):
    client.chat.completions.create(model="qwen-plus", messages=OTHER)
    assert estimate_tokens(OTHER, model="qwen-plus") == logged_usage(mock).input_tokens
    with pytest.raises(ValueError, match="not a Qwen model"):
        estimate_tokens(OTHER, model="gpt-4o")


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)),
                max_size=8))
def test_cost_is_never_negative_and_adds_up(rows):
    ledger = Ledger()
    for tokens_in, tokens_out, cached in rows:
        ledger.add(CallRecord("qwen-plus", 200, "r", tokens_in + cached, tokens_out, cached, 0.1))
    total = ledger.totals()[-1]["cost"]
    expected = sum((i * 0.4 + c * 0.4 * CACHE_HIT_FRACTION + o * 1.2) / 1e6 for i, o, c in rows)
    assert total == pytest.approx(expected) and total >= 0

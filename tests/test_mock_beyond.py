"""Thinking, tool calls and JSON answers on the mock, through the real openai and dashscope SDKs,
and the helpers that read them (issue 14)."""

from __future__ import annotations

import json
import re

import dashscope
import openai
import pydantic
import pytest
from dashscope import Generation

from qwen_helpers.mock.answers import tokens
from qwen_helpers.streaming import collect_dashscope, collect_openai
from qwen_helpers.structured import AnswerNotValid, parse_json_answer
from qwen_helpers.tool_calling import run_tool_call, tool_loop
from qwen_helpers.usage import Ledger, price_of

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
FORCE = {"type": "function", "function": {"name": "get_weather"}}
ASK = [{"role": "user", "content": "What's the weather in Hangzhou?"}]


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


@pytest.fixture
def native(mock, key, monkeypatch):
    monkeypatch.setattr(dashscope, "base_http_api_url", mock.native_base_url)
    return key


def test_a_forced_tool_call_has_the_captured_shape(client):
    reply = client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                           tool_choice=FORCE)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content == ""
    (call,) = choice.message.tool_calls
    assert re.fullmatch(r"call_[0-9a-f]{22}", call.id) and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "What's the weather in Hangzhou?"}
    again = client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                           tool_choice=FORCE)
    assert again.choices[0].message.tool_calls[0].id == call.id  # deterministic per request


def test_auto_without_a_recording_answers_in_text_and_names_the_tools(client):
    reply = client.chat.completions.create(model="qwen-plus", messages=ASK,
                                           tools=[WEATHER, TIME])
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content.endswith("get_weather, get_time.")
    quiet = client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                           tool_choice="none")
    assert "get_weather" not in quiet.choices[0].message.content


def test_a_streamed_tool_call_comes_in_pieces_joined_by_index(client):
    whole = client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                           tool_choice=FORCE).choices[0].message.tool_calls[0]
    chunks = list(client.chat.completions.create(model="qwen-plus", messages=ASK,
                                                 tools=[WEATHER], tool_choice=FORCE,
                                                 stream=True))
    first, *middle, last = chunks
    head = first.choices[0].delta
    assert head.role == "assistant" and head.content is None
    assert head.tool_calls[0].id == whole.id and head.tool_calls[0].function.name == "get_weather"
    assert len(middle) >= 5, "the arguments must arrive split over several chunks"
    for chunk in middle:
        piece = chunk.choices[0].delta.tool_calls[0]
        assert piece.id == "" and piece.function.name is None and piece.index == 0
    assert last.choices[0].finish_reason == "tool_calls"
    joined = "".join(c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[:-1])
    assert joined == whole.function.arguments
    result = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=ASK, tools=[WEATHER], tool_choice=FORCE, stream=True))
    assert result.complete and result.finish_reason == "tool_calls"
    assert result.tool_calls == [{"id": whole.id, "type": "function", "function": {
        "name": "get_weather", "arguments": whole.function.arguments}}]


@pytest.mark.parametrize("incremental", [True, False])
def test_a_native_tool_call_streams_and_the_sdk_merges_it(native, incremental):
    options = dict(model="qwen-plus", messages=ASK, tools=[WEATHER], tool_choice=FORCE,
                   result_format="message")
    whole = Generation.call(api_key=native, **options)
    assert whole.status_code == 200
    expected = whole.output.choices[0].message.tool_calls[0]
    assert whole.output.choices[0].finish_reason == "tool_calls"
    responses = list(Generation.call(api_key=native, stream=True, incremental_output=incremental,
                                     **options))
    assert len(responses) > 3 and all(r.status_code == 200 for r in responses)
    if not incremental:  # the SDK merges the pieces itself: the last response holds the call
        merged = responses[-1].output.choices[0].message.tool_calls[0]
        assert merged["function"] == expected["function"] and merged["id"] == expected["id"]
    result = collect_dashscope(Generation.call(api_key=native, stream=True,
                                               incremental_output=incremental, **options),
                               incremental=incremental)
    assert result.complete and result.tool_calls[0]["function"] == expected["function"]


def test_thinking_streams_reasoning_before_the_answer_and_bills_it_as_output(client):
    result = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=ASK, stream=True, stream_options={"include_usage": True},
        extra_body={"enable_thinking": True}))
    plain = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=ASK, stream=True, stream_options={"include_usage": True}))
    assert result.reasoning and result.text == plain.text
    assert result.ttft < result.answer_ttft
    assert result.output_tokens == plain.output_tokens + len(tokens(result.reasoning))
    ledger = Ledger()
    assert ledger.record(result, model="qwen-plus").thinking
    assert not ledger.record(plain, model="qwen-plus").thinking
    china = [r.cost(price_of("qwen-plus", "china")) for r in ledger.records]
    assert china[0] > china[1]  # the thinking output price (¥8 per M, not ¥2)
    assert ledger.records[0].cost(price_of("qwen-plus")) is None  # unknown


def test_thinking_budget_caps_the_reasoning_and_is_range_checked(client):
    capped = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=ASK, stream=True,
        extra_body={"enable_thinking": True, "thinking_budget": 3}))
    assert len(tokens(capped.reasoning)) == 3 and capped.text
    for budget in (0, -1, 81_921, "10"):
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(model="qwen-plus", messages=ASK, stream=True,
                                           extra_body={"enable_thinking": True,
                                                       "thinking_budget": budget})
        assert "thinking_budget parameter must be a positive integer and not greater than " \
               "81920" in raised.value.message


def test_a_thinking_stream_cut_in_the_middle_keeps_the_reasoning_and_says_incomplete(client):
    result = collect_openai(client.chat.completions.create(
        model="qwen-plus", messages=ASK, stream=True, extra_body={"enable_thinking": True},
        extra_headers={"X-Mock-Scenario": "cut:4"}))
    assert not result.complete and result.error.kind == "stream"
    assert result.reasoning and not result.text and result.answer_ttft is None


def test_thinking_refusals_in_each_dialect(client, native):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="qwen-plus", messages=ASK,
                                       extra_body={"enable_thinking": True})
    assert raised.value.body["message"].startswith("parameter.enable_thinking must be set to false")
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="qwen-plus", messages=[{"role": "user", "content": "Reply in JSON."}],
            stream=True, response_format={"type": "json_object"},
            extra_body={"enable_thinking": True})
    assert raised.value.body["message"] == ("Json mode response is not supported when "
                                            "enable_thinking is true")
    answer = Generation.call(api_key=native, model="qwen-plus", messages=ASK,
                             result_format="text", enable_thinking=True, stream=True,
                             incremental_output=True)
    first = next(iter(answer))
    assert first.status_code == 400 and 'result_format parameter must be "message"' in first.message


def test_json_mode_needs_the_word_json_and_answers_valid_json(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="qwen-plus", messages=ASK,
                                       response_format={"type": "json_object"})
    assert "must contain the word 'json'" in raised.value.message
    reply = client.chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": "Answer in JSON: hi"}],
        response_format={"type": "json_object"})
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_a_json_schema_answer_fits_the_schema(client):
    class Order(pydantic.BaseModel):
        item: str
        quantity: int
        gift: bool

    schema = {"name": "order", "schema": Order.model_json_schema()}
    reply = client.chat.completions.create(model="qwen-plus", messages=ASK, response_format={
        "type": "json_schema", "json_schema": schema})
    order = parse_json_answer(reply.choices[0].message.content, Order)
    assert order.quantity == 0 and order.gift is False


def test_a_json_schema_with_a_nested_model_gets_an_answer_that_fits(client):
    class Item(pydantic.BaseModel):
        name: str
        quantity: int

    class Basket(pydantic.BaseModel):
        items: list[Item]
        first: Item

    schema = {"name": "basket", "schema": Basket.model_json_schema()}
    assert "$defs" in schema["schema"]  # pydantic refers to Item, it does not inline it
    reply = client.chat.completions.create(model="qwen-plus", messages=ASK, response_format={
        "type": "json_schema", "json_schema": schema})
    basket = parse_json_answer(reply.choices[0].message.content, Basket)
    assert basket.first.quantity == 0 and basket.items == []


def test_a_cumulative_native_stream_shows_each_call_as_it_stood(mock):
    from qwen_helpers.mock.answers import Answer
    from qwen_helpers.mock.requests import ChatRequest
    from qwen_helpers.mock.tool_calls import with_ids
    from qwen_helpers.mock.wire import native_events

    calls = with_ids([{"function": {"name": "get_weather",
                                    "arguments": '{"city": "Hangzhou"}'}}], "seed")
    request = ChatRequest("native", "qwen-plus", ASK, stream=True, incremental=False)
    events = list(native_events(request, Answer("", "tool_calls", None, calls,
                                                output_tokens=9), "rid"))
    shown = [e["output"]["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
             for e in events]
    assert shown == sorted(shown, key=len) and len(set(shown)) > 3  # grows, never rewritten
    assert shown[-1] == '{"city": "Hangzhou"}'


@pytest.mark.parametrize("field,value", [("tools", [{"type": "function"}]),
                                         ("tools", "get_weather"),
                                         ("tool_choice", {"type": "function"}),
                                         ("parallel_tool_calls", "yes")])
def test_malformed_tool_parameters_are_a_400_naming_the_parameter(client, field, value):
    body = {"tools": [WEATHER], field: value}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="qwen-plus", messages=ASK, extra_body=body)
    assert f"Required parameter({field}) missing or invalid" in raised.value.message


def test_run_tool_call_reports_instead_of_raising():
    functions = {"get_weather": lambda city: {"city": city, "sky": "sunny"}}

    def call(name, arguments):
        return {"id": "call_1", "function": {"name": name, "arguments": arguments}}

    ok = run_tool_call(call("get_weather", '{"city": "Hangzhou"}'), functions)
    assert ok.problem is None and json.loads(ok.message()["content"])["sky"] == "sunny"
    for bad, words in ((call("get_wether", "{}"), "no tool named 'get_wether'"),
                       (call("get_weather", '{"city": "Hang'), "not valid JSON"),
                       (call("get_weather", "[1]"), "must be a JSON object"),
                       (call("get_weather", '{"town": "x"}'), "the tool failed: TypeError")):
        run = run_tool_call(bad, functions)
        assert words in run.problem and run.message()["content"].startswith("error: ")
        assert run.message()["tool_call_id"] == "call_1"


def test_the_tool_loop_stops_at_its_round_limit(client):
    seen = []
    result = tool_loop(client, "qwen-plus", ASK, [WEATHER],
                       {"get_weather": lambda city: seen.append(city) or "sunny"},
                       max_rounds=2, tool_choice=FORCE)  # forced: the mock calls every time
    assert not result.complete and result.answer is None and result.rounds == 2
    assert len(seen) == 2 and [m["role"] for m in result.messages] == [
        "user", "assistant", "tool", "assistant", "tool"]
    assert ASK == [{"role": "user", "content": "What's the weather in Hangzhou?"}]  # not changed


def test_parse_json_answer_says_what_is_wrong():
    class Order(pydantic.BaseModel):
        item: str
        quantity: int

    assert parse_json_answer('```json\n{"item": "tea", "quantity": 2}\n```', Order).quantity == 2
    with pytest.raises(AnswerNotValid) as raised:
        parse_json_answer('{"item": "tea", "quantity": "two"}', Order)
    assert raised.value.problems == ['quantity: should be an integer, got "two"']
    with pytest.raises(AnswerNotValid) as raised:
        parse_json_answer('{"quantity": 2', Order)
    assert raised.value.problems[0].startswith("not JSON: ")


def test_tool_choice_strings_and_forced_tools_in_thinking_mode_are_refused(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                       tool_choice="required")
    assert raised.value.body["message"] == ('tool_choice is one of the strings that should be '
                                            '["none", "auto"]')
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                       tool_choice=FORCE, stream=True,
                                       extra_body={"enable_thinking": True})
    assert raised.value.body["message"].endswith(
        "The tool_choice parameter does not support being set to required or object in "
        "thinking mode")


def test_a_tool_conversation_out_of_order_is_refused(client):
    reply = client.chat.completions.create(model="qwen-plus", messages=ASK, tools=[WEATHER],
                                           tool_choice=FORCE).choices[0].message
    call_id = reply.tool_calls[0].id
    answer = {"role": "tool", "tool_call_id": call_id, "content": "sunny"}
    with pytest.raises(openai.BadRequestError) as raised:  # the assistant message left out
        client.chat.completions.create(model="qwen-plus", messages=ASK + [answer],
                                       tools=[WEATHER])
    assert 'messages with role "tool" must be a response to a preceeding message with ' \
           '"tool_calls".' in raised.value.body["message"]
    asked = reply.model_dump(include={"role", "content", "tool_calls"})
    with pytest.raises(openai.BadRequestError) as raised:  # the call left unanswered
        client.chat.completions.create(model="qwen-plus", messages=ASK + [asked],
                                       tools=[WEATHER])
    assert call_id in raised.value.body["message"]
    done = client.chat.completions.create(model="qwen-plus", messages=ASK + [asked, answer],
                                          tools=[WEATHER])
    assert done.choices[0].finish_reason == "stop"


def test_native_thinking_usage_counts_the_reasoning_tokens(native):
    last = list(Generation.call(api_key=native, model="qwen-plus", messages=ASK, stream=True,
                                enable_thinking=True, result_format="message",
                                incremental_output=True))[-1]
    details = last.usage["output_tokens_details"]
    reasoning = "This is mock reasoning: no recording matches this request."
    assert details == {"reasoning_tokens": len(tokens(reasoning))}

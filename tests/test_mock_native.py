"""The native dialect, driven by the dashscope SDK: the 1.x module API and the 2.0 Client."""

from __future__ import annotations

import asyncio
import json

import dashscope
import httpx
import pytest
from dashscope import AioGeneration, Generation
from dashscope.v2.errors import NotFoundError

HELLO = [{"role": "user", "content": "你好"}]
ANSWER = "你好！有什么我可以帮你的吗？"


@pytest.fixture
def native(mock, key):
    """Keyword arguments for a module-API call against the mock."""
    return {"api_key": key, "base_address": mock.native_base_url}


def test_message_format(native, mock):
    response = Generation.call(model="qwen-plus", messages=HELLO, result_format="message",
                               **native)
    assert response.status_code == 200
    assert response.output.choices[0].message.content == ANSWER
    assert response.output.choices[0].finish_reason == "stop"
    assert response.usage.input_tokens == 9
    assert response.request_id == response.headers["x-request-id"] == mock.requests()[-1][
        "request_id"]


def test_text_format_is_the_default(native):
    response = Generation.call(model="qwen-plus", messages=HELLO, **native)
    assert response.output.text == ANSWER
    assert response.output.choices is None


def test_prompt_instead_of_messages(native):
    response = Generation.call(model="qwen-plus", prompt="你好", **native)
    assert response.output.text == ANSWER


def test_wire_body_shape(mock, key):
    body = {"model": "qwen-plus", "input": {"messages": HELLO},
            "parameters": {"result_format": "message"}}
    response = httpx.post(f"{mock.native_base_url}/services/aigc/text-generation/generation",
                          json=body, headers={"Authorization": f"Bearer {key}"})
    data = response.json()
    assert list(data) == ["output", "usage", "request_id"]
    assert list(data["usage"]) == ["total_tokens", "output_tokens", "input_tokens",
                                   "prompt_tokens_details"]
    assert data["request_id"] == response.headers["x-request-id"]


def test_incremental_stream_gives_pieces(native):
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, result_format="message",
                                 stream=True, incremental_output=True, **native))
    texts = [p.output.choices[0].message.content for p in parts]
    assert "".join(texts) == ANSWER and texts[-1] == ""
    assert [p.output.choices[0].finish_reason for p in parts[:-1]] == ["null"] * (len(parts) - 1)
    assert parts[-1].output.choices[0].finish_reason == "stop"
    outputs = [p.usage.output_tokens for p in parts]
    assert outputs == sorted(outputs) and outputs[-1] == parts[-1].usage.output_tokens


def test_cumulative_stream_repeats_the_text_so_far(native, mock):
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, result_format="message",
                                 stream=True, **native))
    texts = [p.output.choices[0].message.content for p in parts]
    assert texts[-1] == ANSWER
    assert all(ANSWER.startswith(t) for t in texts)
    assert all(len(a) <= len(b) for a, b in zip(texts, texts[1:], strict=False))


def test_sdk_merges_increments_when_asked_for_full_output(mock, native):
    """The 1.x SDK sends incremental_output=true and merges the pieces itself.

    See docs/sources.md §3.2.
    """
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, result_format="message",
                                 stream=True, incremental_output=False, **native))
    assert parts[-2].output.choices[0].message.content == ANSWER


def test_raw_native_sse_framing(mock, key):
    body = {"model": "qwen-plus", "input": {"messages": HELLO},
            "parameters": {"result_format": "message", "incremental_output": True}}
    response = httpx.post(f"{mock.native_base_url}/services/aigc/text-generation/generation",
                          json=body, headers={"Authorization": f"Bearer {key}",
                                              "X-DashScope-SSE": "enable"})
    assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
    events = response.text.split("\n\n")[:-1]
    first = events[0].split("\n")
    assert first[:3] == ["id:1", "event:result", ":HTTP_STATUS/200"]
    assert first[3].startswith("data:{")
    assert "[DONE]" not in response.text
    assert json.loads(events[-1].split("\n")[3][5:])["output"]["choices"][0][
        "finish_reason"] == "stop"


def test_aio_generation_call_and_stream(native):
    async def run():
        reply = await AioGeneration.call(model="qwen-plus", messages=HELLO,
                                         result_format="message", **native)
        stream = await AioGeneration.call(model="qwen-plus", messages=HELLO, stream=True,
                                          result_format="message", incremental_output=True,
                                          **native)
        pieces = [p.output.choices[0].message.content async for p in stream]
        await dashscope.close_shared_aio_session()
        return reply, pieces

    reply, pieces = asyncio.run(run())
    assert reply.output.choices[0].message.content == "".join(pieces) == ANSWER


def test_module_api_returns_errors_where_the_client_raises(native, mock, key):
    response = Generation.call(model="qwen-foo", messages=HELLO, **native)
    assert (response.status_code, response.code) == (404, "ModelNotFound")
    assert response.output is None and response.request_id
    client = dashscope.Client(api_key=key, base_url=mock.native_base_url, max_retries=0)
    with pytest.raises(NotFoundError) as caught:
        client.chat.completions.create(model="qwen-foo", messages=HELLO)
    assert caught.value.code == "ModelNotFound" and caught.value.status_code == 404


def test_client_native_and_openai_protocols(mock, key):
    native = dashscope.Client(api_key=key, base_url=mock.native_base_url)
    compatible = dashscope.Client(api_key=key, base_url=mock.compatible_base_url,
                                  protocol="openai")
    for client in (native, compatible):
        assert client.chat.completions.create(model="qwen-plus", messages=HELLO).output_text \
            == ANSWER
        stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True)
        assert "".join(stream.text_stream) == ANSWER


def test_async_client(mock, key):
    async def run():
        client = dashscope.AsyncClient(api_key=key, base_url=mock.native_base_url)
        try:
            reply = await client.chat.completions.create(model="qwen-plus", messages=HELLO)
            stream = await client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                                          stream=True)
            text = "".join([piece async for piece in stream.text_stream])
        finally:
            await client.aclose()
        return reply.output_text, text

    assert asyncio.run(run()) == (ANSWER, ANSWER)


def test_thinking_requires_incremental_message_stream(native):
    response = Generation.call(model="qwen-plus", messages=HELLO, enable_thinking=True,
                               **native)
    assert (response.status_code, response.code) == (400, "InvalidParameter")
    parts = list(Generation.call(model="qwen-plus", messages=HELLO, enable_thinking=True,
                                 stream=True, incremental_output=True, result_format="message",
                                 **native))
    reasoning = "".join(p.output.choices[0].message.reasoning_content or "" for p in parts)
    content = "".join(p.output.choices[0].message.content or "" for p in parts)
    assert reasoning.startswith("这是模拟服务给出的思考过程")  # no recording; a Chinese question
    assert content.startswith("这是本地 DashScope 模拟服务")


PORT_MESSAGES = [{"role": "system", "content": "You are a helpful assistant."},
                 {"role": "user", "content": "你是谁？"}]


def test_exercise_recording_answers_both_dialects_only_with_its_parameters(native, mock, key):
    """Notebook 04's port exercise: temperature 0.7 and thinking off select the recording."""
    import openai

    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    reply = client.chat.completions.create(model="qwen-plus", messages=PORT_MESSAGES,
                                           temperature=0.7, max_tokens=20,
                                           extra_body={"enable_thinking": False})
    ported = Generation.call(model="qwen-plus", messages=PORT_MESSAGES, temperature=0.7,
                             max_tokens=20, enable_thinking=False, result_format="message",
                             **native)
    text = reply.choices[0].message.content
    assert text.startswith("我是通义千问（Qwen）") and reply.choices[0].finish_reason == "length"
    assert ported.output.choices[0].message.content == text
    assert mock.requests()[-1]["recording"] == "qwen-plus-d00f9c419ef76f3e.json"
    without = Generation.call(model="qwen-plus", messages=PORT_MESSAGES, max_tokens=20,
                              result_format="message", **native)
    assert without.output.choices[0].message.content != text


def test_max_tokens_cuts_the_native_answer(native):
    response = Generation.call(model="qwen-plus", messages=HELLO, max_tokens=2,
                               result_format="message", **native)
    assert response.output.choices[0].finish_reason == "length"
    assert response.usage.output_tokens == 2
    assert ANSWER.startswith(response.output.choices[0].message.content)

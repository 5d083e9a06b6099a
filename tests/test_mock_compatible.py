"""The OpenAI-compatible dialect, driven by the real openai SDK (sync, async, streaming)."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest

HELLO = [{"role": "user", "content": "你好"}]


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


def test_completion_has_the_real_shape_and_request_id(client, mock):
    raw = client.chat.completions.with_raw_response.create(model="qwen-plus", messages=HELLO)
    reply = raw.parse()
    request_id = raw.headers["x-request-id"]
    assert reply.id == f"chatcmpl-{request_id}"
    assert reply.object == "chat.completion" and reply.model == "qwen-plus"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.choices[0].message.content == "你好！有什么我可以帮你的吗？"  # the recording
    body = json.loads(raw.http_response.content)
    assert list(body) == ["choices", "object", "usage", "created", "system_fingerprint", "model",
                          "id"]
    assert "request_id" not in body
    assert raw.headers["x-dashscope-call-gateway"] == "true"
    assert raw.headers["server"] == "istio-envoy"
    assert mock.requests()[-1]["request_id"] == request_id


def test_usage_counts_real_qwen_tokens(client):
    from dashscope import get_tokenizer

    reply = client.chat.completions.create(model="qwen-plus", messages=HELLO)
    text = reply.choices[0].message.content
    assert reply.usage.completion_tokens == len(get_tokenizer("qwen-plus").encode(text))
    # "你好" is one token; the chat template adds <|im_start|>user\n … <|im_end|>\n and the
    # assistant's opening: 9 in all.
    assert reply.usage.prompt_tokens == 9
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert reply.usage.prompt_tokens_details.cached_tokens == 0


def test_a_miss_is_plainly_a_mock_answer(client, mock):
    question = "What is the airspeed of an unladen swallow?"
    reply = client.chat.completions.create(
        model="qwen-plus", messages=[{"role": "user", "content": question}])
    assert "mock answer" in reply.choices[0].message.content
    assert question in reply.choices[0].message.content
    assert mock.requests()[-1]["recording"] is None


def test_stream_role_chunk_first_usage_chunk_last(client):
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "你好！有什么我可以帮你的吗？"


def test_stream_without_include_usage_has_no_usage(client):
    chunks = list(client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True))
    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_raw_sse_framing(mock, key):
    body = {"model": "qwen-plus", "messages": HELLO, "stream": True,
            "stream_options": {"include_usage": True}}
    response = httpx.post(f"{mock.compatible_base_url}/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {key}"})
    assert response.headers["content-type"] == "text/event-stream;charset=UTF-8"
    events = response.text.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    assert all(e.startswith("data: {") for e in events[:-2])
    assert json.loads(events[-3][6:])["choices"] == []


def test_async_client_and_async_stream(mock, key):
    async def run():
        async with openai.AsyncOpenAI(api_key=key, base_url=mock.compatible_base_url) as client:
            reply = await client.chat.completions.create(model="qwen-plus", messages=HELLO)
            stream = await client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                                          stream=True)
            pieces = [c.choices[0].delta.content async for c in stream]
            return reply, pieces

    reply, pieces = asyncio.run(run())
    assert reply.choices[0].message.content == "".join(p or "" for p in pieces)


def test_models_list(client):
    names = [m.id for m in client.models.list()]
    assert "qwen-plus" in names and "qwen-turbo" not in names


def test_max_tokens_truncates_with_finish_reason_length(client):
    reply = client.chat.completions.create(model="qwen-plus", messages=HELLO, max_tokens=2)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 2


def test_stop_sequence_and_n(client):
    reply = client.chat.completions.create(model="qwen-plus", messages=HELLO, stop=["有"], n=2)
    assert [c.message.content for c in reply.choices] == ["你好！", "你好！"]
    assert [c.index for c in reply.choices] == [0, 1]


def test_thinking_stream_carries_reasoning_first(client):
    stream = client.chat.completions.create(model="qwen-plus", messages=HELLO, stream=True,
                                            extra_body={"enable_thinking": True})
    deltas = [c.choices[0].delta for c in stream]
    assert deltas[0].content is None and deltas[0].model_extra["reasoning_content"] == ""
    reasoning = "".join(d.model_extra.get("reasoning_content") or "" for d in deltas)
    assert reasoning.startswith("这是模拟服务给出的思考过程")  # a Chinese question


def test_thinking_without_stream_is_refused(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO,
                                       extra_body={"enable_thinking": True})
    assert caught.value.code == "invalid_parameter_error"
    assert "non-streaming" in caught.value.message

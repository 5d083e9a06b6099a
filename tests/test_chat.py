"""The streamed chat against the mock: history, pieces as they arrive, a broken stream left out."""

from __future__ import annotations

from openai import OpenAI

from qwen_helpers.chat import ChatBox, Conversation

SYSTEM = "You are a helpful assistant."
ANSWER = ("我是通义千问，阿里云推出的大规模语言模型。我可以回答问题、写作、翻译、编程，"
          "也能陪你聊天。有什么可以帮你的吗？")


def conversation(mock, key) -> Conversation:
    client = OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    return Conversation(client, "qwen-plus", system=SYSTEM)


def test_a_conversation_streams_each_answer_and_keeps_the_history(mock, key):
    chat, pieces = conversation(mock, key), []
    first = chat.send("你是谁？", on_text=pieces.append)
    assert first.complete and first.text == ANSWER == "".join(pieces) and len(pieces) > 5
    assert first.usage is not None  # include_usage: the usage-only last chunk was read
    second = chat.send("Say it in English.")
    assert second.complete
    assert [m["role"] for m in chat.messages] == ["system", "user", "assistant", "user",
                                                  "assistant"]
    assert chat.transcript().splitlines()[2] == f"assistant: {ANSWER}"
    assert mock.requests()[-1]["usage"]["input_tokens"] > mock.requests()[0]["usage"][
        "input_tokens"]  # the second request carried the history


def test_an_incomplete_answer_stays_out_of_the_history(mock, key):
    chat = conversation(mock, key)
    result = chat.send("你是谁？", extra_headers={"X-Mock-Scenario": "cut:4"})
    assert result.complete is False and ANSWER.startswith(result.text)
    assert chat.messages == [{"role": "system", "content": SYSTEM}]


def test_the_chat_box_fills_its_transcript_and_reports_a_broken_stream(mock, key):
    box = ChatBox(conversation(mock, key))
    box.box.value = "你是谁？"
    box.button.click()  # what a click does
    assert "<b>you:</b> 你是谁？" in box.view.value and ANSWER in box.view.value
    assert box.box.value == "" and box.button.disabled is False
    assert box.send("   ") is None
    broken = box.send("<again>", extra_headers={"X-Mock-Scenario": "cut:3"})
    assert broken is not None and broken.complete is False
    assert "&lt;again&gt;" in box.view.value and "the stream broke" in box.view.value
    assert len(box.conversation.messages) == 3

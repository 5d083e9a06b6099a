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
    assert "&lt;again&gt;" in box.view.value
    assert "[cut off: stream: Connection error." in box.view.value
    assert len(box.conversation.messages) == 3


def test_enter_in_the_text_box_sends_as_the_button_does(mock, key):
    box = ChatBox(conversation(mock, key))
    box.box.value = "你是谁？"
    box._on_key(box.box, {"event": "submit"}, [])  # the message the browser sends on Enter
    assert ANSWER in box.view.value and box.box.value == ""
    box._on_key(box.box, {"event": "focus"}, [])  # any other event sends nothing
    assert len(box.conversation.messages) == 3


def test_opened_without_a_kernel_the_box_shows_its_transcript_and_a_sentence(mock, key):
    box = ChatBox(conversation(mock, key))
    box.send("你是谁？")
    bundle = box._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Chat box:") and "VBox" not in bundle["text/plain"]
    assert ANSWER in bundle["text/html"] and "application/vnd.jupyter.widget-view+json" in bundle


def test_a_question_no_recording_holds_is_answered_in_its_language(mock, key):
    chat = conversation(mock, key)
    chinese = chat.send("今天杭州天气怎么样？").text
    english = chat.send("What is the weather in Hangzhou today?").text
    assert "模拟服务" in chinese and "今天杭州天气怎么样" in chinese
    assert english.startswith("This is a mock answer") and "Hangzhou" in english


def test_a_chat_can_ask_the_mock_for_a_reading_pace(mock, key):
    from dataclasses import replace

    from qwen_helpers.config import load_settings
    from qwen_helpers.connect import mock_pace

    settings = replace(load_settings({"QWEN_TIME_SCALE": "0.5"}, dotenv=False))
    headers = mock_pace(settings, ttft=0.4, tokens_per_second=30)
    assert headers == {"X-Mock-Pace": "ttft=0.2,tps=60"}
    live = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32}, dotenv=False)
    assert mock_pace(live) == {}  # the real service is never sent a mock's header
    client = OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    result = Conversation(client, "qwen-plus", extra_headers=headers).send("你是谁？")
    assert result.complete and result.ttft >= 0.2
    assert result.total_time >= 0.2 + (result.output_tokens - 1) / 60 * 0.9

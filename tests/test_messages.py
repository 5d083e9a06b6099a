"""One catalog, two languages: every message the helpers print exists in English and Chinese."""

from __future__ import annotations

import re

import pytest

from qwen_helpers import messages
from qwen_helpers.catalog import CATALOG
from qwen_helpers.config import ConfigError, load_settings
from qwen_helpers.connect import connect
from qwen_helpers.exercises import check_reading


@pytest.fixture(autouse=True)
def _no_language_chosen_afterwards(monkeypatch):
    monkeypatch.setattr(messages, "_chosen", None)
    yield
    messages._chosen = None


def test_every_message_has_both_languages_with_the_same_fields():
    assert not messages.problems(), messages.problems()
    assert len(CATALOG) > 40


def test_a_message_missing_a_language_or_a_field_is_found():
    broken = {"a": {"en": "hello {name}"}, "b": {"en": "{x}", "zh": "{y}"},
              "c": {"en": "ok", "zh": ""}}
    assert messages.problems(broken) == ["a: no zh", "b: the languages fill in different fields",
                                         "c: no zh"]


def test_the_chinese_is_chinese():
    for key, entry in CATALOG.items():
        text = entry["zh"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text) or not any(
            ch.isalpha() for ch in re.sub(r"\{[^}]*\}", "", text)), f"{key}: {text!r}"


@pytest.mark.parametrize("raw, code", [("zh", "zh"), ("zh-CN", "zh"), ("ZH_cn", "zh"),
                                       ("en", "en"), (" EN ", "en")])
def test_language_codes(raw, code):
    assert messages.check_language(raw) == code


def test_an_unknown_language_says_what_is_allowed_and_never_echoes_a_long_value():
    with pytest.raises(ConfigError, match="QWEN_LANG='fr'.*en, zh"):
        load_settings({"QWEN_LANG": "fr"}, dotenv=False)
    with pytest.raises(messages.LanguageError) as caught:
        messages.check_language("sk-" + "a" * 32)
    assert "a" * 8 not in str(caught.value)


def test_qwen_lang_and_connect_choose_the_language(capsys, mock, monkeypatch,
                                                   restored_sdk_state):
    import importlib

    connect_module = importlib.import_module("qwen_helpers.connect")  # the module, not the function
    monkeypatch.setattr(connect_module, "_mock", mock)  # connect() with the session's mock
    offline = load_settings({}, dotenv=False)
    assert load_settings({"QWEN_LANG": "zh"}, dotenv=False).lang == "zh"
    settings = connect(offline, lang="zh", quiet=True, check=False)
    assert settings.lang == "zh" and messages.language() == "zh"
    raw = ('{"id": "chatcmpl-1", "choices": [{"message": {"content": "hi"}, '
           '"finish_reason": "stop"}], "usage": {"total_tokens": 3}}')
    check_reading({}, raw)
    assert "应取 JSON 中对应位置的值" in capsys.readouterr().out
    connect(offline, quiet=True, check=False)  # no lang=: the language stays Chinese
    assert messages.language() == "zh"
    connect(offline, lang="en", quiet=True, check=False)
    check_reading({}, raw)
    assert "expected the value at its place in the JSON" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="lang='klingon'"):
        connect(offline, lang="klingon", quiet=True, check=False)


def _han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_chat_box_speaks_the_kernels_language(mock, key):
    from openai import OpenAI

    from qwen_helpers.chat import ChatBox, Conversation

    client = OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    messages.set_language("zh")
    box = ChatBox(Conversation(client, "qwen-plus"))
    assert (box.box.placeholder, box.button.description) == ("向千问提问…", "发送")
    assert "（还没有对话）" in box._repr_mimebundle_()["text/html"]
    box.send("你是谁？", extra_headers={"X-Mock-Scenario": "cut:3"})
    assert "<b>你：</b>" in box.view.value and "（回答中途断开：" in box.view.value
    assert box.sentence.startswith("聊天框：")
    messages.set_language("en")
    box = ChatBox(Conversation(client, "qwen-plus"))
    assert (box.box.placeholder, box.button.description) == ("Ask Qwen…", "Send")
    assert box.sentence == ("Chat box: run this cell in JupyterLab to type your own questions; "
                            "the transcript so far is shown here.")
    box.send("你是谁？", extra_headers={"X-Mock-Scenario": "cut:3"})
    assert "<b>you:</b>" in box.view.value and " [cut off: " in box.view.value
    assert "<p><b>qwen:</b> " in box.view.value


def test_the_retry_explorer_speaks_the_kernels_language():
    from qwen_helpers.explorer import failure, retry_explorer

    messages.set_language("zh")
    with pytest.raises(ValueError, match="请给出 status 或 kind"):
        failure(kind="bogus")
    panel = retry_explorer()
    assert [panel.status.description, panel.code.description, panel.attempt.description] == [
        "失败类型", "错误码", "第几次尝试"]
    assert panel.code.label == "（无）" and panel.code.value == "(none)"
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"].startswith("重试决策演示：")
    assert "<b>错误码</b>" in bundle["text/html"]
    messages.set_language("en")
    with pytest.raises(ValueError) as caught:
        failure(kind="bogus")
    assert str(caught.value) == ("give a status or a kind (timeout, connection, stream); "
                                 "got status=None, kind='bogus'")
    panel = retry_explorer()
    assert [panel.status.description, panel.code.description, panel.attempt.description] == [
        "failure", "code", "attempt"]
    assert panel.code.label == "(none)" and panel.sentence == (
        "Retry explorer: run this cell in JupyterLab to pick a failure, a code and an attempt; "
        "shown here as first drawn.")


def test_still_pictures_and_live_text_speak_the_kernels_language():
    from qwen_helpers.panels import LiveText, StillWidget

    messages.set_language("zh")
    text = LiveText()
    assert _han(text.sentence) and _han(StillWidget().sentence)
    assert "<i>（还没有内容）</i>" in text._repr_mimebundle_()["text/html"]
    messages.set_language("en")
    assert text.sentence == ("Streamed text: run this cell in JupyterLab to watch it arrive "
                             "piece by piece.")
    assert StillWidget().sentence == "A widget: run this cell in JupyterLab to use it."
    assert "<i>(nothing yet)</i>" in text._repr_mimebundle_()["text/html"]


def test_the_fault_panel_speaks_the_kernels_language(mock):
    from qwen_helpers.workshop import apply_choice, fault_panel, room_faults, status_text

    messages.set_language("zh")
    with pytest.raises(RuntimeError, match="上没有模拟服务响应"):
        room_faults("http://127.0.0.1:9")
    assert apply_choice("every call: 429 rate limit (RPM)", mock_url=mock.url) == (
        "✓ 所有 API Key：429（循环）")
    assert status_text(mock.url) == "故障：所有 API Key：429（循环） · 最近 0 个响应：还没有请求"
    panel = fault_panel(mock.url)
    title, preset, custom, key, buttons = panel.widget.children[:5]
    assert preset.label == "正常响应" and ("每次调用：429 限流（RPM）",
                                        "every call: 429 rate limit (RPM)") in preset.options
    assert [b.description for b in buttons.children] == ["应用", "清除", "刷新"]
    assert "故障面板" in title.value and panel.sentence.startswith("故障面板：")
    messages.set_language("en")
    with pytest.raises(RuntimeError, match=r"no mock answers at http://127.0.0.1:9 \(ConnectE"):
        room_faults("http://127.0.0.1:9")
    assert status_text(mock.url) == ("faults: every key: 429 (repeating) · answers (last 0): "
                                     "no requests yet")
    assert apply_choice("normal answers", mock_url=mock.url) == (
        "✓ cleared for every key: normal answers")
    panel = fault_panel(mock.url)
    title, preset, custom, key, buttons = panel.widget.children[:5]
    assert (preset.label, custom.placeholder, key.placeholder) == (
        "normal answers", "or a sequence, e.g. 429,429,200", "blank: every key")
    assert [b.description for b in buttons.children] == ["Apply", "Clear", "Refresh"]
    assert title.value == f"<b>Fault panel</b> · mock at <code>{mock.url}</code>"


def test_stream_summaries_and_the_ledger_speak_the_kernels_language():
    from qwen_helpers.errors import QwenError
    from qwen_helpers.streaming import IncompleteStream, StreamResult
    from qwen_helpers.usage import Ledger, price_of

    done = StreamResult(text="你好", chunks=3, ttft=0.25, total_time=1.5, finish_reason="stop",
                        usage={"prompt_tokens": 5, "completion_tokens": 2}, complete=True)
    broken = StreamResult(text="ab", chunks=2, error=QwenError("stream", "Connection error."))
    ledger = Ledger(clock=lambda: 0.0)
    ledger.record({"model": "qwen3-max", "usage": {"prompt_tokens": 3, "completion_tokens": 4}})
    messages.set_language("zh")
    assert done.summary() == ("完整 · 3 个数据块 · 2 个字符 · finish_reason=stop · Token：输入 5 / "
                              "输出 2 · 首 Token 延迟 0.250 秒 · 总耗时 1.500 秒")
    assert broken.summary(timings=False).startswith(
        "不完整（QwenError: stream：Connection error. 流式输出开始后中断")
    assert str(IncompleteStream(broken)).startswith("流式输出在收到 2 个数据块、2 个字符后中断（")
    table = ledger.to_markdown()
    assert "| model | calls |" in table and "\n价格（每百万 Token）：\n- qwen3-max：" in table
    with pytest.raises(ValueError, match="没有对应的价格表"):
        price_of("qwen-plus", "mars")
    messages.set_language("en")
    assert done.summary() == ("complete · 3 chunks · 2 characters · finish_reason=stop · tokens 5 "
                              "in / 2 out · TTFT 0.250 s · total 1.500 s")
    assert broken.summary(timings=False) == (
        "INCOMPLETE (QwenError: stream: Connection error. The stream broke after it began: keep "
        "the partial text; re-send only on purpose.) · 2 chunks · 2 characters · "
        "finish_reason=None")
    assert str(IncompleteStream(StreamResult(error="cut"))) == (
        "the stream stopped after 0 chunks and 0 characters (cut); its text so far is in "
        ".result.text (strict=False returns it instead of raising); send the request again only "
        "if your program means to.")
    assert ledger.to_markdown().endswith(
        "\n\nPrices per million tokens:\n- qwen3-max: USD 1.2 in / unknown out per M tokens, "
        "inputs up to 32,000 tokens (third-party: api-evangelist/qwen aggregation, 2026-05)")
    with pytest.raises(ValueError) as caught:
        price_of("qwen-plus", "mars")
    assert str(caught.value) == ("market 'mars' has no price table; use one of international, "
                                 "ap-southeast-1, china, cn-beijing.")


def test_the_tools_argument_checks_speak_the_kernels_language():
    import io

    from qwen_helpers.concurrency import Throttle, run_all
    from qwen_helpers.logs import RequestLogger
    from qwen_helpers.retry import backoff_band
    from qwen_helpers.retry_rules import RetryPolicy

    checks = [(lambda: Throttle(rpm=0), "Throttle：rpm=0；请使用正数",
               "Throttle: rpm=0; use a positive number, or None for no limit on it."),
              (lambda: run_all(str, [1], concurrency=0), "concurrency=0；至少为 1",
               "concurrency=0; use at least 1 (calls in flight at once)."),
              (lambda: RequestLogger(io.StringIO(), logger=RequestLogger().logger),
               "RequestLogger：target（文件或流）", "RequestLogger: give a target (file or "
               "stream) or an application logger, not both; add json_lines_handler(target) to "
               "your logger."),
              (lambda: backoff_band(0), "尝试次数从 1 开始编号",
               "attempt=0: attempts are numbered from 1"),
              (lambda: RetryPolicy(max_attempts=0, jitter="x"),
               "RetryPolicy：max_attempts=0（允许：大于等于 1）；jitter='x'（允许：none, full, "
               "equal）。", "RetryPolicy: max_attempts=0 (allowed: 1 or more); jitter='x' "
               "(allowed: none, full, equal). Fix the value or use the default (RetryPolicy()).")]
    for make, chinese, english in checks:
        messages.set_language("zh")
        with pytest.raises(ValueError) as caught:
            make()
        assert chinese in str(caught.value), str(caught.value)
        messages.set_language("en")
        with pytest.raises(ValueError) as caught:
            make()
        assert str(caught.value) == english


def test_the_wiretap_and_the_secrets_scan_speak_the_kernels_language(capsys, tmp_path):
    import httpx

    from qwen_helpers.secrets_scan import main
    from qwen_helpers.wiretap import Wiretap, capture

    def cut(request):
        raise httpx.ConnectError("boom")

    def call(tap):
        return tap.client(transport=httpx.MockTransport(cut)).post("http://mock/v1", json={})

    (tmp_path / "notes.txt").write_text("nothing to see\n")
    scan = [str(tmp_path), "--key-from-env", "QWEN_TEST_UNSET_VARIABLE"]
    messages.set_language("zh")
    with pytest.raises(LookupError, match="没有捕获到任何请求"):
        _ = Wiretap().last
    text = capture(call).text()
    assert "（已隐藏，每次运行都会变化：Host" in text and "\n\n（没有响应）\n\n" in text
    assert text.endswith("\n\nSDK 的结果：抛出 ConnectError：boom")
    assert main(scan) == 0
    out, err = capsys.readouterr()
    assert out == "已扫描 1 个文件，发现 0 处疑似密钥\n"
    assert err == "注意：环境变量和 .env 中都没有设置 QWEN_TEST_UNSET_VARIABLE，因此不查找它\n"
    messages.set_language("en")
    with pytest.raises(LookupError) as caught:
        _ = Wiretap().last
    assert str(caught.value) == ("nothing was captured: give the SDK tap.client(), "
                                 "tap.async_client() or tap.session(), or tap.attach() its client")
    text = capture(call).text()
    assert "(hidden, they change between runs: Host" in text and "\n\n(no response)\n\n" in text
    assert text.endswith("\n\nSDK: raised ConnectError: boom")
    assert main(scan) == 0
    assert capsys.readouterr() == ("files scanned: 1; findings: 0\n", "note: "
                                   "QWEN_TEST_UNSET_VARIABLE is not set in the environment or "
                                   ".env; not looked for\n")


def test_settings_errors_speak_the_language_of_their_settings_or_of_connect(tmp_path):
    """QWEN_LANG in the same .env decides; connect(lang=…) decides over it."""
    from fakes import fake_key

    bad = {"DASHSCOPE_API_KEY": "sk-short", "QWEN_LANG": "zh"}
    with pytest.raises(ConfigError) as raised:
        load_settings(bad, dotenv=False)
    text = str(raised.value)
    assert text.startswith("设置了 API Key，所以 QWEN_MODE=auto 选择了在线模式，但 "
                           "DASHSCOPE_API_KEY 无法使用：'sk-' 之后至少要有 16 个字母")
    assert "QWEN_MODE=mock" in text and "sk-short" not in text
    (tmp_path / ".env").write_text("QWEN_LANG=zh\nQWEN_MODE=fast\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的模式"):
        load_settings({}, start=tmp_path)
    messages.set_language("en")  # as connect(lang="en") does: the kernel's choice wins
    with pytest.raises(ConfigError, match="is not a mode"):
        load_settings({}, start=tmp_path)
    key = fake_key()
    with pytest.raises(ConfigError) as raised:
        load_settings({"DASHSCOPE_API_KEY": key + " x", "QWEN_MODE": "live"}, dotenv=False)
    assert key not in str(raised.value) and "contains whitespace" in str(raised.value)


def test_the_live_check_and_the_short_notebook_error_speak_the_kernels_language():
    import httpx
    import openai

    from qwen_helpers.live import ServiceCheck, problem_line
    from qwen_helpers.notebook_errors import short_text

    settings = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32}, dotenv=False)
    english = problem_line(ServiceCheck("refused", "HTTP 401 InvalidApiKey"), settings)
    assert english.startswith("✗ live mode: https://dashscope.aliyuncs.com refused the key")
    failure = openai.APIConnectionError(request=httpx.Request("POST", "http://x"))
    assert short_text(failure)[1].startswith("What it means: connection")
    messages.set_language("zh")
    chinese = problem_line(ServiceCheck("refused", "HTTP 401 InvalidApiKey"), settings)
    assert chinese.startswith("✗ 在线模式：https://dashscope.aliyuncs.com 拒绝了这个 API Key")
    assert "QWEN_MODE=mock" in chinese and "重启内核" in chinese
    assert short_text(failure)[1].startswith("含义：connection：Connection error. 完全没有收到响应")

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


_KEY_HELP_EN = ("as DASHSCOPE_API_KEY=sk-… (surrounding spaces and quotes are stripped). Or use "
                "the local mock instead: set QWEN_MODE=mock.")
_KEY_HELP_ZH = "格式为 DASHSCOPE_API_KEY=sk-…（首尾的空格和引号会自动去掉）。也可以改用本地模拟服务"


def _error_of(make) -> str:
    with pytest.raises((ConfigError, ValueError)) as raised:
        make()
    return str(raised.value)


def test_every_settings_error_speaks_the_kernels_language(tmp_path):
    """Each ConfigError of load_settings in Chinese; the English as it always read."""
    from fakes import fake_key

    key = fake_key()
    found = tmp_path / "found"
    found.mkdir()
    (found / ".env").write_text("QWEN_MODE=live\nDASHSCOPE_API_KEY=sk-xx\n", encoding="utf-8")
    fresh = tmp_path / "fresh"
    (fresh / "notebooks").mkdir(parents=True)
    (fresh / ".env.example").write_text("", encoding="utf-8")
    cases = [
        (lambda: load_settings({"DASHSCOPE_API_KEY": key[:-1] + " x"}, dotenv=False),
         ["设置了 API Key，所以 QWEN_MODE=auto 选择了在线模式，但 DASHSCOPE_API_KEY 无法使用："
          f"中间含有空格或换行（收到的是 '{key[:5]}… x'，来自环境变量）。没有读取 .env 文件"
          "（dotenv=False）。请在环境变量中设置，" + _KEY_HELP_ZH],
         "a key is set, so QWEN_MODE=auto chose live mode, but DASHSCOPE_API_KEY cannot be used: "
         f"it contains whitespace or a line break inside (received '{key[:5]}… x' from the "
         "environment). No .env file was read (dotenv=False). Set it in the environment "
         + _KEY_HELP_EN),
        (lambda: load_settings({}, start=found),
         ["设置了 QWEN_MODE=live，但 DASHSCOPE_API_KEY 无法使用：'sk-' 之后至少要有 16 个字母、"
          f"数字、'-' 或 '_'（收到的是 '…'，来自 {found / '.env'}）。读取的 .env 文件是 "
          f"{found / '.env'}。请在这个文件或环境变量中修正，" + _KEY_HELP_ZH],
         "QWEN_MODE=live, but DASHSCOPE_API_KEY cannot be used: after 'sk-' it must have at least "
         f"16 letters, digits, '-' or '_' (received '…' from {found / '.env'}). The .env file "
         f"read was {found / '.env'}. Fix it there or in the environment " + _KEY_HELP_EN),
        (lambda: load_settings({"QWEN_MODE": "live"}, start=fresh / "notebooks"),
         ["设置了 QWEN_MODE=live，但 DASHSCOPE_API_KEY 无法使用：没有设置或为空。当前目录及所有上级"
          f"目录中都没有 .env 文件。请创建 {fresh / '.env'}（可以复制 {fresh / '.env.example'}），"
          "或在环境变量中设置，" + _KEY_HELP_ZH],
         "QWEN_MODE=live, but DASHSCOPE_API_KEY cannot be used: it is missing or empty. No .env "
         f"file was found here or in any folder above. Create {fresh / '.env'} (copy "
         f"{fresh / '.env.example'}) or set it in the environment " + _KEY_HELP_EN),
        (lambda: load_settings({"DASHSCOPE_API_KEY": "ak-" + key[3:]}, dotenv=False),
         ["无法使用：不是以 'sk-' 开头（收到的是 'ak-"],
         "a key is set, so QWEN_MODE=auto chose live mode, but DASHSCOPE_API_KEY cannot be used: "
         f"it does not start with 'sk-' (received 'ak-{key[3:5]}…{key[-2:]}' from the "
         "environment). No .env file was read (dotenv=False). Set it in the environment "
         + _KEY_HELP_EN),
        (lambda: load_settings({"QWEN_MODE": "fast"}, dotenv=False),
         ["QWEN_MODE='fast' 不是有效的模式，请使用以下之一：mock, live, auto（auto：设置了 "
          "DASHSCOPE_API_KEY 时为 live，否则为 mock）。"],
         "QWEN_MODE='fast' is not a mode; use one of mock, live, auto (auto: live when "
         "DASHSCOPE_API_KEY is set, otherwise mock)."),
        (lambda: load_settings({"DASHSCOPE_REGION": "mars"}, dotenv=False),
         ["DASHSCOPE_REGION='mars' 不是本课程支持的地域，请使用以下之一：cn-beijing, "
          "ap-southeast-1, us-east-1, cn-hongkong（即创建 API Key 时所在的地域）。"],
         "DASHSCOPE_REGION='mars' is not a region this course supports; use one of cn-beijing, "
         "ap-southeast-1, us-east-1, cn-hongkong (the region your key was created in)."),
        (lambda: load_settings({"QWEN_MOCK_URL": "http://x/y"}, dotenv=False),
         ["QWEN_MOCK_URL='http://x/y' 不是模拟服务的根地址："],
         "QWEN_MOCK_URL='http://x/y' is not the root URL of a mock; give scheme, host and port "
         "only, such as http://10.0.0.5:8765 (the paths /compatible-mode/v1 and /api/v1 are "
         "added), or unset it to start a mock inside the kernel."),
        (lambda: load_settings({"DASHSCOPE_API_KEY": key, "DASHSCOPE_WORKSPACE": "a b"},
                               dotenv=False),
         ["DASHSCOPE_WORKSPACE='a b' 不是业务空间 ID："],
         "DASHSCOPE_WORKSPACE='a b' is not a workspace id: letters, digits, '-' and '_', up to "
         "64, as the console shows it (or unset it to use the region's shared host)."),
        (lambda: load_settings({"QWEN_TIME_SCALE": "0"}, dotenv=False),
         ["QWEN_TIME_SCALE='0' 不是有效的时间倍率："],
         "QWEN_TIME_SCALE='0' is not a time scale; use a number above 0 and up to 100 (1 = real "
         "time, 0.05 = twenty times faster), or unset it."),
        (lambda: load_settings({"QWEN_MODEL": "qwen-turbo"}, dotenv=False),
         ["QWEN_MODEL='qwen-turbo' 已于 2026-10-10 下线（依据阿里云公告，2026-12 查阅）"],
         "QWEN_MODEL='qwen-turbo' was retired on 2026-10-10 (Alibaba Cloud's notice, as read in "
         "2026-12); use a current model such as qwen-plus, qwen-max, qwen-flash, qwen3-max."),
    ]
    for make, chinese, english in cases:
        messages.set_language("zh")
        text = _error_of(make)
        assert all(part in text for part in chinese), text
        assert text.endswith("。") and key not in text and key[3:-2] not in text
        messages.set_language("en")
        assert _error_of(make) == english


def test_the_external_mock_check_and_the_status_line_speak_the_kernels_language():
    from qwen_helpers.connect import _check_external_mock, status_line

    offline = load_settings({}, dotenv=False)
    messages.set_language("zh")
    assert _error_of(lambda: _check_external_mock("http://127.0.0.1:9", timeout=0.2)) == (
        "QWEN_MOCK_URL=http://127.0.0.1:9 指向的模拟服务在 0.2 秒内没有响应健康检查"
        "（http://127.0.0.1:9/_mock/health）。请让运行这个模拟服务的人用 `python -m "
        "qwen_helpers.mock --host 0.0.0.0 --port 8765` 启动它，并核对地址；或者取消设置 "
        "QWEN_MOCK_URL，在本内核中启动本地模拟服务。")
    assert status_line(offline).startswith("mode=mock · base_url=（尚未启动：请先调用 connect()）")
    messages.set_language("en")
    assert _error_of(lambda: _check_external_mock("http://127.0.0.1:9", timeout=0.2)) == (
        "QWEN_MOCK_URL=http://127.0.0.1:9 does not answer http://127.0.0.1:9/_mock/health within "
        "0.2 s. Ask whoever runs it to start it with `python -m qwen_helpers.mock --host 0.0.0.0 "
        "--port 8765`, check the address, or unset QWEN_MOCK_URL to start a mock inside this "
        "kernel.")
    assert status_line(offline).startswith("mode=mock · base_url=(not started: call connect()) · ")


def test_every_live_problem_line_speaks_the_kernels_language(tmp_path):
    """Three failures × three places for QWEN_MODE=mock: Chinese, and the English as before."""
    from fakes import fake_key

    from qwen_helpers.live import ServiceCheck, problem_line

    key = fake_key()
    (tmp_path / "found").mkdir()
    (tmp_path / "found" / ".env").write_text("QWEN_MODEL=qwen-plus\n", encoding="utf-8")
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / ".env.example").write_text("", encoding="utf-8")
    places = {
        "root": (load_settings({"DASHSCOPE_API_KEY": key}, dotenv=False),
                 "请在项目根目录下的 .env 文件中写入 QWEN_MODE=mock，然后重启内核。",
                 "put QWEN_MODE=mock in a .env file at the project's root and restart the kernel."),
        "found": (load_settings({"DASHSCOPE_API_KEY": key}, start=tmp_path / "found"),
                  f"请在 {tmp_path / 'found' / '.env'} 中写入 QWEN_MODE=mock，然后重启内核。",
                  f"put QWEN_MODE=mock in {tmp_path / 'found' / '.env'} and restart the kernel."),
        "new": (load_settings({"DASHSCOPE_API_KEY": key}, start=tmp_path / "fresh"),
                f"请新建 {tmp_path / 'fresh' / '.env'}（与 .env.example 放在同一目录），写入 "
                "QWEN_MODE=mock，然后重启内核。",
                f"put QWEN_MODE=mock in {tmp_path / 'fresh' / '.env'} (a new file, beside "
                ".env.example) and restart the kernel."),
    }
    checks = {
        "unreachable": (
            ServiceCheck("unreachable", "ConnectError"),
            "✗ 在线模式：https://dashscope.aliyuncs.com 没有响应（ConnectError）。请检查网络或"
            "代理，并确认 DASHSCOPE_REGION=cn-beijing 是你的 API Key 所在的地域（其他地域："
            "ap-southeast-1, us-east-1, cn-hongkong）。如果想改用离线模式学习，",
            "✗ live mode: https://dashscope.aliyuncs.com did not answer (ConnectError). Check the "
            "network or proxy, and that DASHSCOPE_REGION=cn-beijing is your key's region (others: "
            "ap-southeast-1, us-east-1, cn-hongkong). To learn offline instead, "),
        "refused": (
            ServiceCheck("refused", "HTTP 401 InvalidApiKey"),
            "✗ 在线模式：https://dashscope.aliyuncs.com 拒绝了这个 API Key（HTTP 401 "
            "InvalidApiKey）。请检查 DASHSCOPE_API_KEY（API Key 只能在创建它的地域使用；"
            "当前 DASHSCOPE_REGION=cn-beijing）。如果想改用离线模式学习，",
            "✗ live mode: https://dashscope.aliyuncs.com refused the key (HTTP 401 InvalidApiKey). "
            "Check DASHSCOPE_API_KEY (a key works only in the region it was created in; "
            "DASHSCOPE_REGION=cn-beijing now). To learn offline instead, "),
    }
    for settings, zh_way_out, en_way_out in places.values():
        for check, zh_start, en_start in checks.values():
            messages.set_language("zh")
            assert problem_line(check, settings) == zh_start + zh_way_out
            messages.set_language("en")
            assert problem_line(check, settings) == en_start + en_way_out
    unlisted = ServiceCheck("model", "qwen-plux", ("qwen-max", "qwen-plus", "qwen3-max"))
    messages.set_language("zh")
    assert problem_line(unlisted, places["root"][0]) == (
        "✗ 在线模式：服务的模型列表中没有 'qwen-plux'。请把 QWEN_MODEL 设为列表中的模型，例如 "
        "qwen-max, qwen-plus, qwen3-max（共 3 个：client.models.list()）。")
    messages.set_language("en")
    assert problem_line(unlisted, places["root"][0]) == (
        "✗ live mode: the service does not list the model 'qwen-plux'. Set QWEN_MODEL to one it "
        "lists, such as qwen-max, qwen-plus, qwen3-max (3 in all: client.models.list()).")


def test_a_live_check_that_times_out_says_so_in_the_kernels_language():
    import httpx

    from qwen_helpers.live import check_service

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    settings = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32}, dotenv=False)
    messages.set_language("zh")
    found = check_service(settings, timeout=0.5, transport=httpx.MockTransport(slow))
    assert found.detail == "等待 0.5 秒后超时"
    messages.set_language("en")
    found = check_service(settings, timeout=0.5, transport=httpx.MockTransport(slow))
    assert found.detail == "no answer within 0.5 s"


def test_the_client_factories_refuse_in_the_kernels_language():
    from qwen_helpers.clients import dashscope_client, openai_client, sdk_max_retries

    offline = load_settings({}, dotenv=False)
    online = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32}, dotenv=False)
    checks = [
        (lambda: sdk_max_retries("both", None), "retry_owner='both' 无效：请用 'sdk'",
         "retry_owner='both' is not allowed; use 'sdk' (the SDK's own max_retries) or 'helper' "
         "(qwen_helpers.retry, with max_retries=0)."),
        (lambda: sdk_max_retries("sdk", -1), "max_retries=-1 是负数，请用 0 或更大的数。",
         "max_retries=-1 is negative; use 0 or more."),
        (lambda: sdk_max_retries("helper", 2), "同时设置 max_retries=2 会重复重试",
         "retry_owner='helper' with max_retries=2 would retry twice over (each helper attempt "
         "would make up to max_retries+1 requests). Drop max_retries to let qwen_helpers.retry "
         "retry alone, or use retry_owner='sdk' without the helper."),
        (lambda: openai_client(offline), "这份设置（mode=mock）还没有 base URL",
         "these settings (mode=mock) have no base URL yet: the mock starts in connect(). Use "
         "settings = connect() and pass those."),
        (lambda: dashscope_client(online, "grpc"), "这里不支持 protocol='grpc'",
         "protocol='grpc' is not supported here; use 'native' (/api/v1) or 'openai' "
         "(/compatible-mode/v1)."),
    ]
    for make, chinese, english in checks:
        messages.set_language("zh")
        text = _error_of(make)
        assert chinese in text and text.endswith("。"), text
        messages.set_language("en")
        assert _error_of(make) == english


def test_the_short_notebook_error_around_the_sdks_words_speaks_the_kernels_language():
    """The SDK's exception line stays as raised; the course's lines around it are translated."""
    import httpx
    import openai

    from qwen_helpers import notebook_errors

    class Shell:
        def _showtraceback(self, *shown):
            pass

    failure = openai.APIConnectionError(request=httpx.Request("POST", "http://x"))
    missing = NameError("name 'client' is not defined")
    notebook_errors.install("NOTE")
    try:
        messages.set_language("zh")
        shown = notebook_errors._show(Shell(), type(failure), failure, None)
        assert shown[0] == "\x1b[0;31mopenai.APIConnectionError: Connection error.\x1b[0m"
        assert shown[1].startswith("含义：") and shown[2:] == [
            "NOTE", "（查看完整的 traceback：在新单元格中运行 %tb。）"]
        assert notebook_errors.short_text(missing) == [
            "NameError: name 'client' is not defined",
            "前面某个单元格在给这个名字赋值之前就出错了。NOTE"]
        messages.set_language("en")
        shown = notebook_errors._show(Shell(), type(failure), failure, None)
        assert shown[1].startswith("What it means: ") and shown[2:] == [
            "NOTE", "(The full traceback: run %tb in a new cell.)"]
        assert notebook_errors.short_text(missing)[1] == (
            "An earlier cell failed before it could set this name. NOTE")
    finally:
        notebook_errors.install(None)

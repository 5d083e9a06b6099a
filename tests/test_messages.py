"""One catalog, two languages: every message the helpers print exists in English and Chinese."""

from __future__ import annotations

import pytest

from qwen_helpers import messages
from qwen_helpers.catalog import CATALOG
from qwen_helpers.config import ConfigError, load_settings
from qwen_helpers.connect import connect
from qwen_helpers.exercises import check_reading


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    messages.set_language("en")


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
            ch.isalpha() for ch in text.replace("{", " ")), f"{key}: {text!r}"


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

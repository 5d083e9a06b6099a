"""Settings from the environment and an upward-found .env; keys checked and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import fake_key
from hypothesis import given
from hypothesis import strategies as st

from qwen_helpers import models
from qwen_helpers.config import (
    REGION_HOSTS,
    ConfigError,
    Settings,
    clean_key,
    find_dotenv_upward,
    load_settings,
    mask_key,
)
from qwen_helpers.mock import DEMO_KEY


def write_env(folder: Path, text: str) -> Path:
    path = folder / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def assert_hidden(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text
        assert key[3:] not in text  # not even without its prefix


@pytest.fixture
def no_dotenv_above(tmp_path):
    """tmp_path, after making sure no .env sits in a folder above it."""
    assert find_dotenv_upward(tmp_path) is None, "a stray .env above tmp_path would leak in"
    return tmp_path


# -- where values come from -------------------------------------------------------------------

def test_environment_only_gives_live_settings_for_beijing():
    key = fake_key()
    settings = load_settings({"DASHSCOPE_API_KEY": key}, dotenv=False)
    assert (settings.mode, settings.api_key, settings.key_source) == ("live", key, "env")
    assert settings.region == "cn-beijing" and settings.model == models.DEFAULT_MODEL
    assert settings.compatible_base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert settings.native_base_url == "https://dashscope.aliyuncs.com/api/v1"
    assert settings.dotenv_path is None and not settings.dotenv_found


def test_dotenv_only(no_dotenv_above):
    key = fake_key()
    path = write_env(no_dotenv_above, f"DASHSCOPE_API_KEY={key}\nDASHSCOPE_REGION=ap-southeast-1\n")
    settings = load_settings({}, start=no_dotenv_above)
    assert (settings.mode, settings.api_key, settings.key_source) == ("live", key, ".env")
    assert settings.dotenv_path == path and settings.dotenv_found
    assert settings.native_base_url == "https://dashscope-intl.aliyuncs.com/api/v1"


def test_the_environment_wins_over_dotenv(no_dotenv_above):
    in_env, in_file = fake_key(), fake_key()
    write_env(no_dotenv_above, f"DASHSCOPE_API_KEY={in_file}\nQWEN_MODEL=qwen-flash\n")
    settings = load_settings({"DASHSCOPE_API_KEY": in_env}, start=no_dotenv_above)
    assert (settings.api_key, settings.key_source) == (in_env, "env")
    assert settings.model == "qwen-flash"  # what the environment does not set still comes


def test_dotenv_in_a_parent_folder_is_found_from_a_notebook_folder(no_dotenv_above, monkeypatch):
    key = fake_key()
    path = write_env(no_dotenv_above, f"DASHSCOPE_API_KEY={key}\n")
    notebooks = no_dotenv_above / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    settings = load_settings({})
    assert settings.dotenv_path == path and settings.api_key == key


def test_no_dotenv_and_no_key_gives_mock_mode(no_dotenv_above):
    settings = load_settings({}, start=no_dotenv_above)
    assert (settings.mode, settings.api_key, settings.key_source) == ("mock", DEMO_KEY, "none")
    assert settings.dotenv_path == no_dotenv_above.resolve() / ".env"
    assert not settings.dotenv_found
    assert settings.compatible_base_url is None  # the mock starts in connect()


def test_an_empty_dotenv_or_an_empty_key_gives_mock_mode(no_dotenv_above):
    write_env(no_dotenv_above, "")
    assert load_settings({}, start=no_dotenv_above).mode == "mock"
    write_env(no_dotenv_above, "# copied from .env.example\nDASHSCOPE_API_KEY=\nQWEN_MODE=auto\n")
    settings = load_settings({}, start=no_dotenv_above)
    assert (settings.mode, settings.key_source, settings.dotenv_found) == ("mock", "none", True)


# -- keys: cleaned, checked, hidden ----------------------------------------------------------

@pytest.mark.parametrize("wrap", ["{}\n", "{}\r\n", "  {}  ", '"{}"', "'{}'", ' "{}" \n'])
def test_surrounding_whitespace_and_quotes_are_stripped(wrap, no_dotenv_above):
    key = fake_key()
    assert load_settings({"DASHSCOPE_API_KEY": wrap.format(key)}, dotenv=False).api_key == key
    write_env(no_dotenv_above, "DASHSCOPE_API_KEY=" + wrap.format(key).replace("\n", "") + "\n")
    assert load_settings({}, start=no_dotenv_above).api_key == key


@pytest.mark.parametrize("spoil", [
    lambda k: k[:12] + " " + k[12:], lambda k: k[:12] + "\n" + k[12:], lambda k: k[3:],
    lambda k: k[:12] + '"' + k[12:], lambda k: "sk-xxx", lambda k: "sk-" + k[3:] + "!"])
def test_a_malformed_key_in_live_mode_is_refused_without_showing_it(spoil, no_dotenv_above):
    key = fake_key()
    path = write_env(no_dotenv_above, f"DASHSCOPE_API_KEY='{spoil(key)}'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"QWEN_MODE": "live"}, start=no_dotenv_above)
    message = str(caught.value)
    assert "DASHSCOPE_API_KEY" in message and str(path) in message and "QWEN_MODE=mock" in message
    assert_hidden(key, message, repr(caught.value))


def test_a_missing_key_in_live_mode_says_where_dotenv_was_looked_for(no_dotenv_above):
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY") as caught:
        load_settings({"QWEN_MODE": "live"}, start=no_dotenv_above)
    assert str(no_dotenv_above.resolve()) in str(caught.value)
    assert "QWEN_MODE=mock" in str(caught.value)


def test_settings_show_the_key_only_masked():
    key = fake_key()
    settings = load_settings({"DASHSCOPE_API_KEY": key}, dotenv=False)
    assert mask_key(key) in repr(settings) and mask_key(key) in str(settings)
    assert_hidden(key, repr(settings), str(settings), f"{settings}", f"{settings!r}")


@given(st.text(alphabet=" \t\n\"'", max_size=3), st.text(alphabet=" \t\n", max_size=3),
       st.integers(min_value=3, max_value=34), st.sampled_from([" ", "\n", "'", "`"]))
def test_no_error_message_contains_the_key(before, after, cut, junk):
    key = fake_key()
    raw = before + key[:cut] + junk + key[cut:] + after
    try:
        settings = load_settings({"DASHSCOPE_API_KEY": raw, "QWEN_MODE": "live"}, dotenv=False)
    except ConfigError as error:
        assert_hidden(key, str(error))
    else:
        assert_hidden(key, repr(settings), str(settings))


@given(st.sampled_from(["", " ", "\n", "\r\n", "\t"]), st.sampled_from(["", '"', "'"]))
def test_clean_key_undoes_copy_paste_damage(space, quote):
    key = fake_key()
    assert clean_key(f"{space}{quote}{space}{key}{space}{quote}{space}") == key


def test_mask_key_shows_seven_characters_at_most():
    key = fake_key()
    assert mask_key(key) == f"{key[:5]}…{key[-2:]}"
    assert mask_key(None) == "(none)" and mask_key("short") == "…"


# -- modes, regions, models ------------------------------------------------------------------

def test_forced_mock_mode_with_a_key_present_uses_the_demo_key():
    key = fake_key()
    settings = load_settings({"DASHSCOPE_API_KEY": key, "QWEN_MODE": "mock"}, dotenv=False)
    assert (settings.mode, settings.api_key, settings.key_source) == ("mock", DEMO_KEY, "env")
    assert_hidden(key, repr(settings), str(settings))


def test_auto_mode_is_live_with_a_key_and_an_unknown_mode_is_refused():
    key = fake_key()
    assert load_settings({"DASHSCOPE_API_KEY": key, "QWEN_MODE": " Auto "},
                         dotenv=False).mode == "live"
    with pytest.raises(ConfigError, match="mock, live, auto"):
        load_settings({"QWEN_MODE": "offline"}, dotenv=False)


@pytest.mark.parametrize("region", list(REGION_HOSTS))
def test_every_region_gives_both_base_urls(region):
    settings = load_settings({"DASHSCOPE_API_KEY": fake_key(), "DASHSCOPE_REGION": region},
                             dotenv=False)
    assert settings.compatible_base_url == REGION_HOSTS[region] + "/compatible-mode/v1"
    assert settings.native_base_url == REGION_HOSTS[region] + "/api/v1"


def test_an_unknown_region_is_refused_with_the_valid_ones():
    with pytest.raises(ConfigError) as caught:
        load_settings({"DASHSCOPE_REGION": "eu-west-9"}, dotenv=False)
    assert "'eu-west-9'" in str(caught.value)
    assert all(region in str(caught.value) for region in REGION_HOSTS)


def test_a_retired_model_is_refused_in_mock_mode_with_the_dated_notice():
    with pytest.raises(ConfigError, match="retired on 2026-10-10") as caught:
        load_settings({"QWEN_MODEL": "qwen-turbo"}, dotenv=False)
    assert "as read in 2026-12" in str(caught.value)


def test_qwen_max_is_not_retired():
    """The notice was revised: qwen-max left the list, and the mock serves it."""
    assert load_settings({"QWEN_MODEL": "qwen-max"}, dotenv=False).model == "qwen-max"


def test_in_live_mode_the_service_decides_which_names_exist():
    live = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32, "QWEN_MODEL": "qwen-turbo"},
                         dotenv=False)
    assert live.mode == "live" and live.model == "qwen-turbo"  # connect() asks the service


def test_a_new_env_belongs_beside_env_example(tmp_path):
    (tmp_path / ".env.example").write_text("DASHSCOPE_API_KEY=\n")
    (tmp_path / "notebooks" / "en").mkdir(parents=True)
    settings = load_settings({}, start=tmp_path / "notebooks" / "en")
    assert settings.dotenv_path == tmp_path / ".env" and not settings.dotenv_found
    with pytest.raises(ConfigError) as caught:
        load_settings({"QWEN_MODE": "live"}, start=tmp_path / "notebooks" / "en")
    assert f"Create {tmp_path / '.env'} (copy {tmp_path / '.env.example'})" in str(caught.value)


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "fast", "1000"])
def test_a_bad_time_scale_is_refused(raw):
    with pytest.raises(ConfigError, match="QWEN_TIME_SCALE"):
        load_settings({"QWEN_TIME_SCALE": raw}, dotenv=False)


def test_the_time_scale_is_read():
    assert load_settings({"QWEN_TIME_SCALE": "0.05"}, dotenv=False).time_scale == 0.05
    assert load_settings({}, dotenv=False).time_scale == 1.0


def test_settings_are_frozen():
    settings = load_settings({}, dotenv=False)
    assert isinstance(settings, Settings)
    with pytest.raises(AttributeError):
        settings.mode = "live"  # type: ignore[misc]


def test_a_mock_url_gives_its_base_urls_in_mock_mode_only():
    settings = load_settings({"QWEN_MOCK_URL": " http://10.0.0.5:8765/ "}, dotenv=False)
    assert (settings.mode, settings.mock_url) == ("mock", "http://10.0.0.5:8765")
    assert settings.compatible_base_url == "http://10.0.0.5:8765/compatible-mode/v1"
    assert settings.native_base_url == "http://10.0.0.5:8765/api/v1"
    live = load_settings({"QWEN_MOCK_URL": "http://10.0.0.5:8765",
                          "DASHSCOPE_API_KEY": fake_key()}, dotenv=False)
    assert live.mode == "live" and live.mock_url is None
    with pytest.raises(ConfigError, match="root URL of a mock"):
        load_settings({"QWEN_MOCK_URL": "http://10.0.0.5:8765/compatible-mode/v1"},
                      dotenv=False)


def test_faults_from_is_read_in_mock_mode_and_checked():
    settings = load_settings(env={"QWEN_MODE": "mock", "QWEN_FAULTS_FROM": "http://10.0.0.5:8765/"},
                             dotenv=False)
    assert settings.faults_from == "http://10.0.0.5:8765"
    with pytest.raises(ConfigError, match="QWEN_FAULTS_FROM"):
        load_settings(env={"QWEN_MODE": "mock", "QWEN_FAULTS_FROM": "10.0.0.5"}, dotenv=False)


def test_a_workspace_sends_live_calls_to_its_gateway():
    settings = load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32,
                              "DASHSCOPE_REGION": "ap-southeast-1",
                              "DASHSCOPE_WORKSPACE": "llm-abc123"}, dotenv=False)
    assert settings.compatible_base_url == (
        "https://llm-abc123.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1")
    assert settings.native_base_url.endswith(".maas.aliyuncs.com/api/v1")
    with pytest.raises(ConfigError, match="DASHSCOPE_WORKSPACE"):
        load_settings({"DASHSCOPE_API_KEY": "sk-" + "0" * 32,
                       "DASHSCOPE_WORKSPACE": "bad/id"}, dotenv=False)

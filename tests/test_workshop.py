"""The fault panel's logic against the mock: set, read and clear a room's faults; count answers."""

from __future__ import annotations

import openai
import pytest

from qwen_helpers.mock.scenarios import parse
from qwen_helpers.workshop import (
    PRESETS,
    apply_choice,
    describe,
    fault_panel,
    room_faults,
    room_traffic,
    set_room_faults,
    status_text,
)

HELLO = [{"role": "user", "content": "你好"}]


@pytest.fixture
def client(mock, key):
    return openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)


def ask(client: openai.OpenAI) -> int:
    try:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    except openai.APIStatusError as error:
        return error.status_code
    return 200


def test_every_preset_is_a_valid_sequence_the_mock_accepts():
    for name, sequence in PRESETS.items():
        assert parse(sequence) or name == "normal answers", name
    assert PRESETS["normal answers"] == ""


def test_a_room_fault_repeats_for_every_call_until_cleared(mock, client):
    assert set_room_faults("429,429,200", mock_url=mock.url) == ["429", "429", "200"]
    assert room_faults(mock.url) == {"*": "429,429,200"}
    assert [ask(client) for _ in range(4)] == [429, 429, 200, 429]  # and over again
    set_room_faults("", mock_url=mock.url)
    assert room_faults(mock.url) == {} and ask(client) == 200
    assert room_traffic(mock.url) == {429: 3, 200: 2}
    assert room_traffic(mock.url, last=1) == {200: 1}


def test_a_fault_for_one_key_leaves_the_others_alone(mock, client):
    set_room_faults("503*5", mock_url=mock.url, key="mock-key-rate-limited")
    assert ask(client) == 200


def test_a_mistyped_sequence_never_reaches_the_mock(mock):
    with pytest.raises(ValueError, match="'4299' is not understood|status must be"):
        set_room_faults("4299", mock_url=mock.url)
    assert room_faults(mock.url) == {}
    assert apply_choice("normal answers", "429,oops", mock_url=mock.url).startswith("✗ ")


def test_a_mock_that_is_not_there_says_how_to_start_one():
    with pytest.raises(RuntimeError, match="python -m qwen_helpers.mock --host 0.0.0.0"):
        room_faults("http://127.0.0.1:9")


def test_apply_and_status_give_one_readable_line(mock, client):
    message = apply_choice("every call: 429 rate limit (RPM)", mock_url=mock.url)
    assert message == "✓ every key: 429 (repeating)"
    ask(client)
    assert status_text(mock.url) == ("faults: every key: 429 (repeating) · answers (last 1): "
                                     "429×1")
    assert apply_choice("normal answers", " 500,200 ", "mock-key-valid",
                        mock_url=mock.url) == "✓ key mock-key-valid: 500, 200 (repeating)"
    assert apply_choice("normal answers", mock_url=mock.url) == (
        "✓ cleared for every key: normal answers")


def test_describe_keeps_long_sequences_short():
    assert describe("") == "none"
    assert describe("429*3,200*5") == "429, 429, 429, 200, 200, 200 … (repeating)"


def test_the_panel_buttons_drive_the_mock(mock, client):
    panel = fault_panel(mock.url)
    preset, custom, _key, buttons, result, status = panel.widget.children[1:]
    apply, clear, refresh = buttons.children
    preset.value = "every call: 500 internal error"
    apply.click()
    assert result.value == "✓ every key: 500 (repeating)" and ask(client) == 500
    refresh.click()
    assert status.value.endswith("answers (last 1): 500×1")
    clear.click()
    assert ask(client) == 200 and room_faults(mock.url) == {}


def test_opened_without_a_kernel_the_panel_is_a_sentence_and_a_still(mock):
    bundle = fault_panel(mock.url)._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Fault panel:") and "VBox" not in bundle["text/plain"]
    assert "Fault panel" in bundle["text/html"] and mock.url in bundle["text/html"]


def test_every_preset_has_a_label_whose_english_is_its_name():
    from qwen_helpers.messages import say
    from qwen_helpers.workshop import PRESET_LABELS

    assert list(PRESET_LABELS) == list(PRESETS)
    assert all(say(key, lang="en") == name for name, key in PRESET_LABELS.items())

"""The retry explorer: its logic agrees with the rule table, and its widgets respond."""

from __future__ import annotations

import pytest

from qwen_helpers.explorer import NO_STATUS_KINDS, STATUSES, codes_for, explain, retry_explorer
from qwen_helpers.retry import RetryPolicy


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_and_code_gets_a_decision_with_a_reason(status):
    for code in [None, *codes_for(status)]:
        result = explain(status, code, attempt=1)
        text = result.text()
        assert text.startswith(("RETRY", "DON'T RETRY")) and result.decision.rule.name in text
        assert (result.band is not None) == result.decision.retry


def test_waits_follow_the_attempt_and_stop_at_the_last():
    policy = RetryPolicy(jitter="none")
    assert [explain(503, None, n, policy).band for n in (1, 2, 3)] == [(1, 1), (2, 2), (4, 4)]
    last = explain(503, None, policy.max_attempts, policy)
    assert not last.decision.retry and "give up" in last.text()


def test_out_of_attempts_the_verdict_and_the_caption_say_both_things():
    """At 503, attempt 4 of 4: the rule says retry, the attempt budget says stop — both say so."""
    last = explain(503, None, attempt=4)
    assert last.out_of_attempts
    assert last.verdict().startswith("DON'T RETRY") and "says retry" in last.verdict()
    assert "RETRY" in last.caption() and "STOP" in last.caption()
    assert "attempt 4 of 4" in last.verdict() and "attempt 4 of 4" in last.caption()
    early = explain(503, None, attempt=1)
    assert not early.out_of_attempts and "STOP" not in early.caption()
    assert early.verdict().startswith("RETRY")


@pytest.mark.parametrize("kind", NO_STATUS_KINDS)
def test_failures_without_a_status(kind):
    assert explain(kind=kind).decision.retry == (kind != "stream")


def test_a_failure_needs_a_status_or_a_kind():
    with pytest.raises(ValueError, match="give a status or a kind"):
        explain(None, None)


def test_the_widgets_respond_to_a_change():
    panel = retry_explorer()
    status, code, attempt, verdict = panel.status, panel.code, panel.attempt, panel.verdict
    status.value = 400
    assert code.value == "(none)" and "bad_request" in verdict.value
    code.value = "Arrearage"
    assert "billing" in verdict.value and verdict.value.startswith("<b>DON'T RETRY")
    status.value = 429
    attempt.value = 2
    assert "RETRY" in verdict.value and "attempt 3" in verdict.value
    assert "rule 11" in panel.picture.value or "429" in panel.picture.value


def test_the_lit_branch_is_drawn_beside_the_controls_and_agrees_with_the_verdict():
    panel = retry_explorer()
    controls, picture = panel.widget.children
    assert panel.verdict in controls.children and picture is panel.picture
    panel.status.value, panel.attempt.value = 503, 4
    assert "budget says STOP" in panel.picture.value and "give up" in panel.verdict.value
    assert 'src="data:image/svg+xml;base64,' in panel.picture.value


def test_opened_without_a_kernel_it_shows_a_sentence_and_a_still_picture():
    bundle = retry_explorer()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Retry explorer:") and "VBox" not in bundle["text/plain"]
    assert "<img" in bundle["text/html"] and "RETRY" in bundle["text/html"]

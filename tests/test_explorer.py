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
    assert not last.decision.retry and "giving up" in last.text()


@pytest.mark.parametrize("kind", NO_STATUS_KINDS)
def test_failures_without_a_status(kind):
    assert explain(kind=kind).decision.retry == (kind != "stream")


def test_a_failure_needs_a_status_or_a_kind():
    with pytest.raises(ValueError, match="give a status or a kind"):
        explain(None, None)


def test_the_widgets_respond_to_a_change():
    panel = retry_explorer()
    status, code, attempt = panel.children[0].children
    verdict = panel.children[1]
    status.value = 400
    assert code.value == "(none)" and "bad_request" in verdict.value
    code.value = "Arrearage"
    assert "billing" in verdict.value and verdict.value.startswith("<b>DON'T RETRY")
    status.value = 429
    attempt.value = 2
    assert "RETRY" in verdict.value and "attempt 3" in verdict.value

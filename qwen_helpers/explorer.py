"""The retry explorer: pick a failure and an attempt number, see the decision, the wait, the branch.

:func:`explain` is the logic (a plain function, tested); :func:`retry_explorer` wraps it in
ipywidgets for notebook 03 and lights up the decision's branch on the retry diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import KINDS, QwenError, to_qwen_error
from .mock.errors import CATALOG
from .retry import DEFAULT_POLICY, Decision, RetryPolicy, backoff_band, decide

STATUSES = (400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504)
NO_STATUS_KINDS = ("timeout", "connection", "stream")
"""Failures without an HTTP status, chosen by kind in the explorer."""


@dataclass(frozen=True)
class Explanation:
    """A decision with everything the explorer shows."""

    error: QwenError
    attempt: int
    decision: Decision
    band: tuple[float, float] | None
    """The range the wait is drawn from (its jitter band), when the rule retries."""

    def text(self) -> str:
        """Three lines: the verdict and its rule, the reason, the wait (never a random draw)."""
        rule = self.decision.rule
        verdict = "RETRY" if self.decision.retry else "DON'T RETRY"
        lines = [f"{verdict} — rule {rule.name} ({rule.condition})"]
        if self.decision.retry and self.band:
            low, high = self.band
            wait = f"{high:g} s" if low == high else f"between {low:g} and {high:g} s"
            lines += [rule.reason, f"Wait {wait}, then attempt {self.attempt + 1}."]
        else:
            lines.append(self.decision.reason)
        return "\n".join(lines)


def failure(status: int | None = None, code: str | None = None,
            kind: str | None = None) -> QwenError:
    """The failure the explorer describes: an HTTP status with a code, or a kind without one."""
    if status is None:
        if kind not in KINDS:
            raise ValueError(f"give a status or a kind ({', '.join(NO_STATUS_KINDS)}); "
                             f"got status=None, kind={kind!r}")
        return QwenError(kind, f"a {kind} failure")
    return to_qwen_error({"status_code": status, "code": code, "message": ""})


def explain(status: int | None = None, code: str | None = None, attempt: int = 1,
            policy: RetryPolicy = DEFAULT_POLICY, kind: str | None = None) -> Explanation:
    """What the decision tree says after failed attempt ``attempt`` with this failure."""
    error = failure(status, code, kind)
    decision = decide(error, attempt, policy)
    band = backoff_band(attempt, policy) if decision.retry else None
    return Explanation(error, attempt, decision, band)


def codes_for(status: int) -> list[str]:
    """The catalogue's native codes answered with ``status``."""
    return sorted(code for code, error in CATALOG.items() if error.status == status)


def retry_explorer(policy: RetryPolicy = DEFAULT_POLICY) -> Any:
    """An ipywidgets panel: a failure and an attempt in; the decision, wait and branch out."""
    import ipywidgets as widgets
    from IPython.display import display

    from .diagrams import show

    status = widgets.Dropdown(options=[*STATUSES, *NO_STATUS_KINDS], value=429,
                              description="failure")
    code = widgets.Dropdown(description="code")
    attempt = widgets.IntSlider(value=1, min=1, max=policy.max_attempts, description="attempt")
    verdict = widgets.HTML()
    picture = widgets.Output()

    def update(*_: Any) -> None:
        chosen = status.value
        if isinstance(chosen, int):
            options = ["(none)", *codes_for(chosen)]
            if list(code.options) != options:
                code.options = options
                code.value = "(none)"
            picked = None if code.value in (None, "(none)") else code.value
            result = explain(chosen, picked, attempt.value, policy)
            highlight: Any = (chosen, picked)
        else:
            code.options, code.value = ["(none)"], "(none)"
            result = explain(None, None, attempt.value, policy, kind=chosen)
            highlight = chosen
        lines = result.text().split("\n")
        verdict.value = (f"<b>{lines[0]}</b><br>" + "<br>".join(lines[1:]))
        with picture:
            picture.clear_output(wait=True)
            display(show("03-retry-decision-tree", highlight=highlight))

    for control in (status, code, attempt):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([status, code, attempt]), verdict, picture])

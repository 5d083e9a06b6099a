"""The retry explorer: pick a failure and an attempt number, see the decision, the wait, the branch.

:func:`explain` is the logic (a plain function, tested); :class:`RetryExplorer` wraps it in
ipywidgets for notebook 03 and lights up the deciding rule on the retry diagram, right beside
the controls. When the rule says retry but the attempts are used up, both the verdict and the
diagram's caption say so: the rule says retry, the attempt budget says stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import KINDS, QwenError, to_qwen_error
from .messages import say
from .mock.errors import CATALOG
from .panels import StillWidget, control
from .retry import DEFAULT_POLICY, RULES, Decision, RetryPolicy, backoff_band, decide

STATUSES = (400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504)
NO_STATUS_KINDS = ("timeout", "connection", "stream")
"""Failures without an HTTP status, chosen by kind in the explorer."""
NO_CODE = "(none)"
"""The code dropdown's value for "no code" (its label is ``explorer.no_code``)."""


@dataclass(frozen=True)
class Explanation:
    """A decision with everything the explorer shows."""

    error: QwenError
    attempt: int
    decision: Decision
    band: tuple[float, float] | None
    """The range the wait is drawn from (its jitter band), when the rule retries."""
    max_attempts: int = DEFAULT_POLICY.max_attempts

    @property
    def out_of_attempts(self) -> bool:
        """The rule says retry, but this was the last attempt the policy allows."""
        return self.decision.rule.retry and not self.decision.retry

    def verdict(self) -> str:
        """One line: what to do, and which rule (and, when it applies, the budget) decided."""
        rule = self.decision.rule
        number = RULES.index(rule) + 1
        if self.out_of_attempts:
            return say("explorer.out_of_attempts", number=number, rule=rule.name,
                       attempt=self.attempt, max=self.max_attempts)
        said = say("explorer.retry" if rule.retry else "explorer.dont")
        return say("explorer.verdict", said=said, number=number, rule=rule.name)

    def caption(self) -> str:
        """The diagram's caption, in agreement with the verdict."""
        failure = " ".join(str(x) for x in (self.error.status, self.error.code) if x)
        number = RULES.index(self.decision.rule) + 1
        said = say("explorer.retry" if self.decision.rule.retry else "explorer.dont")
        budget = (say("explorer.budget", attempt=self.attempt, max=self.max_attempts)
                  if self.out_of_attempts else "")
        return say("explorer.caption", failure=failure or say("explorer.kind",
                                                                kind=self.error.kind),
                   number=number, rule=self.decision.rule.name, said=said, budget=budget)

    def text(self) -> str:
        """The verdict; the rule's condition and reason; then the wait (never a random draw)
        or, when the attempts are used up, what to do instead."""
        rule = self.decision.rule
        lines = [self.verdict(), say("explorer.the_rule", condition=rule.condition,
                                     reason=rule.reason)]
        if self.decision.retry and self.band:
            low, high = self.band
            wait = (say("explorer.wait_fixed", wait=high) if low == high
                    else say("explorer.wait_band", low=low, high=high))
            lines.append(say("explorer.wait", wait=wait, next=self.attempt + 1))
        elif self.out_of_attempts:
            lines.append(say("explorer.report"))
        return "\n".join(lines)


def failure(status: int | None = None, code: str | None = None,
            kind: str | None = None) -> QwenError:
    """The failure the explorer describes: an HTTP status with a code, or a kind without one."""
    if status is None:
        if kind not in KINDS:
            raise ValueError(say("explorer.no_failure", kinds=", ".join(NO_STATUS_KINDS),
                                 kind=repr(kind)))
        return QwenError(kind, say("explorer.kind_failure", kind=kind))
    return to_qwen_error({"status_code": status, "code": code, "message": ""})


def explain(status: int | None = None, code: str | None = None, attempt: int = 1,
            policy: RetryPolicy = DEFAULT_POLICY, kind: str | None = None) -> Explanation:
    """What the decision tree says after failed attempt ``attempt`` with this failure."""
    error = failure(status, code, kind)
    decision = decide(error, attempt, policy)
    band = backoff_band(attempt, policy) if decision.retry else None
    return Explanation(error, attempt, decision, band, policy.max_attempts)


def codes_for(status: int) -> list[str]:
    """The catalogue's native codes answered with ``status``."""
    return sorted(code for code, error in CATALOG.items() if error.status == status)


class RetryExplorer(StillWidget):
    """The explorer's widgets: the controls and verdict on the left, the lit branch beside them."""

    @property
    def sentence(self) -> str:
        return say("explorer.sentence")

    def __init__(self, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        import ipywidgets as widgets

        self.policy = policy
        self.status = widgets.Dropdown(options=[*STATUSES, *NO_STATUS_KINDS], value=429,
                                       description=say("explorer.failure_label"))
        self.code = widgets.Dropdown(options=[(say("explorer.no_code"), NO_CODE)], value=NO_CODE,
                                     description=say("explorer.code_label"))
        self.attempt = widgets.IntSlider(value=1, min=1, max=policy.max_attempts,
                                         description=say("explorer.attempt_label"))
        self.verdict = widgets.HTML(layout=widgets.Layout(width="340px"))
        self.picture = widgets.HTML(layout=widgets.Layout(max_height="480px", overflow="auto"))
        controls = widgets.VBox([self.status, self.code, self.attempt, self.verdict],
                                layout=widgets.Layout(width="360px", flex="0 0 360px"))
        self.widget = widgets.HBox([controls, self.picture])
        for widget in (self.status, self.code, self.attempt):
            widget.observe(self.update, names="value")
        self.update()

    def explanation(self) -> Explanation:
        """The explanation of what the controls show now."""
        chosen = self.status.value
        code = None if self.code.value in (None, NO_CODE) else self.code.value
        if isinstance(chosen, int):
            return explain(chosen, code, self.attempt.value, self.policy)
        return explain(None, None, self.attempt.value, self.policy, kind=chosen)

    def update(self, *_: Any) -> None:
        """Refresh the code list, the verdict and the picture after a control changed."""
        from .diagrams import show

        chosen = self.status.value
        codes = codes_for(chosen) if isinstance(chosen, int) else []
        options = [(say("explorer.no_code"), NO_CODE), *((code, code) for code in codes)]
        if list(self.code.options) != options:
            self.code.options = options
            self.code.value = NO_CODE
        result = self.explanation()
        first, *rest = result.text().split("\n")
        self.verdict.value = f"<b>{first}</b><br>" + "<br>".join(rest)
        highlight = (chosen, None if self.code.value == NO_CODE else self.code.value) \
            if isinstance(chosen, int) else chosen
        self.picture.value = show("03-retry-decision-tree", highlight, caption=result.caption(),
                                  zoom=True)._repr_html_()

    def still_html(self) -> str:
        return (control(self.status.description, self.status.value)
                + control(self.code.description, self.code.label)
                + control(self.attempt.description, self.attempt.value)
                + f"<p>{self.verdict.value}</p>"
                + self.picture.value)


def retry_explorer(policy: RetryPolicy = DEFAULT_POLICY) -> RetryExplorer:
    """The retry explorer for a notebook cell: display it by leaving it last in the cell."""
    return RetryExplorer(policy)

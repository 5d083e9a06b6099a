"""03 · "Should I retry?" (section 4): the document's three branches, and the exact table.

:func:`three_branches` draws the document's own tree as it stands: 400–403 don't retry (fix,
then send again), 429 and 500–503 retry with exponential backoff. :func:`build` is the tree
made exact, generated from ``qwen_helpers.retry.RULES``: one decision node per rule, in table
order: "yes" leads to a RETRY or DON'T RETRY leaf with the rule's reason, "no" to the next rule;
the first match decides, as in :func:`qwen_helpers.retry.matching_rule`. A note gives the waits
of the default policy. Change the table and ``python -m qwen_helpers.diagrams`` redraws the
tree; a test fails until it does.
"""

from __future__ import annotations

import textwrap

from .. import retry
from ..errors import KINDS, QwenError, to_qwen_error
from ..messages import say
from .graph import Graph

NAME = "03-retry-decision-tree"
THREE_BRANCHES = "03-retry-three-branches"
JITTER_TEXT = {"none": "no jitter", "full": "full jitter: a random wait in [0, backoff]",
               "equal": "equal jitter: backoff/2 + a random part up to backoff/2"}


def three_branches() -> Graph:
    """Section 4 as the document draws it: one question, three branches, one resend."""
    g = Graph(THREE_BRANCHES, "Should I retry? The document's three branches", "我应该重试吗？",
              editing="qwen_helpers/diagrams/retry_tree.py", zh_below=True)
    g.node("failed", "An error response", "收到错误响应", kind="start")
    g.node("status", "Which status?", "错误状态码是什么？", kind="decision")
    g.node("fix", "DON'T RETRY", "不重试", "fix the code or the account 修复代码或账户问题",
           "400 bad format 格式错误", "401 authentication failed 认证失败",
           "403 no permission 无权限", kind="fail", align="left")
    waits = ("exponential backoff 指数退避", "wait 1 s, 2 s, 4 s …",
             "at most 3–5 tries 最多重试3-5次")
    g.node("rate", "RETRY", "重试", "429 rate limited 限流", *waits, kind="retry", align="left")
    g.node("server", "RETRY", "重试", "500–503 server error", *waits, kind="retry",
           align="left")
    g.node("resend", "Send the request again", "重新发送请求")
    g.node("ok", "Success? 200", "成功？200", kind="ok")
    g.ranks.append(("fix", "rate", "server"))
    g.edge("failed", "status")
    g.edge("status", "fix", "400–403", "fail")
    g.edge("status", "rate", "429", "retry")
    g.edge("status", "server", "500–503", "retry")
    g.edge("fix", "resend", "after the fix 修复后")
    g.edge("rate", "resend", kind="retry")
    g.edge("server", "resend", kind="retry")
    g.edge("resend", "ok", kind="ok")
    return g


def build() -> Graph:
    """The rule table as a chain of decisions, each with its leaf, plus the backoff note."""
    g = Graph(NAME, "Should I retry?", "我应该重试吗？",
              editing="qwen_helpers/retry_rules.py (RULES)", attrs={"ranksep": "0.3"})
    g.node("failed", "A call failed", "收到错误响应", "status, code, kind of failure",
           kind="start")
    g.node("waits", "How long to wait", "指数退避", *_policy_lines(retry.DEFAULT_POLICY),
           kind="note", align="left")
    g.ranks.append(("failed", "waits"))
    g.edge("failed", "waits", kind="note")
    previous = "failed"
    for number, rule in enumerate(retry.RULES, 1):
        node, leaf = f"rule_{rule.name}", f"leaf_{rule.name}"
        condition = _wrap(rule.condition, 40)
        g.node(node, f"{number} · {rule.name}", "", *condition, kind="decision", width=2.5,
               attrs={"fixedsize": "shape", "width": "3.4",
                      "height": f"{0.42 + 0.15 * len(condition):.2f}"})
        g.node(leaf, "RETRY" if rule.retry else "DON'T RETRY", "重试" if rule.retry else "不重试",
               *_wrap(say(f"rule.{rule.name}", lang="en"), 54),  # the diagram is English
               kind="retry" if rule.retry else "fail", align="left")
        g.ranks.append((node, leaf))
        g.edge(previous, node, "no" if previous != "failed" else "",
               id=f"no:{previous[5:]}" if previous != "failed" else "start")
        g.edge(node, leaf, "yes", "retry" if rule.retry else "fail", id=f"yes:{rule.name}")
        previous = node
    return g


def route(value: object) -> tuple[tuple[str, ...], str]:
    """The edges a failure takes: ``(status, code)``, a kind name, an exception or a QwenError."""
    error = failure(value)
    rule = retry.matching_rule(error)
    names = [r.name for r in retry.RULES]
    ids = ("start", *(f"no:{n}" for n in names[:names.index(rule.name)]), f"yes:{rule.name}")
    shown = " ".join(str(x) for x in (error.status, error.code) if x) or f"kind {error.kind}"
    verdict = "RETRY" if rule.retry else "DON'T RETRY"
    return ids, f"{shown} → rule {names.index(rule.name) + 1} {rule.name}: {verdict}"


def failure(value: object) -> QwenError:
    """The QwenError a highlight value stands for."""
    if isinstance(value, str) and value in KINDS:
        return QwenError(value, "")
    if isinstance(value, tuple) and len(value) == 2:
        status, code = value
        if not isinstance(status, int) or not (code is None or isinstance(code, str)):
            raise ValueError(f"{NAME} highlights (status, code) like (429, 'Throttling.RateQuota')"
                             f" or (503, None); got {value!r}.")
        return to_qwen_error({"status_code": status, "code": code, "message": ""})
    try:
        return to_qwen_error(value)
    except TypeError:
        raise ValueError(f"{NAME} highlights (status, code), a kind ({', '.join(KINDS)}), an "
                         f"exception or a failed response; got {value!r}.") from None


def _policy_lines(policy: retry.RetryPolicy) -> list[str]:
    waits = [retry.backoff_band(n, policy)[1] for n in range(1, policy.max_attempts)]
    return [f"`Retry-After` from the server, if sent (up to {policy.max_server_wait:g} s);",
            "else backoff: " + ", ".join(f"{w:g} s" for w in waits)
            + f" … (× {policy.multiplier:g}, cap {policy.cap:g} s)",
            f"with {JITTER_TEXT[policy.jitter]};",
            f"at most {policy.max_attempts} attempts in all (`RetryPolicy()` defaults)"]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)

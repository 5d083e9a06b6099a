"""06 and 07: the three scenarios of section 6 and the concept card of section 7.

Scenario A uses ``qwen-flash``: the document's ``qwen-turbo`` was retired on 2026-10-10
(docs/sources.md §8.4).
Scenario B reads ``chunk.choices[0].delta.content`` (the document's ``chunk.delta.content`` does
not exist). Scenario C is a timeline of attempts and waits.
"""

from __future__ import annotations

from .. import models
from .graph import Graph

SCENARIOS = "06-scenarios"
CONCEPTS = "07-core-concepts"
EDITING = "qwen_helpers/diagrams/scenarios.py"


def scenarios() -> Graph:
    """Section 6: A a question, B a stream, C a retry timeline (429, 1 s, 429, 2 s, 200)."""
    g = Graph(SCENARIOS, "Three scenarios", "实际场景流程图", editing=EDITING, zh_below=True)
    g.cluster("a", "A · A simple question", "简单的问答")
    g.node("a1", "Build the message", "构建消息", "`{\"role\": \"user\",`",
           "` \"content\": \"你好\"}`", cluster="a")
    g.node("a2", "Call the API", "调用API", f"`model=\"{models.CHEAPEST_MODEL}\"`",
           "the cheapest current model;", "`qwen-turbo` was retired",
           f"on {models.RETIREMENT_DATE}", cluster="a")
    g.node("a3", "The server answers", "服务器处理", "the SDK sent the key", cluster="a")
    g.node("a4", "Parse the response", "解析响应", "`.choices[0].message.content`", cluster="a")
    g.node("a5", "Show the reply", "显示回复", kind="ok", cluster="a")

    g.cluster("b", "B · A streamed chat", "流式对话")
    g.node("b1", "Turn streaming on", "启用流式模式", "`stream=True`", cluster="b")
    g.node("b2", "The server sends events", "流式传输",
           "`data: {…\"delta\":{\"content\":\"我\"}…}`",
           "`data: {…\"delta\":{\"content\":\"是\"}…}`", "`…`", "`data: [DONE]`", align="left",
           cluster="b")
    g.node("b3", "Handle each chunk", "实时处理数据块", "`for chunk in stream:`",
           "`  if chunk.choices:`", "`    chunk.choices[0]`", "`      .delta.content`",
           "not `chunk.delta.content`;", "the last chunks carry no text", align="left",
           cluster="b")
    g.node("b4", "The reply appears live", "逐字出现", kind="ok", cluster="b")

    g.cluster("c", "C · An error, then retries", "处理错误和重试")
    g.node("t1", "Attempt 1", "发送请求", cluster="c")
    g.node("w1", "wait 1 s", "等待 1 秒", kind="wait", cluster="c")
    g.node("t2", "Attempt 2", "第一次重试", cluster="c")
    g.node("w2", "wait 2 s", "等待 2 秒", kind="wait", cluster="c")
    g.node("t3", "Attempt 3", "第二次重试", cluster="c")
    g.node("c_ok", "Parse and return", "解析响应", kind="ok", cluster="c")
    g.node("c_sdk", "openai retries by itself", "", "`max_retries=2` by default,",
           "waits ≈ 0.5 s, then ≈ 1 s,", "or what `Retry-After` says", kind="note", cluster="c")
    for tick, text in (("s0", "t = 0 s"), ("s1", "t ≈ 1 s"), ("s3", "t ≈ 3 s"), ("now", "time")):
        g.node(tick, text, kind="tick", cluster="c")
    g.ranks += [("t1", "s0"), ("t2", "s1"), ("t3", "s3"), ("c_ok", "now")]
    g.edge("s0", "s1", kind="axis")
    g.edge("s1", "s3", kind="axis")
    g.edge("s3", "now", kind="axis")

    for chain in (("a1", "a2", "a3", "a4", "a5"), ("b1", "b2", "b3", "b4")):
        for tail, head in zip(chain, chain[1:], strict=False):
            g.edge(tail, head, kind="ok" if head in ("a5", "b4") else "flow")
    g.edge("t1", "w1", "429 限流", "fail")
    g.edge("w1", "t2", kind="retry")
    g.edge("t2", "w2", "429 again", "fail")
    g.edge("w2", "t3", kind="retry")
    g.edge("t3", "c_ok", "200 成功", "ok")
    g.edge("c_ok", "c_sdk", kind="note")
    return g


def concepts() -> Graph:
    """Section 7: the five groups of the concept card, corrected where the document is dated."""
    g = Graph(CONCEPTS, "Core concepts", "核心概念速记卡", editing=EDITING,
              attrs={"rankdir": "LR", "ranksep": "0.5", "nodesep": "0.2"})
    g.node("qwen", "Calling Qwen", "调用通义千问", "through DashScope", kind="start")
    cards = {
        "auth": ("Authentication", "鉴权", "the API key identifies the account",
                 "the SDK adds `Authorization: Bearer …`",
                 "keep it in the environment or `.env`, never in code",
                 "a key works only in its region (Beijing ≠ Singapore)"),
        "calls": ("Calls", "调用", "synchronous 同步: wait for the whole answer",
                  "streaming 流式: `stream=True`, chunks as they come",
                  "asynchronous 异步: `AsyncOpenAI` with `await`"),
        "errors": ("Common errors", "常见错误", "✗ 401 → check the key and its region",
                   "✗ 400 → fix the request; 400 `Arrearage` → pay the bill",
                   "✗ 403 `FreeTierOnly` → the free tier is used up",
                   "↻ 429 → back off exponentially, then retry",
                   "↻ 500 · 503 → wait, then retry"),
        "speed": ("Performance", "性能优化",
                  f"pick the model: `{models.CHEAPEST_MODEL}` is the cheapest",
                  f"(`qwen-turbo` was retired on {models.RETIREMENT_DATE})",
                  "stream, so the first words arrive sooner",
                  "cache repeated calls; run calls concurrently"),
        "practice": ("Best practice", "最佳实践", "always handle exceptions",
                     "retry with backoff and jitter",
                     "watch `usage.prompt_tokens` / `completion_tokens`",
                     "log every request, with the key masked"),
    }
    for id, (title, zh, *lines) in cards.items():
        g.node(id, title, zh, *lines, align="left", width=4.1)
        g.edge("qwen", id)
    return g

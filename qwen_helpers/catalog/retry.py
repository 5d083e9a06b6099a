"""Messages of the retry table and its decisions (``qwen_helpers.retry_rules``, ``.retry``)."""

from __future__ import annotations

REASONS: dict[str, dict[str, str]] = {
    "stream_started": {
        "en": "The stream had begun, so the reader may have seen part of the answer; sending "
              "again would start it over. Report it with the partial text.",
        "zh": "流式输出已经开始，读者可能已看到部分回答；重新发送会从头再来。"
              "请连同已收到的部分文本一起报告。",
    },
    "retry_after_too_long": {
        "en": "The server asked for a longer wait than max_server_wait; a shorter wait would only "
              "be refused again, so give up now.",
        "zh": "服务端要求的等待时间超过了 max_server_wait；"
              "等得更短只会再次被拒绝，所以现在就放弃。",
    },
    "server_says_retry": {
        "en": "The server sent x-should-retry: true (openai and dashscope 2.0 obey it too) — but "
              "never for a 401 or 403: a key or a permission does not fix itself.",
        "zh": "服务端返回了 x-should-retry: true（openai 和 dashscope 2.0 也会遵从）——但 401、403 "
              "例外：API Key 或权限问题不会自己好起来。",
    },
    "server_says_stop": {
        "en": "The server sent x-should-retry: false.",
        "zh": "服务端返回了 x-should-retry: false。",
    },
    "billing": {
        "en": "The account owes money or lacks the product (Arrearage is a 400, the bill codes "
              "are 429s); nothing changes until it is settled in the console.",
        "zh": "账号欠费或未开通该产品（Arrearage 是 400，账单类错误码是 429）；在控制台处理之前，"
              "重试不会有任何变化。",
    },
    "free_tier_exhausted": {
        "en": "The free quota is used up and 'use free tier only' is on; it does not come back "
              "within minutes.",
        "zh": "免费额度已用完，且开启了“仅使用免费额度”；几分钟内不会恢复。",
    },
    "content_filtered": {
        "en": "Moderation judged the content inappropriate; the same request is judged the same "
              "way.",
        "zh": "内容安全审核判定内容不合规；同样的请求会得到同样的判定。",
    },
    "request_rate": {
        "en": "Too many requests this minute, or too fast a rise; the window slides, so a wait "
              "lets the next try through.",
        "zh": "这一分钟内请求过多，或请求量上升过快；"
              "限流窗口是滑动的，等一等，下一次尝试就能通过。",
    },
    "tokens_per_minute": {
        "en": "On DashScope this is the tokens-per-minute limit, which recovers within a minute "
              "(docs/sources.md §8.1) — not OpenAI's billing insufficient_quota. If every try "
              "fails, send fewer tokens or wait a minute.",
        "zh": "在 DashScope 上这是每分钟 Token 数限流，一分钟内就会恢复（docs/sources.md §8.1）——"
              "不是 OpenAI 那种计费意义上的 insufficient_quota。如果每次尝试都失败，请减少 Token "
              "或等一分钟。",
    },
    "too_many_requests": {
        "en": "A 429 without a known code is a rate limit too.",
        "zh": "没有已知错误码的 429 也是限流。",
    },
    "unauthorized": {
        "en": "The key is missing, wrong or from another region; waiting will not fix it.",
        "zh": "API Key 缺失、错误或属于其他地域；等待解决不了问题。",
    },
    "request_form": {
        "en": "The service refuses this form of request (JSON mode without 'json' in the prompt, "
              "thinking without a stream or with JSON mode, a bad thinking_budget or tool_choice, "
              "tool messages out of order): change the request; the same one fails again.",
        "zh": "服务不接受这种形式的请求（JSON 模式下提示词里没有 json、深度思考没有用流式输出"
              "或同时开启了 JSON 模式、thinking_budget 或 tool_choice 取值不对、"
              "工具消息顺序有误）：请修改请求，原样再发依然失败。",
    },
    "bad_request": {
        "en": "The request is invalid; it will be invalid again.",
        "zh": "请求本身无效；再发一次依然无效。",
    },
    "forbidden": {
        "en": "This key may not use this model or workspace.",
        "zh": "这个 API Key 无权使用该模型或业务空间。",
    },
    "not_found": {
        "en": "No such model (or a retired one); it will not appear in a few seconds.",
        "zh": "模型不存在（或已下线）；过几秒也不会出现。",
    },
    "request_timeout": {
        "en": "408: the server gave up waiting for the request; nothing was processed, so sending "
              "it again is safe.",
        "zh": "408：服务端等不到完整的请求而放弃；请求没有被处理，重新发送是安全的。",
    },
    "conflict": {
        "en": "409 is not documented by DashScope; openai and dashscope 2.0 retry it as a "
              "transient lock conflict, and so do we.",
        "zh": "DashScope 文档没有说明 409；openai 和 dashscope 2.0 把它当作暂时的锁冲突来重试，"
              "我们也一样。",
    },
    "too_large": {
        "en": "413: the body is over 16 MiB; send less.",
        "zh": "413：请求体超过 16 MiB；请少发一些内容。",
    },
    "other_client_error": {
        "en": "Any other 4xx (422 …) says the request is wrong.",
        "zh": "其他 4xx（422 等）都说明请求有误。",
    },
    "model_too_slow": {
        "en": "The model took too long (over 300 s); a retry may take as long again, so stream "
              "long answers.",
        "zh": "模型生成时间过长（超过 300 秒）；重试可能同样耗时，长回答请使用流式输出。",
    },
    "server_error": {
        "en": "An internal error, usually transient.",
        "zh": "服务端内部错误，通常是暂时的。",
    },
    "unavailable": {
        "en": "The gateway or model is overloaded or restarting.",
        "zh": "网关或模型过载，或正在重启。",
    },
    "gateway_timeout": {
        "en": "504: the gateway stopped waiting for the model. The first try may still have run "
              "(and been billed), but a chat call changes nothing, so it is safe to send again.",
        "zh": "504：网关不再等待模型。第一次尝试可能仍已执行（并已计费），但对话调用不会改变任何"
              "状态，所以重新发送是安全的。",
    },
    "other_server_error": {
        "en": "Any other 5xx is a fault on the server's side.",
        "zh": "其他 5xx 都是服务端的故障。",
    },
    "client_timeout": {
        "en": "The client stopped waiting; the server may still have run the request. Try "
              "again, and stream long answers.",
        "zh": "客户端不再等待；服务端可能仍执行了该请求。请重试，长回答请使用流式输出。",
    },
    "connection": {
        "en": "Refused, reset or dropped before an answer: usually a blip. (A wrong base URL "
              "fails every time, so the tries run out quickly.)",
        "zh": "在收到回答之前连接被拒绝、重置或中断：通常只是短暂故障。（base URL 写错则每次都会"
              "失败，尝试次数很快就会用完。）",
    },
    "transient_kind": {
        "en": "A passing kind of failure that came without its usual status (a business error "
              "inside an HTTP 200).",
        "zh": "一类暂时性的失败，但没有带上通常的状态码（HTTP 200 中携带的业务错误）。",
    },
    "lasting_kind": {
        "en": "A lasting kind of failure that came without its usual status: refused by the SDK "
              "before sending (no key, no input) or a business error inside an HTTP 200. Waiting "
              "will not fix it.",
        "zh": "一类持续性的失败，但没有带上通常的状态码：发送前就被 SDK 拒绝（没有 API Key、没有"
              "输入），或 HTTP 200 中携带的业务错误。等待解决不了问题。",
    },
    "not_recognised": {
        "en": "Not a failure the table knows; retrying could hide a bug.",
        "zh": "决策表不认识这种失败；重试可能掩盖程序缺陷。",
    },
}

MESSAGES: dict[str, dict[str, str]] = {
    **{f"rule.{name}": text for name, text in REASONS.items()},
    "retry.giving_up": {
        "en": "{reason} But that was attempt {attempt} of {max}: giving up.",
        "zh": "{reason}但这已经是第 {attempt} 次尝试（共 {max} 次）：放弃。",
    },
    "retry.deadline": {
        "en": "{reason} But {elapsed:.2f} s are spent and a {wait:.2f} s wait would reach the "
              "{deadline:g} s deadline: giving up.",
        "zh": "{reason}但已用去 {elapsed:.2f} 秒，再等 {wait:.2f} 秒就会达到 {deadline:g} 秒的"
              "截止时间：放弃。",
    },
    "retry.waiting": {
        "en": "{reason} Waiting {wait:.2f} s ({source}) before attempt {next} of {max}.",
        "zh": "{reason}等待 {wait:.2f} 秒（{source}）后进行第 {next} 次尝试（共 {max} 次）。",
    },
    "retry.source_server": {"en": "the server's Retry-After", "zh": "服务端的 Retry-After"},
    "retry.source_backoff": {
        "en": "backoff, {jitter} jitter", "zh": "指数退避，{jitter} 抖动",
    },
    "retry.attempt_ok": {"en": "attempt {number}: ok", "zh": "第 {number} 次尝试：成功"},
    "retry.attempt_failed": {
        "en": "attempt {number}: {what} → {rule}, {then}",
        "zh": "第 {number} 次尝试：{what} → {rule}，{then}",
    },
    "retry.stop": {"en": "stop", "zh": "停止"},
    "retry.wait": {"en": "wait {wait:.2f} s", "zh": "等待 {wait:.2f} 秒"},
    "explorer.retry": {"en": "RETRY", "zh": "重试"},
    "explorer.dont": {"en": "DON'T RETRY", "zh": "不重试"},
    "explorer.verdict": {
        "en": "{said} — rule {number} {rule}", "zh": "{said} — 规则 {number} {rule}",
    },
    "explorer.out_of_attempts": {
        "en": "DON'T RETRY — rule {number} {rule} says retry, but attempt {attempt} of {max} was "
              "the last: give up",
        "zh": "不重试 — 规则 {number} {rule} 说要重试，但第 {attempt} 次尝试（共 {max} 次）已是"
              "最后一次：放弃",
    },
    "explorer.budget": {
        "en": " · attempt {attempt} of {max}: the budget says STOP",
        "zh": " · 第 {attempt} 次尝试（共 {max} 次）：次数用完，停止",
    },
    "explorer.caption": {
        "en": "{failure} → rule {number} {rule}: {said}{budget}",
        "zh": "{failure} → 规则 {number} {rule}：{said}{budget}",
    },
    "explorer.kind": {"en": "kind {kind}", "zh": "类型 {kind}"},
    "explorer.the_rule": {
        "en": "The rule: {condition}. {reason}", "zh": "规则：{condition}。{reason}",
    },
    "explorer.wait_fixed": {"en": "{wait:g} s", "zh": "{wait:g} 秒"},
    "explorer.wait_band": {
        "en": "between {low:g} and {high:g} s", "zh": "{low:g} 到 {high:g} 秒之间",
    },
    "explorer.wait": {
        "en": "Wait {wait}, then attempt {next}.", "zh": "等待 {wait}，然后进行第 {next} 次尝试。",
    },
    "explorer.report": {
        "en": "Report the failure with its request id; a person or a later job may try again.",
        "zh": "连同请求 ID 一起报告这次失败；之后可由人工或稍后的任务再试。",
    },
}

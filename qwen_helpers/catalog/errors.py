"""Messages of errors the course raises or explains: what an SDK error means and what to do."""

MESSAGES: dict[str, dict[str, str]] = {
    # what to do about each kind of QwenError, shown at the end of str(error)
    "errors.hint.bad_request": {
        "en": "Fix the request's parameters; sending it again gets the same answer.",
        "zh": "请修正请求参数；原样重发只会得到同样的错误。",
    },
    "errors.hint.auth": {
        "en": "Check the key (DASHSCOPE_API_KEY) and that it belongs to this region's base URL.",
        "zh": "请检查 API Key（DASHSCOPE_API_KEY），并确认它属于当前 base URL 所在的地域。",
    },
    "errors.hint.permission": {
        "en": "This key may not use this model or workspace: enable it in the console.",
        "zh": "这个 API Key 无权使用该模型或业务空间：请在百炼控制台开通。",
    },
    "errors.hint.billing": {
        "en": "The account owes money or lacks the product: settle it in the console.",
        "zh": "账号欠费或未开通该服务：请在控制台充值或开通。",
    },
    "errors.hint.quota": {
        "en": "The free quota is used up: turn off 'use free tier only' to pay per use.",
        "zh": "免费额度已用完：关闭“仅使用免费额度”后按量计费。",
    },
    "errors.hint.not_found": {
        "en": "Check the model name against the current list (qwen_helpers.models).",
        "zh": "请对照当前模型列表（qwen_helpers.models）检查模型名称。",
    },
    "errors.hint.conflict": {
        "en": "The service reported a conflict; a retry usually succeeds.",
        "zh": "服务端报告冲突；通常重试一次即可成功。",
    },
    "errors.hint.too_large": {
        "en": "The request body is over 16 MiB: send less (shorter input, smaller images).",
        "zh": "请求体超过 16 MiB：请减少发送的内容（缩短输入、缩小图片）。",
    },
    "errors.hint.rate_limit": {
        "en": "Too many requests or tokens this minute: wait and retry with backoff.",
        "zh": "本分钟的请求数或 Token 数超限（限流）：请等待后按指数退避重试。",
    },
    "errors.hint.content_filter": {
        "en": "Moderation blocked the content: change it; a retry is blocked again.",
        "zh": "内容安全审核拦截了这段内容：请修改内容，原样重试仍会被拦截。",
    },
    "errors.hint.server": {
        "en": "The service failed: retry with backoff.",
        "zh": "服务端出错：请按指数退避重试。",
    },
    "errors.hint.unavailable": {
        "en": "The model is overloaded or unavailable: retry later.",
        "zh": "模型过载或暂不可用：请稍后重试。",
    },
    "errors.hint.timeout": {
        "en": "Nobody answered in time: retry, and stream long answers.",
        "zh": "请求超时：可以重试；较长的回答请用流式调用。",
    },
    "errors.hint.connection": {
        "en": "No answer at all: check the base URL and the network, then retry.",
        "zh": "完全没有收到响应：请检查 base URL 和网络，然后重试。",
    },
    "errors.hint.stream": {
        "en": "The stream broke after it began: keep the partial text; re-send only on purpose.",
        "zh": "流式输出开始后中断：请保留已收到的部分文本；只有确有需要时才重新发送。",
    },
    "errors.hint.unknown": {
        "en": "Not a failure of the service: look at the cause (error.__cause__).",
        "zh": "这不是服务端的失败：请查看原因（error.__cause__）。",
    },
    # the parts of str(QwenError): kind, status and code stay as code in both languages
    "errors.line": {"en": "{kind} ({detail}): {message}", "zh": "{kind}（{detail}）：{message}"},
    "errors.line_bare": {"en": "{kind}: {message}", "zh": "{kind}：{message}"},
    "errors.full_stop": {"en": ".", "zh": "。"},
    "errors.no_message": {"en": "(no message)", "zh": "（无错误信息）"},
    "errors.request_id": {"en": " (request_id {request_id})", "zh": "（请求 ID：{request_id}）"},
    "errors.gave_up": {
        "en": " Gave up after {count} attempt(s).",
        "zh": "共尝试 {count} 次，已放弃。",
    },
    "errors.with_hint": {"en": "{text}{space}{hint}", "zh": "{text}{space}{hint}"},
    "errors.detail_separator": {"en": ", ", "zh": "，"},
    # misuse of the helpers themselves
    "errors.kind_unknown": {
        "en": "kind={kind!r} is not one of {kinds}",
        "zh": "kind={kind!r} 不是以下之一：{kinds}",
    },
    "errors.not_a_failure": {
        "en": "to_qwen_error takes an exception or a dashscope response with a status_code; it "
              "received {type}.",
        "zh": "to_qwen_error 接受一个异常，或一个带 status_code 的 dashscope 响应；收到的却是 "
              "{type}。",
    },
    "errors.succeeded": {
        "en": "this {type} succeeded (status_code 200, no error code): there is no error. Use "
              "raise_for_response() to raise on failure.",
        "zh": "这个 {type} 调用成功（status_code 200，没有错误码），并没有错误。"
              "要在失败时抛出异常，请用 raise_for_response()。",
    },
}

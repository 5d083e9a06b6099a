"""Messages of the tools: streams and their summaries, usage and the ledger, throttling, logs,
the cache, the wiretap, SSE parsing, retry-policy arguments, the secrets scanner."""

MESSAGES: dict[str, dict[str, str]] = {
    # streaming.py: StreamResult.summary() and IncompleteStream
    "stream.complete": {"en": "complete", "zh": "完整"},
    "stream.incomplete": {"en": "INCOMPLETE ({error})", "zh": "不完整（{error}）"},
    "stream.chunks": {"en": "{count} chunks", "zh": "{count} 个数据块"},
    "stream.characters": {"en": "{count} characters", "zh": "{count} 个字符"},
    "stream.tokens": {
        "en": "tokens {input} in / {output} out", "zh": "Token：输入 {input} / 输出 {output}",
    },
    "stream.timings": {
        "en": "TTFT {ttft} · total {total}", "zh": "首 Token 延迟 {ttft} · 总耗时 {total}",
    },
    "stream.seconds": {"en": "{seconds:.3f} s", "zh": "{seconds:.3f} 秒"},
    "stream.no_finish_reason": {
        "en": "the stream ended without a finish_reason: it was closed before the answer was "
              "complete",
        "zh": "流式输出结束时没有收到 finish_reason：回答还没有完成，连接就已关闭",
    },
    "stream.stopped": {
        "en": "the stream stopped after {chunks} chunks and {characters} characters ({error}); "
              "its text so far is in .result.text (strict=False returns it instead of raising); "
              "send the request again only if your program means to.",
        "zh": "流式输出在收到 {chunks} 个数据块、{characters} 个字符后中断（{error}）；"
              "已收到的文本在 .result.text 中（传入 strict=False 则直接返回，不抛异常）；"
              "是否重新发送请求，由你的程序明确决定。",
    },
    # usage.py: prices, the ledger's Markdown, argument checks
    "usage.market_unknown": {
        "en": "market {market} has no price table; use one of {markets}.",
        "zh": "market {market} 没有对应的价格表，请使用以下之一：{markets}。",
    },
    "usage.not_qwen": {
        "en": "estimate_tokens: model {model} is not a Qwen model; dashscope ships a tokenizer "
              "only for qwen* models, so pass a Qwen model name.",
        "zh": "estimate_tokens：{model} 不是千问模型；dashscope 只为 qwen* 模型提供分词器，"
              "请传入千问模型名称。",
    },
    "usage.no_model": {
        "en": "Ledger.record: {type} does not name its model (dashscope responses and exceptions "
              "do not); pass model='qwen-plus'.",
        "zh": "Ledger.record：{type} 没有给出模型名称（dashscope 的响应和异常都不带模型名），"
              "请传入 model='qwen-plus'。",
    },
    "usage.price": {
        "en": "{model}: {currency} {input} in / {output} out per M tokens{tier} ({who}{source}, "
              "{date})",
        "zh": "{model}：每百万 Token 输入 {currency} {input} / 输出 {output}{tier}"
              "（{who}{source}，{date}）",
    },
    "usage.price_unknown": {"en": "unknown", "zh": "未知"},
    "usage.price_tier": {
        "en": ", inputs up to {tokens:,} tokens", "zh": "，适用于不超过 {tokens:,} Token 的输入",
    },
    "usage.third_party": {"en": "third-party: ", "zh": "第三方："},
    "usage.prices_heading": {"en": "Prices per million tokens:", "zh": "价格（每百万 Token）："},
    # concurrency.py
    "concurrency.limit_not_positive": {
        "en": "Throttle: {name}={value}; use a positive number, or None for no limit on it.",
        "zh": "Throttle：{name}={value}；请使用正数，或用 None 表示不限制。",
    },
    "concurrency.never_fits": {
        "en": "Throttle: one call of {tokens} tokens can never fit tpm={tpm}; split the request "
              "or raise tpm.",
        "zh": "Throttle：单次调用需要 {tokens} 个 Token，永远不可能满足 tpm={tpm}；"
              "请拆分请求或调高 tpm。",
    },
    "concurrency.both_limits": {
        "en": "give rpm/tpm or a Throttle, not both; put the limits in the Throttle.",
        "zh": "rpm/tpm 和 Throttle 只能给出其中一种；请把限额写进 Throttle。",
    },
    "concurrency.too_low": {
        "en": "concurrency={value}; use at least 1 (calls in flight at once).",
        "zh": "concurrency={value}；至少为 1（同时进行的调用数）。",
    },
    # logs.py
    "logs.target_and_logger": {
        "en": "RequestLogger: give a target (file or stream) or an application logger, not "
              "both; add json_lines_handler(target) to your logger.",
        "zh": "RequestLogger：target（文件或流）和应用自己的 logger 只能给出其中一个；"
              "如需两者兼用，请把 json_lines_handler(target) 加到你的 logger 上。",
    },
    # cache.py
    "cache.unreadable": {
        "en": "cache file {name} cannot be read ({error}): treated as a miss",
        "zh": "缓存文件 {name} 无法读取（{error}）：按未命中处理",
    },
    # wiretap.py: the notes around the exchange, what the SDK made of it, LookupError
    "wiretap.sdk_outcome": {"en": "SDK: {outcome}", "zh": "SDK 的结果：{outcome}"},
    "wiretap.returned": {"en": "returned {type}", "zh": "返回 {type}"},
    "wiretap.yielded": {"en": ", which yielded {count} items", "zh": "，迭代得到 {count} 项"},
    "wiretap.yielded_then": {
        "en": "yielded {count} items, then ", "zh": "迭代得到 {count} 项后，",
    },
    "wiretap.raised": {"en": "raised {type}: {error}", "zh": "抛出 {type}：{error}"},
    "wiretap.no_response": {"en": "(no response)", "zh": "（没有响应）"},
    "wiretap.no_response_error": {"en": "(no response: {error})", "zh": "（没有响应：{error}）"},
    "wiretap.more_events": {
        "en": "… {count} more events …", "zh": "……（省略 {count} 个事件）……",
    },
    "wiretap.event_count": {"en": "({count} events)", "zh": "（共 {count} 个事件）"},
    "wiretap.broke_off": {
        "en": "(the body broke off: {error})", "zh": "（响应体中途断开：{error}）",
    },
    "wiretap.stopped_reading": {
        "en": "(the client stopped reading here and closed the response)",
        "zh": "（客户端读到这里就停止读取，并关闭了响应）",
    },
    "wiretap.hidden_headers": {
        "en": "(hidden, they change between runs: {names})",
        "zh": "（已隐藏，每次运行都会变化：{names}）",
    },
    "wiretap.encoded_body": {
        "en": "({encoding}-encoded body of {size} bytes)",
        "zh": "（{encoding} 编码的响应体，{size} 字节）",
    },
    "wiretap.streamed_body": {
        "en": "(a streamed request body)", "zh": "（以流的方式发送的请求体）",
    },
    "wiretap.nothing_captured": {
        "en": "nothing was captured: give the SDK tap.client(), tap.async_client() or "
              "tap.session(), or tap.attach() its client",
        "zh": "没有捕获到任何请求：请把 tap.client()、tap.async_client() 或 tap.session() "
              "交给 SDK，或用 tap.attach() 挂到它的客户端上",
    },
    # sse.py
    "sse.not_event_stream": {
        "en": "expected an event stream, got HTTP {status} with content-type {content_type}; "
              "read response.text for the reason. To ask for a stream, send \"stream\": true "
              "(compatible mode) or the header X-DashScope-SSE: enable (native).",
        "zh": "期望收到事件流，实际收到 HTTP {status}，content-type 为 {content_type}；"
              "原因请查看 response.text。要请求流式输出，请发送 \"stream\": true（兼容模式）"
              "或请求头 X-DashScope-SSE: enable（原生接口）。",
    },
    # retry.py and retry_rules.py: argument checks
    "retry.attempt_from_one": {
        "en": "attempt={attempt}: attempts are numbered from 1",
        "zh": "attempt={attempt}：尝试次数从 1 开始编号",
    },
    "policy.invalid": {
        "en": "RetryPolicy: {problems}. Fix the value or use the default (RetryPolicy()).",
        "zh": "RetryPolicy：{problems}。请修正取值，或使用默认值（RetryPolicy()）。",
    },
    "policy.problem": {
        "en": "{name}={value} (allowed: {allowed})", "zh": "{name}={value}（允许：{allowed}）",
    },
    "policy.separator": {"en": "; ", "zh": "；"},
    "policy.one_or_more": {"en": "1 or more", "zh": "大于等于 1"},
    "policy.zero_or_more": {"en": "0 or more", "zh": "大于等于 0"},
    "policy.none_or_positive": {"en": "None or more than 0", "zh": "None 或大于 0"},
    # secrets_scan.py: the command line's report (finding lines keep their machine format)
    "secrets.not_set": {
        "en": "note: {name} is not set in the environment or .env; not looked for",
        "zh": "注意：环境变量和 .env 中都没有设置 {name}，因此不查找它",
    },
    "secrets.scanned": {
        "en": "files scanned: {files}; findings: {findings}",
        "zh": "已扫描 {files} 个文件，发现 {findings} 处疑似密钥",
    },
    "secrets.skipped": {"en": ", {count} skipped", "zh": "，跳过 {count} 个"},
    "secrets.no_detectors": {
        "en": "note: detect-secrets is not installed, so only DashScope keys, Bearer tokens and "
              "the keys you name are looked for (pip install -r requirements.txt adds it)",
        "zh": "注意：未安装 detect-secrets，因此只查找 DashScope 密钥、Bearer 令牌和你指定的密钥"
              "（运行 pip install -r requirements.txt 即可安装）",
    },
    # tool_calling.py: what a tool message tells the model, and the loop's problems
    "tool.problem": {"en": "error: {problem}", "zh": "错误：{problem}"},
    "tool.unknown": {
        "en": "there is no tool named {name!r}; the tools are: {known}",
        "zh": "没有名为 {name!r} 的工具；可用的工具有：{known}",
    },
    "tool.not_json": {
        "en": "the arguments are not valid JSON ({error}, line {line} column {column}); send "
              "them again as one JSON object",
        "zh": "参数不是合法的 JSON（第 {line} 行第 {column} 列：{error}）；"
              "请以一个 JSON 对象重新发送",
    },
    "tool.not_object": {
        "en": "the arguments must be a JSON object, not {got}",
        "zh": "参数必须是 JSON 对象，而不是 {got}",
    },
    "tool.raised": {"en": "the tool failed: {error}", "zh": "工具执行失败：{error}"},
    # structured.py: why a JSON answer was not accepted
    "json.not_valid": {
        "en": "the answer does not fit ({count} problem(s)): {problems}",
        "zh": "回答不符合要求（{count} 处问题）：{problems}",
    },
    "json.separator": {"en": "; ", "zh": "；"},
    "json.empty": {"en": "the answer is empty", "zh": "回答为空"},
    "json.not_json": {
        "en": "not JSON: {error} (line {line}, column {column})",
        "zh": "不是合法的 JSON：{error}（第 {line} 行第 {column} 列）",
    },
    "json.field": {"en": "{where}: {what}", "zh": "{where}：{what}"},
    "json.missing": {"en": "missing", "zh": "缺少这个字段"},
    "json.extra": {"en": "not in the schema", "zh": "模式（schema）中没有这个字段"},
    "json.type": {"en": "should be {expected}, got {got}", "zh": "应为{expected}，实际是 {got}"},
    "json.expected.integer": {"en": "an integer", "zh": "整数"},
    "json.expected.number": {"en": "a number", "zh": "数字"},
    "json.expected.string": {"en": "a string", "zh": "字符串"},
    "json.expected.boolean": {"en": "true or false", "zh": "布尔值（true 或 false）"},
    "json.expected.list": {"en": "a list", "zh": "列表"},
    "json.expected.object": {"en": "an object", "zh": "对象"},
}

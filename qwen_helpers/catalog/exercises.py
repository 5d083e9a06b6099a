"""Messages of the exercise checks (``qwen_helpers.exercises``): the ✓ and ✗ lines."""

MESSAGES: dict[str, dict[str, str]] = {
    # 00 · check_first_call
    "ex.first.not_a_reply": {
        "en": "expected the reply of chat.completions.create, got {got}",
        "zh": "这里需要 chat.completions.create 返回的回复，实际得到的是 {got}",
    },
    "ex.first.model": {
        "en": "the reply came from {model}; pass model=\"qwen-flash\"",
        "zh": "回复来自 {model}；请传入 model=\"qwen-flash\"",
    },
    "ex.first.finish": {
        "en": "finish_reason is {reason}, not 'stop'",
        "zh": "finish_reason 是 {reason}，不是 'stop'",
    },
    "ex.first.empty": {"en": "the answer is empty", "zh": "回答是空的"},
    "ex.first.ok": {
        "en": "qwen-flash answered in {tokens} tokens",
        "zh": "qwen-flash 用 {tokens} 个 Token 作答",
    },
    # 01 · check_configuration
    "ex.config.mode": {
        "en": "mode is {mode}; the exercise asks for live mode",
        "zh": "当前模式是 {mode}；练习要求在线模式（live）",
    },
    "ex.config.region": {
        "en": "region is {region}; a Singapore key needs ap-southeast-1",
        "zh": "地域是 {region}；新加坡的 API Key 需要 ap-southeast-1",
    },
    "ex.config.ok": {"en": "live mode, {region}, {url}", "zh": "在线模式，{region}，{url}"},
    # 02 · check_reading
    "ex.reading.wrong": {
        "en": "{name}: got {got}, expected the value at its place in the JSON",
        "zh": "{name}：得到 {got}，应取 JSON 中对应位置的值",
    },
    "ex.reading.ok": {"en": "all four values read correctly", "zh": "四个值全部读对"},
    # 05 · check_stream_loop
    "ex.stream.plain": {"en": "a plain stream", "zh": "普通流"},
    "ex.stream.usage": {"en": "a stream with include_usage", "zh": "带 include_usage 的流"},
    "ex.stream.hint_index": {
        "en": ": the usage-only last chunk has choices == []",
        "zh": "：最后一个只带用量的数据块 choices == []",
    },
    "ex.stream.hint_type": {
        "en": ": a delta's content can be None",
        "zh": "：delta 的 content 可能是 None",
    },
    "ex.stream.raised": {
        "en": "{label}: your loop raised {error} ({detail}) at chunk {chunk}{hint}",
        "zh": "{label}：你的循环在第 {chunk} 个数据块抛出 {error}（{detail}）{hint}",
    },
    "ex.stream.shape": {
        "en": "{label}: return (text, chunk_count), not {got}",
        "zh": "{label}：请返回 (text, chunk_count)，而不是 {got}",
    },
    "ex.stream.wrong": {
        "en": "{label}: got text of {got_chars} characters and {got_chunks} chunks; expected "
              "{chars} characters and {chunks} chunks (every chunk counts, text only from choices)",
        "zh": "{label}：得到 {got_chars} 个字符、{got_chunks} 个数据块；应为 {chars} 个字符、"
              "{chunks} 个数据块（每个数据块都要计数，文本只从 choices 中取）",
    },
    "ex.stream.passed": {
        "en": "{label}: {chars} characters in {chunks} chunks",
        "zh": "{label}：{chunks} 个数据块，共 {chars} 个字符",
    },
    "ex.stream.ok": {"en": "your loop reads both streams right", "zh": "你的循环两种流都读对了"},
    # 03 · check_retry_loop
    "ex.retry.mock_only": {
        "en": "the check scripts faults in the local mock: run it in mock mode (QWEN_MODE=mock)",
        "zh": "这个检查要在本地模拟服务里编排故障：请在离线模式下运行（QWEN_MODE=mock）",
    },
    "ex.retry.label": {
        "en": "{sequence}: {attempts} attempt(s)",
        "zh": "{sequence}：共 {attempts} 次尝试",
    },
    "ex.retry.count": {"en": "{label}; expected {expected}", "zh": "{label}；应为 {expected} 次"},
    "ex.retry.returned": {
        "en": "{label}, then it returned; it should raise the last error",
        "zh": "{label}，随后返回了结果；应当抛出最后一次的错误",
    },
    "ex.retry.raised": {
        "en": "{label}, then it raised; it should return the answer",
        "zh": "{label}，随后抛出了异常；应当返回回答",
    },
    "ex.retry.waits": {
        "en": "{label} with waits {gaps} s; expected about {waits} s",
        "zh": "{label}，等待 {gaps} 秒；应约为 {waits} 秒",
    },
    "ex.retry.passed": {"en": "{label}, waits {gaps} s", "zh": "{label}，等待 {gaps} 秒"},
    # 04 · check_port
    "ex.port.not_a_response": {
        "en": "expected what Generation.call returns (GenerationResponse), got {got}: port the "
              "call to Generation.call",
        "zh": "这里需要 Generation.call 的返回值（GenerationResponse），"
              "实际得到 {got}：请把调用改写为 Generation.call",
    },
    "ex.port.failed": {
        "en": "the call failed: {status} {code}: {message}",
        "zh": "调用失败：{status} {code}：{message}",
    },
    "ex.port.text_format": {
        "en": "output.choices is None: the answer came back in output.text; pass "
              "result_format=\"message\"",
        "zh": "output.choices 为 None：回答在 output.text 中；请传入 result_format=\"message\"",
    },
    "ex.port.dialect": {
        "en": "the mock logged a {dialect} request for {model}; expected native, {expected}",
        "zh": "模拟服务记录到的是发往 {model} 的 {dialect} 请求；应为 native、{expected}",
    },
    "ex.port.tokens": {
        "en": "{got} input tokens, the openai call had {expected}: send the same messages, "
              "system one included",
        "zh": "输入 {got} 个 Token，openai 调用是 {expected} 个："
              "请发送相同的消息（包括 system 消息）",
    },
    "ex.port.finish": {
        "en": "finish_reason {reason} after {tokens} tokens, the openai call had {expected} after "
              "{expected_tokens}: pass the same max_tokens",
        "zh": "{tokens} 个 Token 后 finish_reason 为 {reason}，openai 调用是 {expected_tokens} 个 "
              "Token 后 {expected}：请传入相同的 max_tokens",
    },
    "ex.port.text": {
        "en": "the text differs from the openai answer: pass the same temperature and "
              "enable_thinking (plain keyword arguments in dashscope)",
        "zh": "文本与 openai 的回答不同：请传入相同的 temperature 和 enable_thinking"
              "（在 dashscope 中直接作为关键字参数）",
    },
    "ex.port.ok": {
        "en": "same request through the native endpoint, same answer",
        "zh": "经原生接口发出相同的请求，得到相同的回答",
    },
    "ex.port.live_note": {
        "en": " (the texts differ, as two answers sampled at temperature 0.7 do in live mode)",
        "zh": "（文本不同：在线模式下，temperature 0.7 采样出的两次回答本来就会不同）",
    },
    # 06 · check_give_up
    "ex.giveup.attempts": {
        "en": "the policy allows {attempts} attempts; give RetryPolicy max_attempts=2",
        "zh": "策略允许 {attempts} 次尝试；请设置 RetryPolicy max_attempts=2",
    },
    "ex.giveup.no_fault": {
        "en": "no attempt failed: the faults are scripted in the mock, so run this in mock mode "
              "(QWEN_MODE=mock)",
        "zh": "没有一次尝试失败：故障是在模拟服务中编排的，请在离线模式下运行（QWEN_MODE=mock）",
    },
    "ex.giveup.succeeded": {
        "en": "the call succeeded at attempt {attempt}; with 2 attempts it should give up after "
              "the second 429 and raise",
        "zh": "调用在第 {attempt} 次尝试时成功了；"
              "只有 2 次尝试时，应在第二个 429 之后放弃并抛出异常",
    },
    "ex.giveup.status": {
        "en": "the error is {kind} {status}; expected the 429 of the second attempt",
        "zh": "错误是 {kind} {status}；应为第二次尝试的 429",
    },
    "ex.giveup.count": {
        "en": "it gave up after {attempts} attempt(s), not 2",
        "zh": "它在 {attempts} 次尝试后放弃，而不是 2 次",
    },
    "ex.giveup.type": {
        "en": "outcome is a {got}: keep the RetryResult that call_with_retry returned, or the "
              "QwenError it raised",
        "zh": "outcome 是 {got}：请保存 call_with_retry 返回的 RetryResult，或它抛出的 QwenError",
    },
    "ex.giveup.ok": {
        "en": "the policy gave up after 2 attempts and the caller got the last 429 as a "
              "QwenError, with both attempts attached",
        "zh": "策略在 2 次尝试后放弃，调用方拿到了最后一个 429（QwenError），两次尝试都附在其中",
    },
    # 07 · check_cache_hit_rate
    "ex.cache.rate": {
        "en": "hit rate {rate:.0%} ({hits} of {lookups})",
        "zh": "命中率 {rate:.0%}（{lookups} 次中命中 {hits} 次）",
    },
    "ex.cache.lookups": {
        "en": "the cache saw {lookups} lookups for {questions} questions; send each question once "
              "through cached_call, with a new ResponseCache each run",
        "zh": "缓存收到 {lookups} 次查询，而问题有 {questions} 个；"
              "每个问题通过 cached_call 只发一次，且每次运行都新建一个 ResponseCache",
    },
    "ex.cache.misses": {
        "en": "{rate}: {misses} calls for {different} different questions. Questions that differ "
              "only in case or spaces still miss: normalise the question before the lookup",
        "zh": "{rate}：{different} 个不同的问题调用了 {misses} 次。"
              "只有大小写或空格不同的问题仍未命中：请在查询缓存前先规范化问题",
    },
    "ex.cache.merged": {
        "en": "{rate}: only {misses} calls for {different} different questions, so different "
              "questions now share an answer; normalise case and spaces only",
        "zh": "{rate}：{different} 个不同的问题只调用了 {misses} 次，不同的问题共用了同一个回答；"
              "只规范化大小写和空格即可",
    },
    "ex.cache.ok": {"en": "{rate}: {saved} calls saved", "zh": "{rate}：省下 {saved} 次调用"},
    # exercises_beyond.py: 08 thinking, 09 tool calls, 10 structured output
    "ex.raised": {"en": "your function raised {error}", "zh": "你的函数抛出了 {error}"},
    "ex.split.shape": {
        "en": "return a pair (reasoning, answer), not a {got}",
        "zh": "请返回一个二元组 (reasoning, answer)，而不是 {got}",
    },
    "ex.split.wrong": {
        "en": "got {got_reasoning} characters of reasoning and {got_answer} of answer; the stream "
              "held {reasoning} and {answer} (read delta.reasoning_content and delta.content "
              "apart, None as \"\", and skip the usage chunk)",
        "zh": "你得到思考过程 {got_reasoning} 个字符、回答 {got_answer} 个字符；流中实际是 "
              "{reasoning} 和 {answer} 个（分别读取 delta.reasoning_content 和 delta.content，"
              "None 当作 \"\"，并跳过 usage 数据块）",
    },
    "ex.split.ok": {
        "en": "reasoning ({reasoning} characters) and answer ({answer}) kept apart over "
              "{chunks} chunks",
        "zh": "在 {chunks} 个数据块中把思考过程（{reasoning} 个字符）和回答（{answer} 个字符）"
              "分开了",
    },
    "ex.join.wrong": {
        "en": "got {got}; the stream held {count} calls {names} (a call's first piece brings its "
              "id and name, the later ones only more arguments: join by index)",
        "zh": "得到 {got}；流中实际有 {count} 个调用 {names}（每个调用的第一个片段带 id 和 name，"
              "后面的片段只有 arguments：按 index 拼接）",
    },
    "ex.join.ok": {
        "en": "{count} calls ({names}) joined from {chunks} chunks",
        "zh": "从 {chunks} 个数据块中拼出了 {count} 个调用（{names}）",
    },
    "ex.order.refused": {
        "en": "{text} is a good order, but your parser refused it",
        "zh": "{text} 是合格的订单，但你的解析函数拒绝了它",
    },
    "ex.order.raised": {
        "en": "{text}: raise ValueError for an answer that does not fit, not {error}",
        "zh": "{text}：回答不合格时请抛出 ValueError，而不是 {error}",
    },
    "ex.order.accepted": {
        "en": "{text} does not fit the order, but your parser returned {got}",
        "zh": "{text} 不符合订单的格式，但你的解析函数返回了 {got}",
    },
    "ex.order.wrong": {
        "en": "{text}: got {got}, expected {expected}",
        "zh": "{text}：得到 {got}，应为 {expected}",
    },
    "ex.order.ok": {
        "en": "all {count} answers read or refused as they should be",
        "zh": "{count} 个回答都被正确地解析或拒绝了",
    },
}

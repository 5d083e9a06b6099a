"""Messages of the widgets: the chat box, the retry explorer, still pictures and live text,
the fault panel and the workshop helpers."""

MESSAGES: dict[str, dict[str, str]] = {
    # qwen_helpers.panels: what a reader without a kernel sees
    "panels.sentence": {
        "en": "A widget: run this cell in JupyterLab to use it.",
        "zh": "交互控件：在 JupyterLab 中运行此单元格即可使用。",
    },
    "panels.live_sentence": {
        "en": "Streamed text: run this cell in JupyterLab to watch it arrive piece by piece.",
        "zh": "流式输出的文本：在 JupyterLab 中运行此单元格，即可看到文本逐段到达。",
    },
    "panels.nothing_yet": {"en": "(nothing yet)", "zh": "（还没有内容）"},
    # qwen_helpers.chat
    "chat.sentence": {
        "en": "Chat box: run this cell in JupyterLab to type your own questions; the transcript "
              "so far is shown here.",
        "zh": "聊天框：在 JupyterLab 中运行此单元格，即可输入自己的问题；这里显示的是目前为止的"
              "对话记录。",
    },
    "chat.you": {"en": "you:", "zh": "你："},
    "chat.qwen": {"en": "qwen:", "zh": "千问："},
    "chat.placeholder": {"en": "Ask Qwen…", "zh": "向千问提问…"},
    "chat.send": {"en": "Send", "zh": "发送"},
    "chat.no_turns": {"en": "(no turns yet)", "zh": "（还没有对话）"},
    "chat.stream_broke": {
        "en": " [cut off: {error}]", "zh": "（回答中途断开：{error}）",
    },
    # qwen_helpers.explorer (its verdicts and captions are in catalog/retry.py)
    "explorer.sentence": {
        "en": "Retry explorer: run this cell in JupyterLab to pick a failure, a code and an "
              "attempt; shown here as first drawn.",
        "zh": "重试决策演示：在 JupyterLab 中运行此单元格，即可选择失败类型、错误码和第几次尝试；"
              "这里显示的是初次绘制时的样子。",
    },
    "explorer.failure_label": {"en": "failure", "zh": "失败类型"},
    "explorer.code_label": {"en": "code", "zh": "错误码"},
    "explorer.attempt_label": {"en": "attempt", "zh": "第几次尝试"},
    "explorer.no_code": {"en": "(none)", "zh": "（无）"},
    "explorer.no_failure": {
        "en": "give a status or a kind ({kinds}); got status=None, kind={kind}",
        "zh": "请给出 status 或 kind（{kinds}）；收到的是 status=None、kind={kind}。",
    },
    "explorer.kind_failure": {"en": "a {kind} failure", "zh": "一次 {kind} 失败"},
    # qwen_helpers.workshop: the fault panel
    "workshop.sentence": {
        "en": "Fault panel: run this cell in JupyterLab to set the room's faults; its state when "
              "first shown is drawn here.",
        "zh": "故障面板：在 JupyterLab 中运行此单元格，即可为全场设置故障；这里显示的是它初次显示"
              "时的状态。",
    },
    "workshop.title": {
        "en": "<b>Fault panel</b> · mock at <code>{url}</code>",
        "zh": "<b>故障面板</b> · 模拟服务：<code>{url}</code>",
    },
    "workshop.preset_normal": {"en": "normal answers", "zh": "正常响应"},
    "workshop.preset_429_rpm": {
        "en": "every call: 429 rate limit (RPM)", "zh": "每次调用：429 限流（RPM）",
    },
    "workshop.preset_429_tpm": {
        "en": "every call: 429 token quota (TPM)", "zh": "每次调用：429 Token 配额（TPM）",
    },
    "workshop.preset_two_in_three": {
        "en": "two calls in three: 429 (retries get through)",
        "zh": "三次调用中两次 429（重试能成功）",
    },
    "workshop.preset_500": {
        "en": "every call: 500 internal error", "zh": "每次调用：500 内部错误",
    },
    "workshop.preset_503": {
        "en": "every call: 503 model unavailable", "zh": "每次调用：503 模型不可用",
    },
    "workshop.preset_stall": {
        "en": "every call: 5 s before the answer", "zh": "每次调用：5 秒后才响应",
    },
    "workshop.preset_cut": {
        "en": "every answer cut off (a stream after 3 chunks)",
        "zh": "每个响应都被截断（流式输出在 3 个数据块后中断）",
    },
    "workshop.fault_label": {"en": "fault", "zh": "故障"},
    "workshop.sequence_label": {"en": "sequence", "zh": "序列"},
    "workshop.sequence_placeholder": {
        "en": "or a sequence, e.g. 429,429,200", "zh": "或输入序列，如 429,429,200",
    },
    "workshop.key_label": {"en": "key", "zh": "限定 Key"},
    "workshop.key_placeholder": {"en": "blank: every key", "zh": "留空：所有 API Key"},
    "workshop.apply": {"en": "Apply", "zh": "应用"},
    "workshop.clear": {"en": "Clear", "zh": "清除"},
    "workshop.refresh": {"en": "Refresh", "zh": "刷新"},
    "workshop.none": {"en": "none", "zh": "无"},
    "workshop.repeating": {"en": "{steps} (repeating)", "zh": "{steps}（循环）"},
    "workshop.faults_all": {"en": "every key: {faults}", "zh": "所有 API Key：{faults}"},
    "workshop.faults_key": {"en": "{key}: {faults}", "zh": "指定 API Key {key}：{faults}"},
    "workshop.faults_separator": {"en": "; ", "zh": "；"},
    "workshop.no_faults": {"en": "none (normal answers)", "zh": "无（正常响应）"},
    "workshop.no_requests": {"en": "no requests yet", "zh": "还没有请求"},
    "workshop.status": {
        "en": "faults: {faults} · answers (last {count}): {counts}",
        "zh": "故障：{faults} · 最近 {count} 个响应：{counts}",
    },
    "workshop.applied_all": {"en": "✓ every key: {faults}", "zh": "✓ 所有 API Key：{faults}"},
    "workshop.applied_key": {
        "en": "✓ key {key}: {faults}", "zh": "✓ 指定 API Key {key}：{faults}",
    },
    "workshop.cleared_all": {
        "en": "✓ cleared for every key: normal answers",
        "zh": "✓ 所有 API Key：已清除故障，恢复正常响应",
    },
    "workshop.cleared_key": {
        "en": "✓ cleared for key {key}: normal answers",
        "zh": "✓ 指定 API Key {key}：已清除故障，恢复正常响应",
    },
    "workshop.no_mock": {
        "en": "no mock answers at {url} ({error}); start it with `python -m qwen_helpers.mock "
              "--host 0.0.0.0 --port 8765`, or check the address",
        "zh": "{url} 上没有模拟服务响应（{error}）；请用 `python -m qwen_helpers.mock "
              "--host 0.0.0.0 --port 8765` 启动它，或检查地址。",
    },
    "workshop.mock_refused": {
        "en": "the mock at {url} answered {status} to {method} {path}: {body}",
        "zh": "{url} 上的模拟服务对 {method} {path} 返回了 {status}：{body}",
    },
}

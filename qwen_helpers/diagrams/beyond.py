"""08, 09 and 10: beyond one plain answer — thinking, tool calling, structured output.

08 follows a thinking model's stream: ``enable_thinking`` only in a stream (else 400), the
``reasoning_content`` pieces first, then the ``content`` pieces, kept apart by the client, and the
reasoning billed as output. 09 is the tool-calling loop of :mod:`qwen_helpers.tool_calling`: run
the calls the model asks for, tell it what was wrong when a call is bad, stop after N rounds.
10 is JSON mode or a JSON schema, then :mod:`qwen_helpers.structured`'s check: decode, validate,
report each problem and ask again once.
"""

from __future__ import annotations

from .graph import Graph

THINKING = "08-thinking"
TOOL_CALLING = "09-tool-calling"
STRUCTURED = "10-structured-output"
EDITING = "qwen_helpers/diagrams/beyond.py"
MAIN = {"group": "main"}
"""Nodes of one group line up in a straight column."""


def thinking() -> Graph:
    """A thinking request: streamed or refused; reasoning pieces, then answer pieces, kept apart."""
    g = Graph(THINKING, "A thinking model's answer", "思考模式", editing=EDITING)
    g.node("ask", "Ask a thinking model", "向思考模型提问", kind="start")
    g.node("on", "Turn thinking on", "开启思考",
           "openai: `extra_body={\"enable_thinking\": True}`",
           "dashscope: `enable_thinking=True`, `result_format=\"message\"`",
           "optional `thinking_budget=N`: caps the reasoning tokens", align="left")
    g.node("streamed", "Streamed?", "流式输出？", "`stream=True`", kind="decision")
    g.node("e400", "400 InvalidParameter", "参数错误", "\"parameter.enable_thinking must be",
           "set to false for non-streaming calls\"", kind="fail", status=400, align="left")
    g.cluster("stream", "The stream", "流式响应")
    g.node("reasoning", "1 · Reasoning first", "思考过程",
           "`delta.reasoning_content`: \"先算…\"", "`delta.content`: `None`", align="left",
           width=3.4, cluster="stream")
    g.node("answer", "2 · Then the answer", "回复内容",
           "`delta.content`: \"答案是…\"", "`delta.reasoning_content`: `None`", align="left",
           width=3.4, cluster="stream")
    g.cluster("client", "Your code keeps them apart", "分开处理")
    g.node("shown_apart", "Reasoning: shown apart", "单独显示", "or logged, never mixed in",
           "time to first reasoning token: soon", align="left", cluster="client")
    g.node("shown", "The answer is shown", "显示回复",
           "time to first answer token:", "after all the reasoning", kind="ok", align="left",
           cluster="client")
    g.node("usage", "Usage", "用量", "reasoning tokens are billed as output tokens:",
           "counted in `usage.completion_tokens`", "(native: `output_tokens`),",
           "at the thinking price", align="left")
    g.ranks += [("streamed", "e400"), ("reasoning", "shown_apart"), ("answer", "shown")]
    g.edge("ask", "on")
    g.edge("on", "streamed")
    g.edge("streamed", "e400", "no", "fail")
    g.edge("streamed", "reasoning", "yes", "ok")
    g.edge("reasoning", "answer", "reasoning done")
    g.edge("reasoning", "shown_apart", "`reasoning_content`")
    g.edge("answer", "shown", "`content`", "ok")
    g.edge("answer", "usage", "last chunk")
    return g


def tool_calling() -> Graph:
    """The loop: call, read ``finish_reason``, run each tool call (or say what was wrong), again."""
    g = Graph(TOOL_CALLING, "The tool-calling loop", "工具调用（Function Calling）",
              editing=EDITING)
    g.node("ask", "Messages and tools", "消息与工具", "`messages`, `tools=[…]` (JSON schema),",
           "`tool_choice=\"auto\"`", kind="start")
    g.node("model", "Call the model", "调用模型", "`client.chat.completions.create(…)`")
    g.node("finish", "finish_reason?", "结束原因？", kind="decision")
    g.node("final", "The final answer", "最终回复", "`message.content`", kind="ok")
    g.node("each", "For each tool call", "遍历工具调用", "`message.tool_calls[i]`:",
           "`id`, `function.name`, `function.arguments`", align="left")
    g.node("stream", "In a stream", "流式", "tool-call pieces come in chunks:",
           "join `delta.tool_calls` by `index`", kind="note", align="left")
    g.node("valid", "Known tool,\nJSON arguments valid?", "工具存在、参数合法？", kind="decision")
    g.node("wrong", "Say what was wrong", "返回错误信息", "a `role: \"tool\"` message:",
           "unknown tool, bad JSON, the function raised", kind="fail", align="left")
    g.node("run", "Run the function", "执行函数", "`TOOLS[name](**json.loads(arguments))`")
    g.node("append", "Append to the messages", "追加消息",
           "the assistant message (with `tool_calls`),",
           "one `role: \"tool\"` message per call", "(`tool_call_id`: the call's `id`)",
           align="left")
    g.node("rounds", "Under N rounds?", "未超过轮数上限？", kind="decision")
    g.node("limit", "Stop after N rounds", "停止并报告", "report: the model kept calling",
           kind="fail")
    g.ranks += [("finish", "final"), ("each", "stream"), ("rounds", "limit")]
    g.edge("ask", "model")
    g.edge("model", "finish")
    g.edge("finish", "final", "\"stop\"", "ok")
    g.edge("finish", "each", "\"tool_calls\"")
    g.edge("each", "stream", kind="note")
    g.edge("each", "valid")
    g.edge("valid", "run", "yes", "ok")
    g.edge("valid", "wrong", "no", "fail")
    g.edge("run", "append", "its result")
    g.edge("run", "wrong", "it raised", "fail", constraint="false")
    g.edge("wrong", "append", "as the result", "fail")
    g.edge("append", "rounds")
    g.edge("rounds", "model", "yes: next round", "retry")
    g.edge("rounds", "limit", "no", "fail")
    return g


def structured_output() -> Graph:
    """JSON mode or a schema, then decode, validate, use — or report and ask again once."""
    g = Graph(STRUCTURED, "Structured output", "结构化输出", editing=EDITING)
    g.node("ask", "Ask for JSON", "请求JSON输出", kind="start")
    g.node("format", "Set response_format", "设置输出格式",
           "`{\"type\": \"json_object\"}`: JSON, any shape",
           "or `{\"type\": \"json_schema\", \"json_schema\": {…}}`",
           "thinking off: JSON mode can refuse it", align="left")
    g.node("says_json", "Prompt says \"json\"?", "提示词包含json？", "(`json_object` only)",
           kind="decision")
    g.node("e400", "400 InvalidParameter", "参数错误", "'messages' must contain",
           "the word 'json'", kind="fail", status=400)
    g.node("model", "The model answers", "模型回复", "a JSON string in `message.content`",
           attrs=MAIN)
    g.node("decode", "Decode", "解析JSON", "`json.loads(content)`", attrs=MAIN)
    g.node("validate", "Validate", "校验", "`Order.model_validate_json(content)`",
           "JSON mode promises JSON, not your shape", attrs=MAIN)
    g.node("valid", "Valid?", "合法？", kind="decision", attrs=MAIN)
    g.node("use", "Use it", "使用结果", "typed fields: `order.quantity`", kind="ok",
           attrs=MAIN)
    g.node("report", "Report what was wrong", "报告错误", "each problem: field, reason",
           "e.g. `quantity`: should be an integer", kind="fail", align="left")
    g.ranks += [("says_json", "e400"), ("valid", "report")]
    g.edge("ask", "format")
    g.edge("format", "says_json")
    g.edge("says_json", "e400", "no", "fail")
    g.edge("says_json", "model", "yes, or json_schema", "ok")
    g.edge("model", "decode")
    g.edge("decode", "validate", "JSON")
    g.edge("decode", "report", "not JSON", "fail")
    g.edge("validate", "valid")
    g.edge("valid", "use", "yes", "ok")
    g.edge("valid", "report", "no", "fail")
    g.edge("report", "model", "ask again once,\nwith the error", "retry")
    return g

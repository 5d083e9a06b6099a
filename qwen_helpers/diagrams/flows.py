"""00, 02 and 04: the end-to-end call, the life of one request, and the choice of SDK.

Sections 1, 3 and 5 of the source document, drawn with what really happens where the document
is out of date: the API host is ``dashscope.aliyuncs.com`` (not the console), the request body is
not compressed, and the compatible response counts ``prompt_tokens`` / ``completion_tokens``.
"""

from __future__ import annotations

from .graph import Graph

END_TO_END = "00-end-to-end"
LIFECYCLE = "02-request-lifecycle"
SDK_CHOICE = "04-sdk-choice"
BASE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"
EDITING = "qwen_helpers/diagrams/flows.py"


def end_to_end() -> Graph:
    """Section 1: key, client, messages, call; success parses, failure retries or reports."""
    g = Graph(END_TO_END, "One call from start to end", "API 调用全流程", editing=EDITING)
    g.node("start", "Start", "开始", kind="start")
    g.node("key", "Get an API key", "获取API Key",
           "set `DASHSCOPE_API_KEY` (environment or `.env`)")
    g.node("client", "Create the client", "初始化客户端", "`client = OpenAI(api_key=…,`",
           f"`    base_url=\"{BASE_URL}\")`", "Singapore: `dashscope-intl.aliyuncs.com`",
           align="left")
    g.node("messages", "Build the messages", "构建消息",
           "`[{\"role\": \"user\", \"content\": \"你好\"}]`")
    g.node("call", "Call the API", "调用 API", "`client.chat.completions.create(`",
           "`    model=\"qwen-plus\", messages=messages)`", align="left")
    g.node("parse", "Parse the response", "解析响应",
           "`response.choices[0].message.content`",
           "count tokens: `usage.prompt_tokens`,", "`usage.completion_tokens`", kind="ok",
           align="left")
    g.node("catch", "Catch the exception", "捕获异常", "`openai.APIStatusError`: 401 · 429 · 5xx …",
           kind="fail")
    g.node("retryable", "Worth retrying?", "重试？", "see 03", kind="decision")
    g.node("report", "Report the error", "错误处理", "fix the key, the request or the account",
           kind="fail")
    g.node("result", "Return the result", "返回结果", kind="ok")
    g.node("end", "End", "结束", kind="start")
    g.edge("start", "key")
    g.edge("key", "client")
    g.edge("client", "messages")
    g.edge("messages", "call")
    g.edge("call", "parse", "success 成功", "ok")
    g.edge("call", "catch", "failure 失败", "fail")
    g.edge("parse", "result", kind="ok")
    g.edge("catch", "retryable", kind="fail")
    g.edge("retryable", "call", "429, 5xx, time-out:\nwait 1 s, 2 s, 4 s…, again\n"
           "(openai already retried twice)", "retry")
    g.edge("retryable", "report", "400–404: no", "fail")
    g.edge("result", "end", kind="ok")
    g.edge("report", "end", kind="fail")
    return g


def lifecycle() -> Graph:
    """Section 3: twelve numbered steps in three lanes (clusters): client, network, server."""
    g = Graph(LIFECYCLE, "The life of one request", "单个请求的完整生命周期", editing=EDITING,
              zh_below=True)
    g.cluster("client", "Client", "客户端")
    g.node("c1", "1 · Create the request", "创建请求", "`messages = [{\"role\": \"user\", …}]`",
           cluster="client")
    g.node("c2", "2 · Add the key", "添加鉴权信息", "`Authorization: Bearer sk-…`",
           cluster="client")
    g.node("c3", "3 · Serialise to JSON", "序列化为JSON", "`{\"model\": \"qwen-plus\", …}`",
           "sent as is: not compressed", cluster="client")
    g.node("c9", "9 · Receive the response", "接收HTTP响应", "status `200`, headers,",
           "`x-request-id`, JSON body", cluster="client")
    g.node("c10", "10 · Parse the JSON", "解析JSON", "`choices[0].message.content`",
           "`usage.prompt_tokens`", "`usage.completion_tokens`",
           "(native API: `input_tokens`, `output_tokens`)", cluster="client")
    g.node("c11", "11 · Return to your code", "返回给应用代码", "a `ChatCompletion` object",
           kind="ok", cluster="client")
    g.node("c12", "12 · End", "结束", kind="start", cluster="client")
    g.cluster("network", "Network", "网络")
    g.node("request", "HTTPS POST", "", "`/compatible-mode/v1`", "`/chat/completions`",
           cluster="network")
    g.node("response", "HTTP 200", "", "`application/json`", "(gzip if asked)", kind="ok",
           cluster="network")
    g.node("error", "HTTP 4xx", "", "401 · 400 · 403 · 429", "(see 01, 03)", kind="fail",
           cluster="network")
    g.cluster("server", "Server", "服务器")
    g.node("s4", "4 · Receive", "收到请求", "`dashscope.aliyuncs.com`", cluster="server")
    g.node("s5", "5 · Check the key", "验证鉴权", "key · account · quota ·", "rate limit (see 01)",
           cluster="server")
    g.node("s6", "6 · Parse the request", "解析请求", "model, messages, parameters",
           cluster="server")
    g.node("s7", "7 · Route to a model", "路由到推理引擎", cluster="server")
    g.node("s8", "8 · Generate", "生成响应", "can take seconds", cluster="server")
    g.ranks += [("c3", "request", "s4"), ("c9", "response", "s8")]
    g.edge("c1", "c2")
    g.edge("c2", "c3")
    g.edge("c3", "request")
    g.edge("request", "s4")
    g.edge("s4", "s5")
    g.edge("s5", "s6", "accepted", "ok")
    g.edge("s6", "s7", "valid", "ok")
    g.edge("s7", "s8")
    g.edge("s8", "response", kind="ok")
    g.edge("response", "c9", kind="ok")
    g.edge("s5", "error", kind="fail")
    g.edge("s6", "error", kind="fail")
    g.edge("error", "c9", kind="fail")
    g.edge("c9", "c10")
    g.edge("c10", "c11")
    g.edge("c11", "c12")
    return g


def sdk_choice() -> Graph:
    """Section 5: the two questions, and what each SDK's call and answer look like."""
    g = Graph(SDK_CHOICE, "OpenAI SDK or DashScope SDK?", "如何选择？", editing=EDITING)
    g.node("other", "Also call other providers' models?", "需要兼容其他大模型API？", "(e.g. GPT)",
           kind="decision")
    g.node("native", "Need a native-only feature?", "需要QWen的特殊功能？", kind="decision")
    g.node("extra", "Check first", "", "many Qwen extras", "(`enable_thinking`, `enable_search`)",
           "work in compatible mode too,", "passed in `extra_body`", kind="note")
    g.node("openai", "OpenAI SDK", "OpenAI 兼容方式", "`client = OpenAI(api_key=…,`",
           "`    base_url=\"https://dashscope.aliyuncs.com\"`",
           "`             \"/compatible-mode/v1\")`", "`r = client.chat.completions.create(`",
           "`    model=\"qwen-plus\", messages=…)`", "`r.choices[0].message.content`",
           "`r.usage.prompt_tokens`, `.completion_tokens`", "errors raise `openai.APIStatusError`",
           align="left")
    g.node("dashscope", "DashScope SDK", "DashScope 原生方式", "`r = Generation.call(`",
           "`    model=\"qwen-plus\", messages=…,`", "`    result_format=\"message\")`",
           "`if r.status_code == 200:`", "`    r.output.choices[0].message.content`",
           "`else: r.code, r.message`", "`r.usage.input_tokens`, `.output_tokens`",
           "HTTP errors never raise: check `status_code`",
           "without `result_format`: no `output.choices`", align="left")
    g.ranks += [("native", "openai"), ("dashscope", "extra")]
    g.edge("other", "openai", "yes")
    g.edge("other", "native", "no")
    g.edge("native", "dashscope", "yes")
    g.edge("dashscope", "extra", kind="note")
    g.edge("native", "openai", "no")
    return g

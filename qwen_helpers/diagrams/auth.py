"""01 · The authentication flow (section 2 of the source document), one branch per teaching key.

The server-side checks run in the order the mock runs them (``qwen_helpers/mock/server.py``):
key present → key known in this region → account in good standing → free tier left → rate
limit. Each teaching key of ``qwen_helpers.mock.keys`` takes its own path, so
``show("01-authentication", highlight="mock-key-arrears")`` lights up exactly one branch;
``highlight=""`` is a request with no key at all.
"""

from __future__ import annotations

from .graph import Graph

NAME = "01-authentication"

AUTH_ROUTES: dict[str, tuple[str, ...]] = {
    "": ("send->has_key", "has_key->e401_missing"),
    "mock-key-unknown": ("send->has_key", "has_key->known", "unknown"),
    "mock-key-intl": ("send->has_key", "has_key->known", "other_region"),
    "mock-key-arrears": ("send->has_key", "has_key->known", "known->standing",
                         "standing->e400"),
    "mock-key-free-tier-exhausted": ("send->has_key", "has_key->known", "known->standing",
                                     "standing->free", "free->e403"),
    "mock-key-rate-limited": ("send->has_key", "has_key->known", "known->standing",
                              "standing->free", "free->rate", "rate->e429"),
    "mock-key-valid": ("send->has_key", "has_key->known", "known->standing", "standing->free",
                       "free->rate", "rate->ok"),
}
"""The edges each key's request follows, from the moment it is sent. ``mock-key-rate-limited``
shows the branch its fourth request in a minute takes (its first three get 200)."""


def build() -> Graph:
    """The four steps of section 2, ending in 200 or in the error each check answers."""
    g = Graph(NAME, "Authentication flow", "鉴权流程", editing="qwen_helpers/diagrams/auth.py")
    g.cluster("get", "1 · Get a key", "获取API Key")
    g.node("console", "Create an API key", "创建 API Key", "in the Model Studio console:",
           "a key that starts with `sk-`", cluster="get")
    g.node("store", "Store it outside the code", "存储到环境变量", "`DASHSCOPE_API_KEY=sk-…`",
           "in the environment or `.env`", cluster="get")
    g.cluster("init", "2 · Create the client", "初始化客户端")
    g.node("client", "The client keeps the key", "", "`client = OpenAI(`",
           "`  api_key=os.environ[\"DASHSCOPE_API_KEY\"],`",
           "`  base_url=\"https://dashscope.aliyuncs.com/compatible-mode/v1\")`",
           "openai reads only OPENAI_API_KEY by itself:", "pass `api_key=` explicitly",
           align="left", cluster="init")
    g.cluster("sdk", "3 · The SDK adds the header", "自动添加鉴权头")
    g.node("send", "Every request carries the key", "",
           "`POST …/compatible-mode/v1/chat/completions`",
           "`Authorization: Bearer sk-…`", "`Content-Type: application/json`",
           "Beijing `dashscope.aliyuncs.com` · Singapore `dashscope-intl.aliyuncs.com`",
           align="left", cluster="sdk")
    g.cluster("server", "4 · Server checks", "服务器端验证")
    g.node("has_key", "Key present?", "解析Authorization头", kind="decision", cluster="server")
    g.node("known", "Key known in this region?", "查询API Key", kind="decision", cluster="server")
    g.node("standing", "Account in good standing?", "账户状态", kind="decision", cluster="server")
    g.node("free", "Free tier left?", "配额检查", kind="decision", cluster="server")
    g.node("rate", "Within the rate limit?", "速率限制", kind="decision", cluster="server")
    g.node("ok", "200 · the model answers", "返回结果", kind="ok", status=200, cluster="server")
    g.node("e401_missing", "401 InvalidApiKey", "", '"No API-key provided."', kind="fail",
           status=401)
    g.node("e401", "401 InvalidApiKey", "认证失败", '"Invalid API-key provided."', kind="fail",
           status=401)
    g.node("e400", "400 Arrearage", "欠费", "in arrears: 400, not 429", kind="fail",
           status=400)
    g.node("e403", "403 AllocationQuota.FreeTierOnly", "",
           "free tier used up, in free-tier-only mode", kind="fail", status=403)
    g.node("e429", "429 Throttling.RateQuota", "限流",
           "or `.AllocationQuota` (tokens): back off, retry", kind="fail", status=429)

    g.ranks += [("has_key", "e401_missing"), ("known", "e401"), ("standing", "e400"),
                ("free", "e403"), ("rate", "e429")]
    g.edge("console", "store")
    g.edge("store", "client")
    g.edge("client", "send", "`create(…)`")
    g.edge("send", "has_key")
    g.edge("has_key", "e401_missing", "no key", "fail")
    g.edge("has_key", "known", "yes", "ok")
    g.edge("known", "e401", "unknown key", "fail", id="unknown")
    g.edge("known", "e401", "wrong region", "fail", id="other_region")
    g.edge("known", "standing", "yes", "ok")
    g.edge("standing", "e400", "in arrears", "fail")
    g.edge("standing", "free", "yes", "ok")
    g.edge("free", "e403", "exhausted", "fail")
    g.edge("free", "rate", "yes", "ok")
    g.edge("rate", "e429", "over the limit", "fail")
    g.edge("rate", "ok", "yes", "ok")
    return g


def route(key: object) -> tuple[str, ...]:
    """The edge ids a request with this teaching key follows ("" for no key)."""
    if key in AUTH_ROUTES:
        return AUTH_ROUTES[key]  # type: ignore[index]
    allowed = ", ".join(repr(k) for k in AUTH_ROUTES)
    raise ValueError(f"{NAME} highlights a teaching key; got {key!r}. Allowed: {allowed} "
                     "(\"\" is a request without a key).")

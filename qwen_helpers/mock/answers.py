"""Where the mock's answers come from: recordings, else a plain stand-in; tokens counted for real.

A recording is a JSON file holding the canonical request (model, messages, the parameters that
change the answer) and the answer (content, optional reasoning and tool calls, finish reason).
It holds no dialect-specific wire format, so one recording answers both dialects, and never a
key or a header. Token counts come from the Qwen tokenizer shipped inside the ``dashscope``
package; the prompt is counted through Qwen's chat template (``<|im_start|>role\\n…<|im_end|>``),
which is how the service bills it — the exact server-side overhead is UNCONFIRMED.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .requests import ChatRequest
from .tool_calls import forced_tool, from_schema, stand_in_call, tool_names, with_ids

PACKAGE_RECORDINGS = Path(__file__).with_name("recordings")
APPLIED_BY_MOCK = ("stop", "max_tokens", "n", "thinking_budget")


@functools.cache
def _encoding():
    import dashscope

    return dashscope.get_tokenizer("qwen-plus")._tokenizer  # a tiktoken Encoding


def tokens(text: str) -> list[int]:
    """Qwen token ids of a text (special-token look-alikes are counted as text)."""
    if len(text) <= _CACHED_TEXT:
        return list(_cached_tokens(text))
    return _encoding().encode(text, disallowed_special=())


_CACHED_TEXT = 2048
"""Texts up to this length keep their token ids: the same prompts and answers come back often."""


@functools.lru_cache(maxsize=4096)
def _cached_tokens(text: str) -> tuple[int, ...]:
    return tuple(_encoding().encode(text, disallowed_special=()))


_SLICE_CHARS = 65_536


def prompt_over(messages: list[dict[str, Any]], limit: int, tools: Any = None) -> bool:
    """True when the prompt surely holds more than ``limit`` tokens, found without counting it all.

    The chat template costs 3 tokens a message (:func:`count_prompt`); the texts it counts (the
    contents, and the tool calls and tools as JSON) are counted slice by slice, stopping once the
    count passes twice the limit: a cut between two slices can split a token, so only a count
    far past the limit proves it. A 15 MB prompt costs a few hundred KB of counting, not all of
    it (the tokenizer's memory and time grow with the text). False: the exact count decides.
    """
    count, proof = 3 + 3 * len(messages), 2 * limit
    if count > proof:
        return True
    for piece in _slices(_prompt_texts(messages, tools)):
        count += len(_encoding().encode(piece, disallowed_special=()))
        if count > proof:
            return True
    return False


def _prompt_texts(messages: list[dict[str, Any]], tools: Any) -> Iterator[str]:
    """The texts :func:`count_prompt` counts; JSON is made piece by piece, never all at once."""
    for message in messages:
        if isinstance(message.get("content"), str):
            yield message["content"]
        if message.get("tool_calls"):
            yield from _JSON_PIECES.iterencode(message["tool_calls"])
    if tools:
        yield from _JSON_PIECES.iterencode(tools)


_JSON_PIECES = json.JSONEncoder(ensure_ascii=False)
"""``iterencode`` of this encoder is Python code that yields: a worker thread using it lets the
event loop run (the one-shot C encoder behind ``json.dumps`` holds the interpreter lock)."""


def _slices(texts: Iterable[str]) -> Iterator[str]:
    """The texts one after another, in slices of about :data:`_SLICE_CHARS` characters."""
    pending: list[str] = []
    size = 0
    for text in texts:
        for start in range(0, len(text), _SLICE_CHARS):
            pending.append(text[start:start + _SLICE_CHARS])
            size += len(pending[-1])
            if size >= _SLICE_CHARS:
                yield "".join(pending)
                pending, size = [], 0
    if pending:
        yield "".join(pending)


def count_prompt(messages: list[dict[str, Any]], tools: Any = None) -> int:
    """Input tokens of a chat: each message in the chat template, plus the reply's opening."""
    total = 3  # <|im_start|>assistant\n
    for message in messages:
        text = message.get("content") or ""
        if message.get("tool_calls"):
            text += json.dumps(message["tool_calls"], ensure_ascii=False)
        total += 1 + len(tokens(f"{message['role']}\n{text}")) + 1 + 1  # im_start … im_end \n
    if tools:
        total += len(tokens(json.dumps(tools, ensure_ascii=False)))
    return total


def pieces(text: str, tokens_per_piece: int = 1) -> list[str]:
    """Split a text into stream pieces along token boundaries, never inside a UTF-8 character."""
    encoding, out, pending, count = _encoding(), [], b"", 0
    for token in tokens(text):
        pending += encoding.decode_single_token_bytes(token)
        count += 1
        if count >= tokens_per_piece:
            try:
                out.append(pending.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            pending, count = b"", 0
    if pending:
        out.append(pending.decode("utf-8", errors="replace"))
    return out


@dataclass
class Answer:
    """What the model says, before it is put in either dialect's wire format."""

    content: str
    finish_reason: str = "stop"
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    recording: str | None = None
    """The recording's file name, or None when the answer is a stand-in."""
    choices: int = 1
    reasoning_tokens: int = 0
    """The part of ``output_tokens`` spent reasoning (billed as output)."""
    extra: dict[str, Any] = field(default_factory=dict)


def request_hash(canonical: dict[str, Any]) -> str:
    """A stable name for a canonical request."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Recordings:
    """Recordings loaded from folders; later folders win."""

    def __init__(self, folders: list[Path]) -> None:
        self._by_hash: dict[str, tuple[str, dict[str, Any]]] = {}
        for folder in folders:
            for path in sorted(Path(folder).glob("*.json")):
                data = json.loads(path.read_text(encoding="utf-8"))
                self._by_hash[request_hash(data["request"])] = (path.name, data)

    def __len__(self) -> int:
        return len(self._by_hash)

    def find(self, canonical: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return self._by_hash.get(request_hash(canonical))

    def closest(self, canonical: dict[str, Any]) -> tuple[str, list[str]] | None:
        """The recording that differs in the fewest fields, and those fields (for a miss)."""
        best = None
        for name, data in self._by_hash.values():
            recorded = data["request"]
            fields = sorted(k for k in set(recorded) | set(canonical)
                            if recorded.get(k) != canonical.get(k))
            if best is None or len(fields) < len(best[1]):
                best = (name, fields)
        return best

    def add(self, canonical: dict[str, Any], response: dict[str, Any], folder: Path,
            source: str) -> Path:
        """Save a new recording (the caller has already removed anything secret)."""
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{canonical['model']}-{request_hash(canonical)}.json"
        data = {"source": source, "request": canonical, "response": response}
        path = folder / name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        self._by_hash[request_hash(canonical)] = (name, data)
        return path


def _question(request: ChatRequest) -> str:
    """The last user message's text (the text parts of a list content), spaces collapsed."""
    last = next((m.get("content") or "" for m in reversed(request.messages)
                 if m["role"] == "user"), "")
    if isinstance(last, list):
        last = " ".join(part.get("text", "") for part in last if isinstance(part, dict))
    return " ".join(str(last).split())


def is_chinese(text: str) -> bool:
    """True when ``text`` holds a Chinese character (then the mock answers in Chinese)."""
    return bool(_HAN.search(text))


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def stand_in(request: ChatRequest) -> str:
    """The deterministic answer for a request no recording matches: plainly a mock answer,
    in the question's language (Chinese for a question with Chinese in it, else English)."""
    question = _question(request)
    snippet = question if len(question) <= 60 else question[:57] + "..."
    if is_chinese(question):
        return (f"这是本地 DashScope 模拟服务（mock）给出的回答：没有录制的回答与这个请求匹配。"
                f"你问的是：\u201c{snippet}\u201d。配置真实的 API Key 后，{request.model} "
                f"会真正回答这个问题。")
    return (f"This is a mock answer from the local DashScope mock: no recording matches this "
            f"request. You asked: \u201c{snippet}\u201d. With a real API key, {request.model} "
            f"answers it for real.")


def stand_in_reasoning(request: ChatRequest) -> str:
    """The stand-in reasoning of a thinking request no recording matches."""
    if is_chinese(_question(request)):
        return "这是模拟服务给出的思考过程：没有录制的回答与这个请求匹配。"
    return "This is mock reasoning: no recording matches this request."


JSON_FORMATS = ("json_object", "json_schema")
"""The ``response_format`` types whose answer is JSON."""


def stand_in_json(request: ChatRequest) -> str:
    """The stand-in of a JSON-mode request no recording matches: still valid JSON, as JSON mode
    promises — built from the ``json_schema`` when there is one, else ``{"answer": …}``."""
    form = request.params.get("response_format") or {}
    text = stand_in(request)
    if form.get("type") == "json_schema":
        value = from_schema((form.get("json_schema") or {}).get("schema") or {}, text)
    else:
        value = {"answer": text}
    return json.dumps(value, ensure_ascii=False)


def _stand_in_for(request: ChatRequest) -> tuple[str, list[dict[str, Any]] | None]:
    """Content and tool calls for a request no recording matches."""
    forced = forced_tool(request.params)
    if forced is not None:
        return "", [stand_in_call(forced, _question(request))]
    if (request.params.get("response_format") or {}).get("type") in JSON_FORMATS:
        return stand_in_json(request), None
    text = stand_in(request)
    names = tool_names(request.params)
    if names and request.params.get("tool_choice") != "none":
        text += (f" 可调用的工具：{', '.join(names)}。" if is_chinese(text)
                 else f" The tools it could call: {', '.join(names)}.")
    return text, None


def answer(request: ChatRequest, recordings: Recordings) -> Answer:
    """The answer to a request, with real token counts and ``max_tokens``/``stop`` applied."""
    canonical = request.canonical()
    # The mock applies stop, max_tokens and n itself, so a recording made without them answers
    # a request with them; an exact recording (say, a real truncated answer) wins.
    found = recordings.find(canonical) or recordings.find(
        {k: v for k, v in canonical.items() if k not in APPLIED_BY_MOCK})
    recorded = found[1]["response"] if found else {}
    content, calls = recorded.get("content"), recorded.get("tool_calls")
    if not found:
        content, calls = _stand_in_for(request)
    elif content is None:
        content = ""
    thinking = bool(request.params.get("enable_thinking"))
    reasoning = recorded.get("reasoning_content") if thinking else None
    if thinking and reasoning is None:
        reasoning = stand_in_reasoning(request)
    finish = recorded.get("finish_reason") or ("tool_calls" if calls else "stop")
    result = Answer(content, finish, reasoning,
                    with_ids(calls, request_hash(canonical)) if calls else None,
                    recording=found[0] if found else None,
                    choices=int(request.params.get("n", 1)))
    thought = tokens(reasoning or "")
    budget = request.params.get("thinking_budget")
    if budget is not None and len(thought) > budget:
        thought = thought[: int(budget)]
        result.reasoning = _encoding().decode(thought, errors="replace")
    for stop in request.params.get("stop", []):
        if isinstance(stop, str) and stop and stop in result.content:
            result.content = result.content[: result.content.index(stop)]
    ids = tokens(result.content)
    limit = request.params.get("max_tokens")
    if limit is not None and len(ids) > limit:
        result.content = _encoding().decode(ids[: int(limit)], errors="replace")
        result.finish_reason = "length"
        ids = ids[: int(limit)]
    result.input_tokens = count_prompt(request.messages, request.params.get("tools"))
    result.reasoning_tokens = len(thought)
    result.output_tokens = len(ids) + result.reasoning_tokens
    if result.tool_calls:
        result.output_tokens += len(tokens(json.dumps(
            [call["function"] for call in result.tool_calls], ensure_ascii=False)))
    return result

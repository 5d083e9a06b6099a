"""Tool calls and JSON answers: ids, the stand-ins a request with no recording gets, and values
built from a JSON schema.

A recording keeps only what the model chose (``{"function": {"name", "arguments"}}``); the mock
adds the ``id``, ``type`` and ``index`` the wire carries (docs/sources.md §4.1, §5.3). An id is
``call_`` and 22 hex digits as in the captures; the mock derives it from the request, so the same
request gets the same ids (the service's are random). With no recording, the mock calls a tool
only when ``tool_choice`` names one; ``"auto"`` gets the plain stand-in text, which says which
tools a real model could have called — the mock does not pretend to choose.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_SCHEMA_DEPTH = 8
"""How deep a stand-in follows nested objects and arrays of a schema."""


def with_ids(calls: list[dict[str, Any]], seed: str) -> list[dict[str, Any]]:
    """The recorded calls as the wire carries them: ``function``, ``id``, ``index``, ``type``."""
    out = []
    for index, call in enumerate(calls):
        function = call.get("function") or {}
        digest = hashlib.sha256(f"{seed}/{index}".encode()).hexdigest()[:22]
        out.append({"function": {"name": function.get("name", ""),
                                 "arguments": function.get("arguments", "")},
                    "id": call.get("id") or f"call_{digest}", "index": index,
                    "type": "function"})
    return out


def forced_tool(params: dict[str, Any]) -> dict[str, Any] | None:
    """The tool ``tool_choice`` names (``{"type": "function", "function": {"name": …}}``), found
    in ``tools``; None for ``"auto"``, ``"none"`` or no tools."""
    choice = params.get("tool_choice")
    if not isinstance(choice, dict):
        return None
    name = (choice.get("function") or {}).get("name")
    for tool in params.get("tools") or []:
        if (tool.get("function") or {}).get("name") == name:
            return tool["function"]
    return None


def stand_in_call(function: dict[str, Any], text: str) -> dict[str, Any]:
    """A call of ``function`` with arguments built from its parameter schema (see
    :func:`from_schema`): plainly a stand-in, for a request that forces a tool."""
    arguments = from_schema(function.get("parameters") or {}, text)
    return {"function": {"name": function["name"],
                         "arguments": json.dumps(arguments, ensure_ascii=False)}}


def from_schema(schema: Any, text: str, depth: int = 0, root: Any = None) -> Any:
    """A value that fits a JSON schema: the first ``enum`` value, else by ``type`` — ``text``
    for a string, 0 for a number, false, an empty list, or an object holding its required
    properties (all of them when none is marked required). A ``$ref`` into the schema's own
    ``$defs`` (how pydantic writes a nested model) is followed."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > MAX_SCHEMA_DEPTH:
        return text
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        target = (root.get("$defs") or {}).get(reference.removeprefix("#/$defs/"))
        return from_schema(target, text, depth + 1, root)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        wanted = schema.get("required") or list(properties)
        return {name: from_schema(properties.get(name), text, depth + 1, root)
                for name in wanted}
    return {"integer": 0, "number": 0, "boolean": False, "array": [],
            "null": None}.get(kind, text)


def tool_names(params: dict[str, Any]) -> list[str]:
    """The names of the tools a request offers."""
    return [(tool.get("function") or {}).get("name", "") for tool in params.get("tools") or []]

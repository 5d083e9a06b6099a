"""Structured output: read a model's JSON answer and say exactly what is wrong with it.

JSON mode (``response_format={"type": "json_object"}``) promises JSON text, not *your* shape: a
field can be missing, misspelt or of the wrong type. :func:`parse_json_answer` decodes the
answer and validates it with a pydantic model (pydantic comes with the ``openai`` SDK), and
raises :class:`AnswerNotValid` listing every problem — where, what — in the learner's language,
ready to show or to send back to the model in a second request.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import pydantic

from .errors import redact
from .messages import say

__all__ = ["AnswerNotValid", "parse_json_answer"]

Model = TypeVar("Model", bound=pydantic.BaseModel)
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


class AnswerNotValid(ValueError):
    """The answer is not JSON, or does not fit the model; ``problems`` says each thing wrong."""

    def __init__(self, problems: list[str], text: str) -> None:
        problems = [redact(problem) for problem in problems]  # they quote the answer's values
        super().__init__(say("json.not_valid", count=len(problems),
                             problems=say("json.separator").join(problems)))
        self.problems = problems
        self.text = text


def parse_json_answer(text: str | None, model: type[Model] | None = None) -> Model | Any:
    """The answer decoded (and, given a pydantic ``model``, validated into it).

    A Markdown code fence around the JSON (```` ```json … ``` ````), which models add when JSON
    mode is off, is removed first.
    """
    if not text or not text.strip():
        raise AnswerNotValid([say("json.empty")], text or "")
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        value = json.loads(body)
    except json.JSONDecodeError as error:
        raise AnswerNotValid([say("json.not_json", error=error.msg, line=error.lineno,
                                  column=error.colno)], text) from None
    if model is None:
        return value
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as error:
        problems = [say("json.field", where=".".join(map(str, e["loc"])) or "(root)",
                        what=_what(e)) for e in error.errors()]
        raise AnswerNotValid(problems, text) from None


_TYPES = {"int": "integer", "float": "number", "string": "string", "bool": "boolean",
          "list": "list", "dict": "object"}
"""pydantic's type names (the start of an error type such as ``int_parsing``) → catalog keys."""


def _what(error: dict[str, Any]) -> str:
    """A pydantic error in the learner's language: the common kinds by name, else pydantic's
    own English message."""
    kind = error["type"]
    if kind == "missing":
        return say("json.missing")
    if kind == "extra_forbidden":
        return say("json.extra")
    expected = _TYPES.get(kind.split("_")[0])
    if expected and kind.endswith(("_type", "_parsing")):
        got = json.dumps(error.get("input"), ensure_ascii=False)[:40]
        return say("json.type", expected=say(f"json.expected.{expected}"), got=got)
    return error["msg"]

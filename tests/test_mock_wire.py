"""The mock's wire framing: the fast ways of writing the bytes write the plain ways' bytes."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from qwen_helpers.mock import answers, wire
from qwen_helpers.mock.requests import parse_compatible, parse_native
from qwen_helpers.models import CURRENT_MODELS

RECORDINGS = answers.Recordings([answers.PACKAGE_RECORDINGS])


def plain_dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def plain_events(request, answer, request_id: str, created: int, per_piece: int) -> list[bytes]:
    """Each chunk built and encoded whole, then ``[DONE]``: the definition of the stream."""
    chunks = wire.compat_chunks(request, answer, request_id, created, per_piece)
    return [f"data: {plain_dumps(chunk)}\n\n".encode() for chunk in chunks] + [b"data: [DONE]\n\n"]


def recorded_requests() -> list[dict]:
    return [data["request"] for _, data in RECORDINGS._by_hash.values()]


def test_every_recording_streams_the_same_bytes_both_ways():
    for body in recorded_requests():
        for usage in (False, True):
            request = parse_compatible({**body, "stream": True,
                                        "stream_options": {"include_usage": usage}})
            answer = answers.answer(request, RECORDINGS)
            assert (wire.compat_events(request, answer, "rid", 1764000001)
                    == plain_events(request, answer, "rid", 1764000001, 1)), body


@settings(max_examples=150, deadline=None)
@given(content=st.text(max_size=80), model=st.sampled_from(sorted(CURRENT_MODELS)),
       usage=st.booleans(), per_piece=st.integers(1, 3), finish=st.sampled_from(
           ["stop", "length"]), reasoning=st.none() | st.text(max_size=20),
       request_id=st.uuids().map(str), created=st.integers(0, 2**40))
def test_any_answer_streams_the_same_bytes_both_ways(content, model, usage, per_piece, finish,
                                                     reasoning, request_id, created):
    request = parse_compatible({"model": model, "messages": [{"role": "user", "content": "hi"}],
                                "stream": True, "stream_options": {"include_usage": usage}})
    answer = replace(answers.Answer(content, finish, reasoning), input_tokens=9,
                     output_tokens=len(answers.tokens(content)))
    assert (wire.compat_events(request, answer, request_id, created)
            == plain_events(request, answer, request_id, created, 1))
    assert (wire.compat_events(request, answer, request_id, created, per_piece)
            == plain_events(request, answer, request_id, created, per_piece))


@settings(max_examples=100, deadline=None)
@given(data=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20))
def test_dumps_writes_what_json_dumps_writes(data):
    assert wire.dumps(data) == plain_dumps(data)


def test_native_bodies_and_events_encode_as_json_dumps_does():
    for body in recorded_requests():
        parameters = {k: v for k, v in body.items() if k not in ("model", "messages")}
        request = parse_native({"model": body["model"], "input": {"messages": body["messages"]},
                                "parameters": {**parameters, "result_format": "message",
                                               "incremental_output": True}}, stream=True)
        answer = answers.answer(request, RECORDINGS)
        for data in (wire.native_json(request, answer, "rid"),
                     *wire.native_events(request, answer, "rid")):
            assert wire.dumps(data) == plain_dumps(data)

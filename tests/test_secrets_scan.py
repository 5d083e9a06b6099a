"""The scanner never shows the key it finds, and it reads the forms a leak takes (issue 13, item 4).

A finding names the file, the line (or the notebook cell), the kind of match and the key masked
the way :func:`qwen_helpers.config.mask_key` masks it (``sk-ab…89``): never the text around it.
Beside the exact key in all its forms, the scanner reads ``\\u`` escapes, percent-encoding,
base64, a key split across JSON strings and compressed logs, and runs detect-secrets' detectors,
so most shapes are caught without being told the key (``--key-from-env``).
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
from fakes import fake_key

from qwen_helpers.secrets_scan import Scanner, main

ENVIRONMENT_VARIABLE = "QWEN_TEST_PLANTED_KEY"


def longest_run(text: str, key: str) -> int:
    """The most consecutive characters of ``key`` that one line of ``text`` holds."""
    best = 0
    for line in text.splitlines():
        while best < len(key) and any(key[i:i + best + 1] in line
                                      for i in range(len(key) - best)):
            best += 1
    return best


def scan_output(folder: Path, key: str | None, capsys, monkeypatch) -> tuple[int, str]:
    """What the command line prints for ``folder``: told the key, or not."""
    monkeypatch.chdir(folder)
    arguments = [str(folder)]
    if key:
        monkeypatch.setenv(ENVIRONMENT_VARIABLE, key)
        arguments += ["--key-from-env", ENVIRONMENT_VARIABLE]
    status = main(arguments)
    out, err = capsys.readouterr()
    return status, out + err


# -- a finding shows the key masked, never its surroundings -----------------------------------

def escaped(key: str) -> str:
    """The key as a JSON writer that escapes ``-`` leaves it: ``sk\\u002d…``."""
    return key.replace("-", "\\u002d")


LEAKS = {
    "\\u-escaped": lambda key: ("answer.json",
                                '{"output": {"text": "the key is ' + escaped(key) + '"}}\n'),
    "split across JSON fields": lambda key: ("cache.json", json.dumps(
        {"auth": {"head": key[:19], "tail": key[19:]}})),
    "suffix after a broken prefix": lambda key: (  # a zero-width space pasted from a web page
        "notes.txt", f"key: {key[:8]}\u200b{key[8:]}\n"),
}


@pytest.mark.parametrize("told", [True, False], ids=["key given", "patterns only"])
@pytest.mark.parametrize("case", LEAKS)
def test_no_output_line_holds_more_than_8_characters_of_the_key(
        scratch, capsys, monkeypatch, case, told):
    key = fake_key()
    name, text = LEAKS[case](key)
    (scratch / name).write_text(text, encoding="utf-8")
    status, out = scan_output(scratch, key if told else None, capsys, monkeypatch)
    shown = longest_run(out, key)
    assert shown <= 8, f"{shown} consecutive characters of the key shown:\n{out}"
    if told:
        assert status == 1 and f"{name}:line 1: secret:" in out, out


def test_a_finding_is_the_file_the_line_the_kind_and_the_masked_key(scratch):
    key = fake_key()
    (scratch / "log.txt").write_text(f"first line\nsending {key} now\n")
    [finding] = Scanner([key]).scan([scratch]).findings
    assert str(finding) == f"{scratch / 'log.txt'}:line 2: secret:exact: {key[:5]}…{key[-2:]}"


# -- twelve artefact kinds, each in a form a real leak takes, with and without the key ---------

def notebook(cells: list[dict], metadata: dict | None = None) -> str:
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1)


def code_cell(source: str | list[str], outputs: list[dict]) -> dict:
    lines = source.splitlines(keepends=True) if isinstance(source, str) else source
    return {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
            "source": lines, "outputs": outputs}


def shapes(key: str) -> dict[str, tuple[str, bytes]]:
    """The key in the twelve kinds of artefact of K2, in the encodings of issue 13."""
    hexes = key[3:]
    basic = base64.b64encode(f"user:{key}".encode()).decode()
    percent = "".join(f"%{b:02X}" for b in key.encode())
    text = {
        "stream output (split across two chunks)": ("a.ipynb", notebook([code_cell(
            "for chunk in stream: print(chunk, end='')", [
                {"output_type": "stream", "name": "stdout",
                 "text": [f"your key is {key[:12]}", f"{key[12:]}\n"]}])])),
        "error traceback (ANSI colours)": ("b.ipynb", notebook([code_cell("call()", [
            {"output_type": "error", "ename": "AuthenticationError", "evalue": "401",
             "traceback": ["\x1b[0;31mTraceback\x1b[0m",
                           f"headers={{'Authorization': 'Bearer \x1b[0;32m{key}\x1b[0m'}}"]}])])),
        "text/html display (last 12 only)": ("c.ipynb", notebook([code_cell("show()", [
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": [f"<td>key</td><td>…{key[-12:]}</td>"]}}])])),
        "execute_result repr": ("d.ipynb", notebook([code_cell("client.config", [
            {"output_type": "execute_result", "execution_count": 1, "metadata": {},
             "data": {"text/plain": [f"Config(api_key='{key}')"]}}])])),
        "cell source (two string literals)": ("e.ipynb", notebook([code_cell(
            f'API_KEY = "sk-" "{hexes}"\n', [])])),
        "notebook metadata": ("f.ipynb", notebook([], {"widgets": {"state": {"k": key}}})),
        "cassette request header (Basic, base64)": ("qwen-plus-0001.json", json.dumps(
            {"request": {"model": "qwen-plus", "headers": {"Authorization": f"Basic {basic}"}},
             "response": {"content": "hi"}}, indent=1)),
        "cassette response body (\\u002d)": ("qwen-plus-0002.json", (
            '{"request": {"model": "qwen-plus"},\n "response": {"content": "your key: '
            + escaped(key) + '"}}\n')),
        "cache file (split across JSON fields)": (".qwen_cache/3f2a.json", json.dumps(
            {"stored_at": 0, "request": {"auth": {"head": key[:19], "tail": key[19:]}},
             "response": {}}, indent=1)),
        ".env copy": (".env copy", f"DASHSCOPE_API_KEY={key}\n"),
        "tracked text file (wrapped line)": ("docs/notes.md", (
            f"# Setup\n\n```\nexport DASHSCOPE_API_KEY={key[:20]}\\\n{key[20:]}\n```\n")),
    }
    files = {kind: (name, content.encode()) for kind, (name, content) in text.items()}
    log = json.dumps({"level": "INFO", "message": f"GET /models?api_key={percent}"}) + "\n"
    files["JSON log line (percent-encoded, gzipped)"] = (
        "logs/requests.jsonl.gz", gzip.compress(log.encode()))
    return files


def plant(folder: Path, key: str) -> dict[str, Path]:
    planted = {}
    for kind, (name, data) in shapes(key).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        planted[kind] = path
    return planted


CAUGHT_WITHOUT_THE_KEY = 10
"""All but the last 12 characters alone and a key wrapped over two lines of a text file."""


def test_twelve_planted_shapes_are_caught_with_the_key_and_most_without(
        scratch, capsys, monkeypatch, gate_run):
    key = fake_key()
    planted = plant(scratch, key)
    counts = {}
    for told in (True, False):
        status, out = scan_output(scratch, key if told else None, capsys, monkeypatch)
        assert longest_run(out, key) <= 8, out
        report = Scanner([key] if told else []).scan([scratch])
        flagged = {Path(f.path) for f in report.findings}
        caught = [kind for kind, path in planted.items() if path in flagged]
        counts[told] = len(caught)
        missed = sorted(set(planted) - set(caught))
        if told:
            assert caught == list(planted), f"blind to: {missed}"
        else:
            assert len(caught) == CAUGHT_WITHOUT_THE_KEY, f"missed without the key: {missed}"
        assert status == 1 and report.files == 12
    gate_run["figures"]["planted shapes caught (issue 13): with the key, by pattern"] = (
        f"{counts[True]}/12, {counts[False]}/12")

"""Find API keys where they must never be: notebooks, logs, recordings, caches, reports.

A finding names the file, the line (or the notebook cell), the kind of match and the key masked
as everywhere in the course (``sk-ab…89``) — never the text around it, so a report is safe to
paste. The kinds:

- ``secret:<form>`` — a known secret (your own key, or the test run's fake "canary" key) in any
  form a leak takes: exact, base64 (standard or URL-safe, at any byte alignment, so it is found
  inside a longer base64 blob such as an ``Authorization: Basic`` value), percent-encoded, or
  only its last 12 characters;
- ``dashscope-key`` — anything of the shape of a DashScope key, ``sk-`` (or ``sk-sp-``) and 32 hex;
- ``bearer`` — an ``Authorization: Bearer`` token of 20 or more token characters (RFC 6750's
  alphabet, so ``Bearer {key}`` in source code is not one), except the mock's public teaching keys;
- ``detect-secrets:<type>`` — what the detectors of the `detect-secrets` library find: other
  services' keys, private keys, JWTs, quoted high-entropy strings, and secret-sounding assignments
  (``api_key = "…"``) of 16 or more characters.

The first three also read the text decoded — ``\\u``/``\\x`` escapes and HTML character
references, percent-encoding, base64 — and a JSON file's strings joined, for a key split across
fields; the kind then says which, as in ``dashscope-key (\\u-escaped)``. Compressed files
(``.gz``, ``.bz2``, ``.xz``) are read decompressed.

The pattern rules skip the files whose job is to hold a key (:data:`KEY_STORES`: ``.env``,
``~/.dashscope/api_key``); a known secret is looked for everywhere.

Before you commit or share a notebook::

    python -m qwen_helpers.secrets_scan                      # the repository's files
    python -m qwen_helpers.secrets_scan notebooks/ --key-from-env DASHSCOPE_API_KEY

``--key-from-env`` reads the key from the environment or ``.env`` and never prints it. The exit
status is 1 when anything is found.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bz2
import gzip
import html
import json
import lzma
import os
import re
import subprocess
import sys
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from urllib.parse import unquote

from .config import find_dotenv_upward, mask_key
from .messages import say

DASHSCOPE_KEY = re.compile(r"sk-(?:sp-)?[0-9a-f]{32}")
BEARER = re.compile(r"Bearer\s+([A-Za-z0-9._~+/-]{20,}=*)")
SUFFIX_LENGTH = 12
MAX_FILE_BYTES = 50 * 1024 * 1024
"""Larger files are skipped (and counted); a compressed file counts at its decompressed size."""
KEY_STORES = frozenset({".env", "api_key"})
"""File names where a key-shaped string is expected: only known secrets are looked for there."""
SKIPPED_FOLDERS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__",
                             ".hypothesis", ".pytest_cache", ".ruff_cache"})
"""Folders a walk of a project skips (an explicitly named folder is always scanned whole)."""
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
"""Files read decompressed, by suffix; a file that does not decompress is read as it is."""
JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".ipynb", ".har"})
"""Files whose strings are also read joined (with any file that starts with ``{`` or ``[``)."""
MIN_KEYWORD_VALUE = 16
"""A ``password = "…"``-style assignment counts from this length: shorter values are names and
placeholders (``"InvalidApiKey"``), not API keys."""

_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")
_DIGIT, _LETTER = re.compile("[0-9]"), re.compile("[A-Za-z]")
_JSON_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"(\s*:)?')
_KNOWN, _SUFFIX, _SHAPE, _DETECTOR = range(4)  # rank of a kind of match: the best one is shown


@dataclass(frozen=True)
class Finding:
    """One secret-shaped string in one place: where, what kind of match, the key masked."""

    path: str
    rule: str
    where: str
    masked: str
    """The key as :func:`~qwen_helpers.config.mask_key` shows it (``sk-ab…89``), never more."""

    def __str__(self) -> str:
        return f"{self.path}:{self.where}: {self.rule}: {self.masked}"


@dataclass
class ScanReport:
    """What a scan looked at and what it found."""

    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files too large to read (over :data:`MAX_FILE_BYTES`) or unreadable."""


def _stable_base64(raw: bytes) -> Iterator[tuple[str, str]]:
    """The base64 characters that depend only on ``raw``'s own bytes, at each byte alignment."""
    for pad in range(3):
        start, stop = -(-8 * pad // 6), 8 * (pad + len(raw)) // 6
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            yield name, encode(b"\0" * pad + raw).decode("ascii")[start:stop]


def secret_forms(secret: str) -> list[tuple[str, str]]:
    """Every form of ``secret`` the scan looks for, as ``(form name, text)`` pairs."""
    raw = secret.encode("utf-8")
    forms = {("exact", secret), ("suffix", secret[-SUFFIX_LENGTH:]), *_stable_base64(raw)}
    for case in ("%{:02X}", "%{:02x}"):
        forms.add(("percent", "".join(case.format(b) for b in raw)))
    return sorted(forms)


_BASE64_HINTS = tuple({text for raw in (b"sk-", b"Bearer ") for _, text in _stable_base64(raw)})
"""What a base64 blob holding a key or a Bearer header contains: only those are decoded."""


class Scanner:
    """The rules, compiled once for a set of known secrets and allowed public tokens."""

    def __init__(self, secrets: Iterable[str] = (), allow: Iterable[str] | None = None, *,
                 patterns: bool = True, detectors: bool = True) -> None:
        self.forms = [(name, text, s) for s in dict.fromkeys(secrets) if s
                      for name, text in secret_forms(s)]
        self.patterns = patterns
        """False: look for the known secrets only, not for key-shaped strings in general."""
        self.detectors = _Detectors.load() if patterns and detectors else None
        """detect-secrets' detectors; None when turned off or not installed."""
        if allow is None:
            from .mock.keys import TEACHING_KEYS  # here: the mock imports config, not this

            allow = (*TEACHING_KEYS, "mock-key-unknown")
        self.allow = frozenset(allow)

    def scan_text(self, text: str, path: str, where: str = "", *,
                  patterns: bool | None = None, name: str | None = None) -> list[Finding]:
        """The findings in one piece of text; ``where`` names the place, else the line.

        ``name`` is the file name the detectors judge the text by (default: ``path``'s).
        """
        patterns = self.patterns if patterns is None else patterns
        hits = self._hits(text, patterns, name or Path(path).name, detect=True)
        return _pick(path, [(line, rank, where or f"line {line}", rule, masked)
                            for line, rank, rule, masked in hits])

    def scan_file(self, path: Path) -> list[Finding]:
        """The findings in one file: a notebook is read string by string, others as bytes."""
        data, name = path.read_bytes(), path.name
        opener = COMPRESSED.get(path.suffix.lower())
        if opener is not None:
            try:
                with opener(path) as stream:
                    inner = stream.read(MAX_FILE_BYTES + 1)
            except (OSError, EOFError, lzma.LZMAError, zlib.error):
                pass  # not really compressed: read as it is
            else:
                if len(inner) > MAX_FILE_BYTES:
                    raise OSError(f"over {MAX_FILE_BYTES} bytes decompressed")
                data, name = inner, path.stem
        text = data.decode("latin-1")  # byte for byte: a key is ASCII whatever the encoding
        patterns = self.patterns and name not in KEY_STORES
        found: list[tuple[int, tuple[int, int], str, str, str]] = []
        notebook = _notebook(data) if name.endswith(".ipynb") else None
        if notebook is not None:
            for order, (where, value) in enumerate(_strings(notebook, "")):
                detect = "image/" not in where and "attachments" not in where
                found += [(order, rank, where, rule, masked)
                          for _, rank, rule, masked in self._hits(value, patterns, name, detect)]
        else:
            found = [(line, rank, f"line {line}", rule, masked)
                     for line, rank, rule, masked in self._hits(text, patterns, name, True)]
        if Path(name).suffix.lower() in JSON_SUFFIXES or text.lstrip()[:1] in ("{", "["):
            seen = {masked for *_, masked in found}
            found += [(line, rank, f"line {line}", rule, masked)
                      for line, rank, rule, masked in self._split(text, patterns)
                      if masked not in seen]
        return _pick(str(path), found)

    def scan(self, paths: Iterable[str | os.PathLike[str]],
             exclude: Iterable[str | os.PathLike[str]] = ()) -> ScanReport:
        """Scan files and folders (folders whole, every file in them); skip ``exclude``."""
        report, skip = ScanReport(), {Path(p).resolve() for p in exclude}
        for path in _files(paths):
            if path.resolve() in skip:
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    report.skipped.append(str(path))
                    continue
                report.findings += self.scan_file(path)
            except OSError:
                report.skipped.append(str(path))
                continue
            report.files += 1
        return report

    # -- the rules ---------------------------------------------------------------------------

    def _hits(self, text: str, patterns: bool, name: str,
              detect: bool) -> list[tuple[int, tuple[int, int], str, str]]:
        """``(line, rank, rule, masked key)`` of every match in ``text`` and its decodings."""
        hits = [(start, (kind, 0), rule, masked)
                for start, _, kind, rule, masked in self._matches(text, patterns)]
        for start, view, decoded in _decodings(text):
            hits += [(start, (kind, 1), f"{rule} ({view})", masked)
                     for _, _, kind, rule, masked in self._matches(decoded, patterns)]
        lines = _line_numbers(text, [start for start, *_ in hits])
        found = [(lines[start], rank, rule, masked) for start, rank, rule, masked in hits]
        if patterns and detect and self.detectors is not None:
            found += [(line, (_DETECTOR, 0), f"detect-secrets:{kind}", self._mask(value))
                      for line, kind, value in self.detectors.scan(text, name)
                      if value not in self.allow]
        return found

    def _matches(self, text: str, patterns: bool) -> Iterator[tuple[int, int, int, str, str]]:
        """``(start, stop, kind, rule, masked key)`` of each known form and key shape."""
        for name, form, secret in self.forms:
            start = text.find(form)
            while start >= 0:
                kind = _SUFFIX if name == "suffix" else _KNOWN
                yield start, start + len(form), kind, f"secret:{name}", mask_key(secret)
                start = text.find(form, start + 1)
        if patterns:
            for match in DASHSCOPE_KEY.finditer(text):
                yield match.start(), match.end(), _SHAPE, "dashscope-key", self._mask(match[0])
            for match in BEARER.finditer(text):
                if match[1] not in self.allow:
                    yield match.start(), match.end(), _SHAPE, "bearer", self._mask(match[1])

    def _mask(self, value: str) -> str:
        """``value`` masked; a known secret it holds, or is part of, masked as that secret."""
        for _, _, secret in self.forms:
            if secret in value or (len(value) >= 8 and value in secret):
                return mask_key(secret)
        return mask_key(value)

    def _split(self, text: str, patterns: bool) -> Iterator[tuple[int, tuple[int, int], str, str]]:
        """Matches in a JSON text's string values joined, that span more than one value."""
        pieces = []  # (where the literal starts in the text, its value)
        for match in _JSON_STRING.finditer(text):
            if match[2]:
                continue  # a key, not a value
            value = match[1]
            if "\\" in value:
                try:
                    value = json.loads(f'"{value}"')
                except ValueError:
                    pass
            pieces.append((match.start(), value))
        if len(pieces) < 2:
            return
        starts = [0, *accumulate(len(value) for _, value in pieces)]
        hits = [(pieces[first][0], (kind, 2), f"{rule} (split across JSON strings)", masked)
                for start, stop, kind, rule, masked
                in self._matches("".join(value for _, value in pieces), patterns)
                if (first := bisect_right(starts, start) - 1) != bisect_right(starts, stop - 1) - 1]
        lines = _line_numbers(text, [start for start, *_ in hits])
        for start, rank, rule, masked in hits:
            yield lines[start], rank, rule, masked


class _Detectors:
    """detect-secrets' detectors and its filters of false alarms, set up once.

    They look at the lines where a secret can be: those holding a token (:data:`_TOKEN`: 16 or
    more letters and digits mixed, as in every API key, token and high-entropy string they
    report), a private key's header or a URL with a password in it. A line of plain code or
    prose costs nothing more, and on the lines they look at they all run, each with its own
    patterns and filters, as detect-secrets runs them.
    """

    LEFT_OUT = frozenset({"IPPublicDetector"})
    """An IP address is not a credential."""

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> _Detectors | None:
        try:
            return cls()
        except ImportError:
            return None

    def __init__(self) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.basic_auth import BasicAuthDetector
        from detect_secrets.plugins.private_key import PrivateKeyDetector
        from detect_secrets.settings import get_filters, get_plugins, transient_settings
        from detect_secrets.util.code_snippet import get_code_snippet
        from detect_secrets.util.inject import call_function_with_arguments

        names = sorted(kind.__name__ for kind in get_mapping_from_secret_type_to_class().values()
                       if kind.__name__ not in self.LEFT_OUT)
        with transient_settings({"plugins_used": [{"name": name} for name in names]}):
            self.plugins, filters = get_plugins(), get_filters()
        self.snippet, self.call = get_code_snippet, call_function_with_arguments
        self.file_filters = [f for f in filters if f.injectable_variables == {"filename"}
                             and not f.path.endswith(".is_invalid_file")]  # text need no file
        self.filters = [f for f in filters if f.injectable_variables != {"filename"}]
        self.skipped: dict[str, bool] = {}
        self.short = [regex for plugin in self.plugins  # secrets that need not be tokens
                      if isinstance(plugin, (BasicAuthDetector, PrivateKeyDetector))
                      for regex in plugin.denylist]

    def skips(self, name: str) -> bool:
        """Whether detect-secrets leaves such a file alone (images, lock files…)."""
        if name not in self.skipped:
            self.skipped[name] = any(self.call(f, filename=name) for f in self.file_filters)
        return self.skipped[name]

    def scan(self, text: str, name: str) -> Iterator[tuple[int, str, str]]:
        """``(line, secret type, value)`` of each secret the detectors find in ``text``."""
        if self.skips(name):
            return
        spans = [m.span() for m in _TOKEN.finditer(text)
                 if _DIGIT.search(m[0]) and _LETTER.search(m[0])]
        spans += [m.span() for regex in self.short for m in regex.finditer(text)]
        if not spans:
            return
        lines = text.split("\n")
        ends = list(accumulate(len(line) + 1 for line in lines))
        numbers = {number + 1 for start, stop in spans for number in
                   range(bisect_right(ends, start), bisect_right(ends, max(start, stop - 1)) + 1)}
        for number in sorted(numbers):
            line = lines[number - 1].rstrip()
            context = self.snippet(lines, number)
            for plugin in self.plugins:
                for secret in plugin.analyze_line(filename=name, line=line, line_number=number,
                                                  context=context):
                    value = secret.secret_value or ""
                    if not _implausible(plugin.secret_type, value) and not any(
                            self.call(f, filename=name, secret=value, plugin=plugin, line=line,
                                      context=context) for f in self.filters):
                        yield number, plugin.secret_type, value


def _implausible(kind: str, value: str) -> bool:
    """A detection that is not an API key: a short or spaced keyword value, a written alphabet."""
    if kind == "Secret Keyword" and (len(value) < MIN_KEYWORD_VALUE or re.search(r"\s", value)):
        return True
    steps = sum(ord(b) - ord(a) == 1 for a, b in zip(value, value[1:], strict=False))
    return steps * 2 >= len(value) - 1  # "abcdefABCDEF0123456789": a charset, not a secret


def _decodings(text: str) -> Iterator[tuple[int, str, str]]:
    """``(start, how, decoded text)`` of the lines (or base64 blobs) a decoding changes."""
    for how, pattern, decode in (("\\u-escaped", _ESCAPE, _unescape),
                                 ("percent-decoded", _PERCENT, unquote)):
        done: set[int] = set()
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            if start not in done:
                done.add(start)
                stop = text.find("\n", match.end())
                yield start, how, decode(text[start:stop if stop >= 0 else len(text)])
    for match in _BASE64.finditer(text):
        blob = match[0]
        if any(hint in blob for hint in _BASE64_HINTS) and (decoded := _from_base64(blob)):
            yield match.start(), "base64-decoded", decoded


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: html.unescape(m[0]) if m[0][0] == "&"
                       else chr(int(m[0][2:], 16)), text)


def _from_base64(blob: str) -> str:
    """``blob`` decoded (standard or URL-safe alphabet), as text; empty if it is not base64."""
    blob = blob.rstrip("=")
    blob = blob[:len(blob) - (len(blob) % 4 == 1)]
    altchars = b"-_" if "-" in blob or "_" in blob else None
    try:
        return base64.b64decode(blob + "=" * (-len(blob) % 4), altchars).decode("latin-1")
    except (binascii.Error, ValueError):
        return ""


def _line_numbers(text: str, starts: list[int]) -> dict[int, int]:
    """The line (from 1) of each offset, counting newlines once from the start."""
    lines, line, done = {}, 1, 0
    for start in sorted(set(starts)):
        line += text.count("\n", done, start)
        lines[start], done = line, start
    return lines


def _pick(path: str, found: list[tuple[int, tuple[int, int], str, str, str]]) -> list[Finding]:
    """One finding per key and place, the best kind of match first, in the order of the text."""
    best: dict[tuple[str, str], tuple] = {}
    for order, rank, where, rule, masked in sorted(found):
        if (where, masked) not in best or rank < best[where, masked][1]:
            best[where, masked] = (order, rank, rule)
    return [Finding(path, rule, where, masked)
            for (where, masked), (order, rank, rule) in sorted(best.items(),
                                                               key=lambda item: item[1][:2])]


def _notebook(data: bytes) -> object | None:
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def project_files(root: str | os.PathLike[str] = ".") -> list[Path]:
    """The files git would commit (tracked, or new and not ignored); a walk without git."""
    root = Path(root)
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached",
                                 "--others", "--exclude-standard"], capture_output=True,
                                check=True, timeout=60).stdout.decode("utf-8").split("\0")
        return [root / name for name in listed if name and (root / name).is_file()]
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return [p for p in _walk(root) if not p.name.startswith(".env") or p.name == ".env.example"]


def _files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for item in map(Path, paths):
        if item.is_dir():
            yield from (p for p in sorted(item.rglob("*")) if p.is_file() and not p.is_symlink())
        elif item.is_file():
            yield item


def _walk(root: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS
                      and not f.endswith(".egg-info")]
        yield from (Path(folder) / name for name in sorted(files))


def _strings(value: object, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a notebook, with where it is; a list of lines is joined first."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        yield where, "".join(value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = f"cell {index}" if where == "cells" else f"{where}[{index}]"
            yield from _strings(item, label)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where} key", str(key)
            yield from _strings(item, f"{where}.{key}" if where else str(key))


def main(argv: list[str] | None = None) -> int:
    """The command line: scan, print findings masked, exit 1 when there is any."""
    parser = argparse.ArgumentParser(prog="python -m qwen_helpers.secrets_scan",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders (default: the project's files)")
    parser.add_argument("--key-from-env", action="append", default=[], metavar="VARIABLE",
                        help="also look for the value of this variable (environment, then .env)")
    args = parser.parse_args(argv)
    from dotenv import dotenv_values

    dotenv = find_dotenv_upward()
    values = {**(dotenv_values(dotenv) if dotenv else {}), **os.environ}
    given = {name: (values.get(name) or "").strip() for name in args.key_from_env}
    secrets = [value for value in given.values() if value]
    for name in (name for name, value in given.items() if not value):
        print(say("secrets.not_set", name=name), file=sys.stderr)
    scanner = Scanner(secrets)
    if scanner.detectors is None:
        print(say("secrets.no_detectors"), file=sys.stderr)
    report = scanner.scan(args.paths or project_files(), exclude=[dotenv or ""])
    for finding in report.findings:
        print(finding)
    print(say("secrets.scanned", files=report.files, findings=len(report.findings))
          + (say("secrets.skipped", count=len(report.skipped)) if report.skipped else ""))
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the DOT sources, render them with Graphviz, and show a diagram in a notebook.

Each committed SVG records the SHA-256 of the source it was rendered from, as the XML comment
``<!-- source-sha256: … -->``: the test that keeps renders fresh compares that hash, never the
SVG bytes, which differ between Graphviz versions.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import auth, flows, retry_tree, scenarios
from .graph import Graph
from .style import SVG_FONT_STACKS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "diagrams" / "src"
RENDER = ROOT / "diagrams" / "render"
INSTALL_HINT = ("Install Graphviz: `sudo apt-get install graphviz fonts-noto-cjk` (Debian, "
                "Ubuntu), `brew install graphviz` (macOS), or run `make lab` in the project "
                "folder, which installs it.")
_HASH = re.compile(r"<!-- source-sha256: ([0-9a-f]{64}) -->")


class GraphvizNotFound(RuntimeError):
    """The ``dot`` program is needed for this and is not installed."""


@dataclass(frozen=True)
class Spec:
    """One diagram: how to build it, its caption, and how a highlight maps to a path."""

    name: str
    caption: str
    build: Callable[[], Graph]
    route: Callable[[object], tuple[tuple[str, ...], str]] | None = None


SPECS: dict[str, Spec] = {s.name: s for s in (
    Spec(flows.END_TO_END, "One call from start to end (超简化的端到端流程图)", flows.end_to_end),
    Spec(auth.NAME, "Authentication: one branch per teaching key (鉴权流程)", auth.build,
         lambda key: (auth.route(key), f"key {key!r}" if key else "a request without a key")),
    Spec(flows.LIFECYCLE, "The life of one request in three lanes (单个请求的完整生命周期)",
         flows.lifecycle),
    Spec(retry_tree.NAME, "Should I retry? The decision tree, generated from "
         "qwen_helpers.retry.RULES (我应该重试吗)", retry_tree.build, retry_tree.route),
    Spec(flows.SDK_CHOICE, "OpenAI SDK or DashScope SDK? (如何选择)", flows.sdk_choice),
    Spec(scenarios.SCENARIOS, "Three scenarios: a question, a stream, a retry (实际场景流程图)",
         scenarios.scenarios),
    Spec(scenarios.CONCEPTS, "The core concepts on one card (核心概念速记卡)", scenarios.concepts),
)}


def names() -> list[str]:
    """Every diagram's name, in notebook order."""
    return list(SPECS)


def spec(name: str) -> Spec:
    """The diagram called ``name``: ``"03-retry-decision-tree"`` or ``"retry-decision-tree"``."""
    for known in SPECS:
        if name in (known, known[3:]):
            return SPECS[known]
    raise KeyError(f"no diagram called {name!r}; known: {', '.join(SPECS)}")


def source(name: str, highlight: object = None) -> str:
    """The DOT text of a diagram, with the path for ``highlight`` emphasised if given."""
    s = spec(name)
    graph = s.build()
    if highlight is None:
        return graph.to_dot()
    if s.route is not None:
        ids, caption = s.route(highlight)
    else:
        ids = (highlight,) if isinstance(highlight, str) else tuple(highlight)  # type: ignore
        caption = ""
    return graph.to_dot(_with_ends(graph, ids), caption)


def _with_ends(graph: Graph, ids: Iterable[str]) -> frozenset[str]:
    """The given node and edge ids plus the nodes at both ends of each edge."""
    ends = {e.id: (e.tail, e.head) for e in graph.edges}
    lit = set(ids)
    for i in list(lit):
        lit.update(ends.get(i, ()))
    return frozenset(lit)


def path(name: str) -> Path:
    """Where the committed SVG render of a diagram lives."""
    return RENDER / f"{spec(name).name}.svg"


def source_path(name: str) -> Path:
    """Where the committed DOT source of a diagram lives."""
    return SRC / f"{spec(name).name}.dot"


def markdown_image(name: str, caption: str = "") -> str:
    """Markdown for a notebook in ``notebooks/``: the render, then a link to its source."""
    s = spec(name)
    return (f"![{caption or s.caption}](../diagrams/render/{s.name}.svg)\n\n"
            f"*Diagram source: [diagrams/src/{s.name}.dot](../diagrams/src/{s.name}.dot)*")


def dot_program() -> str:
    """The path of Graphviz's ``dot``, or GraphvizNotFound saying what to install."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizNotFound(f"Graphviz's `dot` program is not on PATH. {INSTALL_HINT}")
    return found


def render_svg(dot_source: str) -> str:
    """Render DOT text to SVG with ``dot -Tsvg``, fonts named for browsers too."""
    done = subprocess.run([dot_program(), "-Tsvg"], input=dot_source.encode(),
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed (exit {done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()}")
    svg = done.stdout.decode()
    for face, stack in SVG_FONT_STACKS.items():
        svg = svg.replace(f'font-family="{face}"', f'font-family="{stack}"')
    return svg


def sha256(text: str) -> str:
    """The hex SHA-256 of a DOT source, as recorded in its render."""
    return hashlib.sha256(text.encode()).hexdigest()


def recorded_hash(svg: str) -> str | None:
    """The source hash an SVG render carries, or None if it carries none."""
    found = _HASH.search(svg)
    return found.group(1) if found else None


def stamp(svg: str, source_hash: str) -> str:
    """The SVG with ``<!-- source-sha256: … -->`` after its XML declaration."""
    comment = f"<!-- source-sha256: {source_hash} -->\n"
    head, sep, rest = svg.partition("?>\n")
    return head + sep + comment + rest if sep else comment + svg


def render_all() -> list[Path]:
    """Write every source from its Python definition and render every SVG; the files written."""
    SRC.mkdir(parents=True, exist_ok=True)
    RENDER.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SPECS:
        text = source(name)
        source_path(name).write_text(text, encoding="utf-8")
        path(name).write_text(stamp(render_svg(text), sha256(text)), encoding="utf-8")
        written += [source_path(name), path(name)]
    return written


def stale() -> list[str]:
    """Diagrams whose source differs from the generator or whose render from the source."""
    found = []
    for name in SPECS:
        src, svg = source_path(name), path(name)
        on_disk = src.read_text(encoding="utf-8") if src.exists() else None
        rendered = recorded_hash(svg.read_text(encoding="utf-8")) if svg.exists() else None
        if on_disk != source(name) or rendered != sha256(on_disk or ""):
            found.append(name)
    return found


class Diagram:
    """A rendered diagram that Jupyter displays as SVG."""

    def __init__(self, name: str, svg: str, highlight: object = None) -> None:
        self.name, self.svg, self.highlight = name, svg, highlight

    def _repr_svg_(self) -> str:
        start = self.svg.find("<svg")
        return self.svg[start:] if start >= 0 else self.svg

    def __repr__(self) -> str:
        lit = "" if self.highlight is None else f", highlight={self.highlight!r}"
        return f"Diagram({self.name!r}{lit})"


def show(name: str, highlight: object = None) -> Diagram:
    """A diagram for a notebook; with ``highlight`` it is re-rendered with that path emphasised.

    ``highlight`` is a teaching key for ``01-authentication`` (``""`` = no key), a
    ``(status, code)`` pair for ``03-retry-decision-tree``, and node ids for the others.
    """
    s = spec(name)
    if highlight is None:
        if not path(s.name).exists():
            raise FileNotFoundError(f"{path(s.name)} does not exist: run `python -m "
                                    "qwen_helpers.diagrams` in the project folder to render it.")
        return Diagram(s.name, path(s.name).read_text(encoding="utf-8"))
    text = source(s.name, highlight)
    try:
        svg = render_svg(text)
    except GraphvizNotFound as missing:
        raise GraphvizNotFound(f"Highlighting re-renders {s.name} with Graphviz, and {missing} "
                               f"Without it, show({s.name!r}) still displays the committed "
                               "render.") from None
    return Diagram(s.name, svg, highlight)

"""Write the DOT sources, render them with Graphviz, and show a diagram in a notebook.

Only :func:`render_all` (``make diagrams``) needs Graphviz's ``dot``. :func:`show` displays the
committed render and lights a path on it at run time, so a learner never needs Graphviz.

Each committed SVG records the SHA-256 of the source it was rendered from, as the XML comment
``<!-- source-sha256: … -->``: the test that keeps renders fresh compares that hash, never the
SVG bytes, which differ between Graphviz versions.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import auth, beyond, flows, retry_tree, scenarios
from .graph import Graph
from .highlight import edge_id, frame, light, node_id
from .style import SVG_FONT_STACKS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "diagrams" / "src"
RENDER = ROOT / "diagrams" / "render"
INSTALL_HINT = ("Install Graphviz: `make diagrams` installs it on Debian/Ubuntu (apt-get) and "
                "macOS (brew); elsewhere see https://graphviz.org/download/. Only regenerating "
                "the diagrams needs it: the course shows the committed renders.")
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
    Spec(retry_tree.THREE_BRANCHES, "Should I retry? The document's three branches "
         "(我应该重试吗)", retry_tree.three_branches),
    Spec(retry_tree.NAME, "Should I retry? The decision tree, generated from "
         "qwen_helpers.retry.RULES (我应该重试吗)", retry_tree.build, retry_tree.route),
    Spec(flows.SDK_CHOICE, "OpenAI SDK or DashScope SDK? (如何选择)", flows.sdk_choice),
    Spec(scenarios.SCENARIOS, "Three scenarios: a question, a stream, a retry (实际场景流程图)",
         scenarios.scenarios),
    Spec(scenarios.CONCEPTS, "The core concepts on one card (核心概念速记卡)", scenarios.concepts),
    Spec(beyond.THINKING, "A thinking model's answer (思考模式)", beyond.thinking),
    Spec(beyond.TOOL_CALLING, "The tool-calling loop (工具调用)", beyond.tool_calling),
    Spec(beyond.STRUCTURED, "Structured output (结构化输出)", beyond.structured_output),
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


def source(name: str) -> str:
    """The DOT text of a diagram, as its Python definition writes it now."""
    return spec(name).build().to_dot()


def lit_ids(name: str, highlight: object) -> tuple[frozenset[str], str]:
    """The SVG ids a highlight lights (each edge with both its ends) and the caption it earns.

    ``highlight`` is a teaching key for ``01-authentication``, a ``(status, code)`` pair or a
    kind for ``03-retry-decision-tree``, and node or edge ids for the others.
    """
    ids, caption, ends = _route(name, highlight)
    return _svg_ids(ids, ends), caption


def _route(name: str, highlight: object) -> tuple[tuple[str, ...], str, dict[str, tuple]]:
    """The graph ids on the highlighted path, in order; its caption; every edge's two ends."""
    s = spec(name)
    graph = s.build()
    if s.route is not None:
        ids, caption = s.route(highlight)
    else:
        ids = (highlight,) if isinstance(highlight, str) else tuple(highlight)  # type: ignore
        caption = ""
    unknown = sorted(set(ids) - graph.ids())
    if unknown:
        raise ValueError(f"{s.name}: cannot highlight {unknown}: no such node or edge")
    return tuple(ids), caption, {e.id: (e.tail, e.head) for e in graph.edges}


def _svg_ids(ids: Iterable[str], ends: dict[str, tuple]) -> frozenset[str]:
    """The SVG ids of graph ids: each edge with the nodes at both its ends."""
    edges = {i for i in ids if i in ends}
    nodes = {i for i in ids if i not in ends} | {n for i in edges for n in ends[i]}
    return frozenset({node_id(n) for n in nodes} | {edge_id(e) for e in edges})


def path(name: str) -> Path:
    """Where the committed SVG render of a diagram lives."""
    return RENDER / f"{spec(name).name}.svg"


def source_path(name: str) -> Path:
    """Where the committed DOT source of a diagram lives."""
    return SRC / f"{spec(name).name}.dot"


def markdown_image(name: str, caption: str = "") -> str:
    """Markdown for a notebook in ``notebooks/<lang>/``: the render, then its source's link."""
    s = spec(name)
    return (f"![{caption or s.caption}](../../diagrams/render/{s.name}.svg)\n\n"
            f"*Diagram source: [diagrams/src/{s.name}.dot](../../diagrams/src/{s.name}.dot)*")


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
    """A diagram for a notebook: an image wherever the notebook is read, a sentence as text.

    Jupyter shows it as HTML — an ``<img>`` holding the SVG — which JupyterLab displays even in
    a notebook it does not trust (a fresh clone), as GitHub and a static site do.
    """

    def __init__(self, name: str, svg: str, caption: str = "") -> None:
        self.name, self.svg, self.caption = name, svg, caption

    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI, for an ``<img>``."""
        start = self.svg.find("<svg")
        body = self.svg[start:] if start >= 0 else self.svg
        return "data:image/svg+xml;base64," + base64.b64encode(body.encode()).decode()

    def _repr_html_(self) -> str:
        alt = html.escape(self.caption or spec(self.name).caption, quote=True)
        caption = (f'<div style="color:#7B2CBF;font-weight:bold">▶ {html.escape(self.caption)}'
                   "</div>" if self.caption else "")
        return (f'{caption}<img src="{self.data_uri()}" alt="{alt}" '
                'style="max-width:100%;height:auto">')

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": str(self)}

    def __str__(self) -> str:
        lit = f", highlighted: {self.caption}" if self.caption else ""
        return (f"[diagram {self.name} — {spec(self.name).caption}{lit}. It is a picture: open "
                "the notebook in JupyterLab or on the course site to see it.]")

    def __repr__(self) -> str:
        return f"Diagram({self.name!r}, caption={self.caption!r})"


def show(name: str, highlight: object = None, *, caption: str | None = None,
         zoom: bool = False) -> Diagram:
    """A committed diagram for a notebook, with the path for ``highlight`` lit if given.

    ``highlight`` is a teaching key for ``01-authentication`` (``""`` = no key), a
    ``(status, code)`` pair or a kind for ``03-retry-decision-tree``, and node or edge ids for
    the others. ``caption`` replaces the caption the highlight earns; ``zoom`` crops the picture
    to the lit path's last steps (for a tall tree). No Graphviz needed.
    """
    s = spec(name)
    if not path(s.name).exists():
        raise FileNotFoundError(f"{path(s.name)} does not exist: run `make diagrams` in the "
                                "project folder to render it.")
    svg = path(s.name).read_text(encoding="utf-8")
    if highlight is None:
        return Diagram(s.name, svg, caption or "")
    ids, earned, ends = _route(s.name, highlight)
    svg = light(svg, _svg_ids(ids, ends))
    if zoom:  # the path's last two steps: for the retry tree, the deciding rule and its leaf
        svg = frame(svg, _svg_ids(ids[-2:], ends))
    return Diagram(s.name, svg, earned if caption is None else caption)


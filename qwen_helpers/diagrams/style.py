"""One look for every course diagram: the palette, the fonts, the node and edge kinds, the labels.

Every diagram is a :class:`~qwen_helpers.diagrams.graph.Graph` written out with these
attributes, so all seven look alike. Success and failure differ in more than colour: a failure
node or edge is dashed and its label starts with ✗, a success node starts with ✓, a retry is
dotted and starts with ↻. A highlighted path (drawn at run time on the committed render, by
:mod:`.highlight`) is thick and purple while the rest of the picture fades.

In a label, text between backticks is set in the monospaced font: ``"read `usage.prompt_tokens`"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

FONT = "Noto Sans CJK SC"
"""Latin and Chinese in one face (Debian/Ubuntu package ``fonts-noto-cjk``)."""
MONO = "Noto Sans Mono CJK SC"
SVG_FONT_STACKS = {
    FONT: "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC',"
          "'Microsoft YaHei',sans-serif",
    MONO: "'Noto Sans Mono CJK SC','Noto Sans Mono',Menlo,Consolas,monospace",
}
"""What an SVG asks a browser for, so a reader without the Noto fonts still gets a sans face."""

INK, MUTED, LINE = "#1F2933", "#52606D", "#616E7C"
HIGHLIGHT = "#7B2CBF"
CLUSTER_FILL, CLUSTER_LINE = "#F8FAFC", "#BCCCDC"


@dataclass(frozen=True)
class Look:
    """How one kind of node is drawn."""

    shape: str
    fill: str
    line: str
    style: str = "rounded,filled"
    mark: str = ""
    margin: str = ""


NODE_KINDS: dict[str, Look] = {
    "start": Look("oval", "#E4E7EB", "#3E4C59", "filled"),
    "step": Look("box", "#EEF2F7", "#52606D"),
    "decision": Look("hexagon", "#E1EFFA", "#0072B2", "filled", margin="0.02,0.03"),
    "ok": Look("box", "#E3F4EC", "#007A55", mark="✓ "),
    "fail": Look("box", "#FCE8E1", "#C2410C", "rounded,filled,dashed", mark="✗ "),
    "retry": Look("box", "#FFF3D6", "#B7791F", mark="↻ "),
    "wait": Look("box", "#FFF9EB", "#B7791F", "rounded,filled,dotted"),
    "note": Look("note", "#FFFBEA", "#A8955A", "filled"),
    "tick": Look("plaintext", "white", "white", "solid"),
}
"""ok/fail/retry nodes end a branch; a note sits beside the flow (corrections, details)."""

EDGE_KINDS: dict[str, dict[str, str]] = {
    "flow": {"color": LINE, "style": "solid"},
    "ok": {"color": "#007A55", "style": "solid", "penwidth": "1.8"},
    "fail": {"color": "#C2410C", "style": "dashed", "penwidth": "1.5"},
    "retry": {"color": "#B7791F", "style": "dotted", "penwidth": "2"},
    "note": {"color": "#A8955A", "style": "dotted", "arrowhead": "none"},
    "axis": {"color": MUTED, "style": "solid", "arrowhead": "vee"},
}
EDGE_MARKS = {"ok": "✓ ", "fail": "✗ ", "retry": "↻ "}
NODE_DEFAULTS = {"fontname": FONT, "fontsize": "12", "fontcolor": INK, "margin": "0.14,0.06"}
EDGE_DEFAULTS = {"fontname": FONT, "fontsize": "10", "fontcolor": INK, "arrowsize": "0.8"}


def quote(value: str) -> str:
    """A DOT string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attr_list(attrs: dict[str, str]) -> str:
    """A DOT attribute list; values in angle brackets are HTML-like labels, left unquoted."""
    parts = [f"{k}={v}" if v.startswith("<") and v.endswith(">") else f"{k}={quote(v)}"
             for k, v in attrs.items()]
    return "[" + ", ".join(parts) + "]"


def rich(text: str, color: str = INK, size: float | None = None, bold: bool = False) -> str:
    """HTML-like label text: backtick spans in the monospaced font, line breaks kept."""
    pieces = []
    for i, part in enumerate(text.split("`")):
        body = escape(part, quote=False).replace("\n", "<BR/>")
        pieces.append(f'<FONT FACE="{MONO}">{body}</FONT>' if i % 2 and body else body)
    out = "".join(pieces)
    return font(f"<B>{out}</B>" if bold else out, color, size)


def font(body: str, color: str = INK, size: float | None = None) -> str:
    """``body`` in a FONT tag that names only what differs from the defaults, or bare."""
    attrs = (f' POINT-SIZE="{size:g}"' if size else "") + (
        f' COLOR="{color}"' if color != INK else "")
    return f"<FONT{attrs}>{body}</FONT>" if attrs else body

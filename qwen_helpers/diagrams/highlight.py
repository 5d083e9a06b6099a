"""Highlight a path on a committed SVG render, and frame part of it — no Graphviz needed.

Every node and edge of a render carries its id (``n/<node id>``, ``e/<edge id>``, written into
the DOT source by :meth:`~qwen_helpers.diagrams.graph.Graph.to_dot`). :func:`light` draws
the lit ones thick and purple and fades the rest; :func:`frame` sets the picture's view box
around some of them and drops what lies outside, so a 2,000-point-tall tree shows just the
branch that matters.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from .style import HIGHLIGHT

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
_SHAPES = {f"{{{SVG_NS}}}{tag}" for tag in ("polygon", "ellipse", "path", "polyline")}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TRANSLATE = re.compile(r"translate\(\s*(-?[\d.]+)[ ,]+(-?[\d.]+)\s*\)")
FADED = "0.3"


def node_id(name: str) -> str:
    """The SVG id of a node."""
    return f"n/{name}"


def edge_id(name: str) -> str:
    """The SVG id of an edge."""
    return f"e/{name}"


def parse(svg: str) -> ET.Element:
    """The ``<svg>`` element of a render (the XML declaration and comments dropped)."""
    start = svg.find("<svg")
    return ET.fromstring(svg[start:] if start >= 0 else svg)


def to_text(root: ET.Element) -> str:
    """The SVG as text again."""
    return ET.tostring(root, encoding="unicode")


def _groups(root: ET.Element) -> Iterable[ET.Element]:
    for group in root.iter(f"{{{SVG_NS}}}g"):
        if group.get("class") in ("node", "edge"):
            yield group


def ids_in(svg: str) -> set[str]:
    """The node and edge ids a render carries."""
    return {g.get("id", "") for g in _groups(parse(svg))}


def light(svg: str, lit: Iterable[str]) -> str:
    """The render with the nodes and edges in ``lit`` (SVG ids) emphasised, the rest faded."""
    lit = set(lit)
    root = parse(svg)
    found = set()
    for group in _groups(root):
        if group.get("id") not in lit:
            group.set("opacity", FADED)
            continue
        found.add(group.get("id"))
        edge = group.get("class") == "edge"
        for shape in group.iter():
            if shape.tag in _SHAPES and shape.get("stroke") not in (None, "none", "transparent"):
                shape.set("stroke", HIGHLIGHT)
                shape.set("stroke-width", "3")
                if edge and shape.get("fill") not in (None, "none"):  # the arrowhead
                    shape.set("fill", HIGHLIGHT)
            elif edge and shape.tag == f"{{{SVG_NS}}}text":
                shape.set("fill", HIGHLIGHT)
                shape.set("font-weight", "bold")
    missing = sorted(lit - found)
    if missing:
        raise ValueError(f"the render has no node or edge {missing}: re-render the diagrams "
                         "(`make diagrams`)")
    return to_text(root)


def _box(group: ET.Element, dx: float, dy: float) -> tuple[float, float, float, float] | None:
    """The bounding box of everything drawn in ``group``, in view-box coordinates."""
    xs: list[float] = []
    ys: list[float] = []
    for shape in group.iter():
        tag = shape.tag.rsplit("}", 1)[-1]
        if tag in ("polygon", "polyline"):
            numbers = [float(n) for n in _NUMBER.findall(shape.get("points", ""))]
        elif tag == "path":
            numbers = [float(n) for n in _NUMBER.findall(shape.get("d", ""))]
        elif tag == "ellipse":
            cx, cy = float(shape.get("cx", 0)), float(shape.get("cy", 0))
            rx, ry = float(shape.get("rx", 0)), float(shape.get("ry", 0))
            numbers = [cx - rx, cy - ry, cx + rx, cy + ry]
        elif tag == "text":
            size = float(shape.get("font-size", "12"))
            x, y = float(shape.get("x", 0)), float(shape.get("y", 0))
            numbers = [x, y - size, x + size * len(shape.text or "") * 0.6, y]
        else:
            continue
        xs += numbers[0::2]
        ys += numbers[1::2]
    if not xs:
        return None
    return min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy


def frame(svg: str, ids: Iterable[str], margin: float = 12.0) -> str:
    """The render cropped to the nodes and edges ``ids`` (with ``margin`` points around them).

    Groups that lie wholly outside the frame are removed, so the picture stays small.
    """
    wanted = set(ids)
    root = parse(svg)
    graph = next(g for g in root.iter(f"{{{SVG_NS}}}g") if g.get("class") == "graph")
    shift = _TRANSLATE.search(graph.get("transform", ""))
    dx, dy = (float(shift.group(1)), float(shift.group(2))) if shift else (0.0, 0.0)
    boxes = {g.get("id"): _box(g, dx, dy) for g in _groups(root)}
    chosen = [box for key, box in boxes.items() if key in wanted and box]
    if not chosen:
        raise ValueError(f"nothing to frame: none of {sorted(wanted)} is drawn in this render")
    left = min(b[0] for b in chosen) - margin
    top = min(b[1] for b in chosen) - margin
    right = max(b[2] for b in chosen) + margin
    bottom = max(b[3] for b in chosen) + margin
    for parent in list(root.iter()):
        for child in list(parent):
            box = boxes.get(child.get("id")) if child.get("class") in ("node", "edge") else None
            outside = box and (box[2] < left or box[0] > right or box[3] < top or box[1] > bottom)
            if outside or child.tag == f"{{{SVG_NS}}}text" and parent is graph:
                parent.remove(child)  # a group out of view, or the diagram's title
    width, height = right - left, bottom - top
    root.set("viewBox", f"{left:.2f} {top:.2f} {width:.2f} {height:.2f}")
    root.set("width", f"{width:.0f}pt")
    root.set("height", f"{height:.0f}pt")
    return to_text(root)

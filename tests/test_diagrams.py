"""The diagrams: sources current, renders fresh, notebook images present, highlights right."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import httpx
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qwen_helpers import retry
from qwen_helpers.diagrams import (
    AUTH_ROUTES,
    Diagram,
    GraphvizNotFound,
    markdown_image,
    names,
    path,
    recorded_hash,
    render,
    sha256,
    show,
    source,
    source_path,
    stale,
)
from qwen_helpers.diagrams import __main__ as cli
from qwen_helpers.diagrams import highlight as svg_tools
from qwen_helpers.diagrams.retry_tree import route as retry_route
from qwen_helpers.diagrams.style import FONT, MONO, NODE_KINDS
from qwen_helpers.errors import COMPATIBLE_TO_NATIVE, to_qwen_error
from qwen_helpers.mock.keys import TEACHING_KEYS

ROOT = Path(__file__).resolve().parents[1]
REFRESH = "run `python -m qwen_helpers.diagrams`"
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed: "
                               "`make diagrams` installs it (apt-get or brew)")
RETRY, AUTH = "03-retry-decision-tree", "01-authentication"
THREE_BRANCHES = "03-retry-three-branches"
HELLO = [{"role": "user", "content": "你好"}]
SAMPLE_FAILURES = [(429, "Throttling.RateQuota"), (429, "limit_requests"),
                   (429, "insufficient_quota"), (429, None), (400, "Arrearage"),
                   (400, "InvalidParameter"), (400, "DataInspectionFailed"), (401, "InvalidApiKey"),
                   (403, "AllocationQuota.FreeTierOnly"), (403, "AccessDenied"),
                   (404, "ModelNotFound"), (408, None), (409, None), (413, None),
                   (500, "InternalError"), (500, "RequestTimeOut"), (502, None),
                   (503, "ModelUnavailable"), (504, None), (599, None)]


# --- sources and renders are in sync --------------------------------------------------------

@pytest.mark.parametrize("name", names())
def test_generated_source_equals_what_the_generator_writes_now(name):
    file = source_path(name)
    assert file.exists(), f"diagrams/src/{name}.dot is missing: {REFRESH}"
    assert file.read_text(encoding="utf-8") == source(name), (
        f"diagrams/src/{name}.dot differs from its Python definition: {REFRESH}")


@pytest.mark.parametrize("name", names())
def test_committed_svg_was_rendered_from_the_current_source(name):
    svg = path(name)
    assert svg.exists(), f"diagrams/render/{name}.svg is missing: {REFRESH}"
    recorded = recorded_hash(svg.read_text(encoding="utf-8"))
    current = sha256(source_path(name).read_text(encoding="utf-8"))
    assert recorded == current, f"diagrams/render/{name}.svg is stale: {REFRESH}"


@pytest.mark.parametrize("name", names())
def test_every_committed_svg_is_well_formed_xml_with_chinese_fonts(name):
    root = ElementTree.parse(path(name)).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "PingFang SC" in path(name).read_text(encoding="utf-8")


@needs_dot
@pytest.mark.parametrize("name", names())
def test_every_source_renders_without_warnings(name):
    done = subprocess.run([DOT, "-Tsvg", str(source_path(name))], capture_output=True)
    problems = done.stderr.decode(errors="replace").strip()
    assert done.returncode == 0, f"dot failed on diagrams/src/{name}.dot: {problems}"
    assert b"<svg" in done.stdout
    assert not problems, f"dot warned about diagrams/src/{name}.dot: {problems}"


def test_the_check_command_finds_nothing_stale(capsys):
    assert stale() == []
    assert cli.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


@needs_dot
def test_render_all_writes_sources_and_stamped_svgs(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SRC", tmp_path / "src")
    monkeypatch.setattr(render, "RENDER", tmp_path / "render")
    written = render.render_all()
    assert len(written) == 2 * len(names())
    for name in names():
        svg = (tmp_path / "render" / f"{name}.svg").read_text(encoding="utf-8")
        dot = (tmp_path / "src" / f"{name}.dot").read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and f"<!-- source-sha256: {sha256(dot)} -->" in svg
        assert f'font-family="{FONT}"' not in svg, "the SVG names a browser font stack"


# --- what notebooks use ------------------------------------------------------------------

def test_every_image_a_notebook_references_exists():
    pattern = re.compile(r"diagrams/(?:render|src)/[\w.-]+\.(?:svg|dot)")
    references = []
    editions = [ROOT / "notebooks" / lang for lang in ("en", "zh")]
    for notebook in sorted(p for folder in editions for p in folder.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                references += [(notebook.name, found) for found in pattern.findall(text)]
    missing = [f"{nb} → {ref}" for nb, ref in references if not (ROOT / ref).exists()]
    assert not missing, f"notebooks reference diagrams that do not exist: {missing}; {REFRESH}"


def test_markdown_image_links_the_render_and_its_source():
    text = markdown_image("retry-decision-tree", "Should I retry?")
    assert text.startswith("![Should I retry?](../../diagrams/render/03-retry-decision-tree.svg)")
    assert "(../../diagrams/src/03-retry-decision-tree.dot)" in text
    for ref in re.findall(r"\.\./\.\./(diagrams/\S+?)\)", text):
        assert (ROOT / ref).exists()


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="known: 00-end-to-end, 01-authentication"):
        show("05-nothing")


def _lit(svg: str) -> set[str]:
    """The ids of the nodes and edges a highlighted SVG draws at full strength."""
    root = ElementTree.fromstring(svg)
    return {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")
            if g.get("class") in ("node", "edge") and g.get("opacity") is None}


def _shown_svg(diagram: Diagram) -> str:
    """The SVG inside a diagram's HTML output, decoded from its data URI."""
    found = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', diagram._repr_html_())
    return base64.b64decode(found.group(1)).decode()


def test_show_displays_the_committed_render_as_an_image_with_a_sentence_as_text():
    shown = show("00-end-to-end")
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/html"].startswith("<img") and "Diagram(" not in bundle["text/plain"]
    assert "[diagram 00-end-to-end" in bundle["text/plain"]
    svg = _shown_svg(shown)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    committed = path("00-end-to-end").read_text(encoding="utf-8")
    assert svg == committed[committed.find("<svg"):]


@pytest.mark.parametrize("name", names())
def test_every_render_carries_the_ids_of_its_nodes_and_edges(name):
    graph = render.spec(name).build()
    expected = ({f"n/{n}" for n in graph.nodes} | {f"e/{e.id}" for e in graph.edges})
    assert svg_tools.ids_in(path(name).read_text(encoding="utf-8")) == expected, REFRESH


def test_other_diagrams_highlight_node_and_edge_ids():
    shown = show("02-request-lifecycle", highlight=["s5", "s5->error"])
    assert _lit(shown.svg) == {"n/s5", "e/s5->error", "n/error"}  # and the edge's other end
    with pytest.raises(ValueError, match="no such node or edge"):
        show("02-request-lifecycle", highlight="step-99")


# --- one look for all of them ------------------------------------------------------------

@pytest.mark.parametrize("name", names())
def test_one_font_set_and_chinese_terms_in_every_diagram(name):
    text = source_path(name).read_text(encoding="utf-8")
    faces = set(re.findall(r'(?:fontname|FACE)="([^"]+)"', text))
    assert faces <= {FONT, MONO}, f"{name} uses other fonts: {faces - {FONT, MONO}}"
    assert re.search(r"[\u4e00-\u9fff]", text), f"{name} has no Chinese term"
    assert re.search(r"[\u4e00-\u9fff]", path(name).read_text(encoding="utf-8"))


def test_failure_and_success_differ_in_more_than_colour():
    assert "dashed" in NODE_KINDS["fail"].style and NODE_KINDS["fail"].mark == "✗ "
    assert "dashed" not in NODE_KINDS["ok"].style and NODE_KINDS["ok"].mark == "✓ "
    dot = source(AUTH)
    for line in dot.splitlines():
        if "✗" in line and "->" in line:
            assert 'style="dashed"' in line, line


def test_the_document_s_mistakes_are_drawn_corrected():
    everything = "\n".join(source(name) for name in names())
    assert "dashscope.aliyuncs.com/compatible-mode/v1" in everything
    assert "chunk.choices[0]" in everything and "prompt_tokens" in everything
    assert 'result_format="message"' in everything
    assert "qwen-flash" in source("06-scenarios") and "not compressed" in everything
    assert "400 Arrearage" in source(AUTH) and "403 AllocationQuota.FreeTierOnly" in source(AUTH)


# --- the authentication flow, one branch per teaching key ---------------------------------

def _terminal(name: str, ids: tuple[str, ...]):
    """The node a highlighted path ends in."""
    graph = render.spec(name).build()
    last = next(e for e in graph.edges if e.id == ids[-1])
    return graph.nodes[last.head]


def test_every_teaching_key_has_its_own_path():
    assert set(AUTH_ROUTES) == set(TEACHING_KEYS) | {"mock-key-unknown", ""}
    assert len({route for route in AUTH_ROUTES.values()}) == len(AUTH_ROUTES)


@pytest.mark.parametrize("key", list(AUTH_ROUTES))
def test_each_key_s_path_ends_where_the_mock_answers(mock, key):
    expected = _terminal(AUTH, AUTH_ROUTES[key]).status
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    statuses = []
    for _ in range(5 if key == "mock-key-rate-limited" else 1):  # its budget: 3 a minute
        if key:
            client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
            try:
                client.chat.completions.create(model="qwen-plus", messages=HELLO)
                statuses.append(200)
            except openai.APIStatusError as failure:
                statuses.append(failure.status_code)
        else:  # openai refuses to send without a key; the wire answer is what the path shows
            response = httpx.post(mock.compatible_base_url + "/chat/completions", headers=headers,
                                  json={"model": "qwen-plus", "messages": HELLO})
            statuses.append(response.status_code)
    assert statuses[-1] == expected, f"{key!r}: the mock answered {statuses}"


@pytest.mark.parametrize("key", list(AUTH_ROUTES))
def test_highlighting_a_key_marks_exactly_its_path(key):
    lit = _lit(show(AUTH, highlight=key).svg)
    ends = {f"n/{n}" for e in AUTH_ROUTES[key] for n in _ends(AUTH, e)}
    assert {x for x in lit if x.startswith("n/")} == ends
    assert {x for x in lit if x.startswith("e/")} == {f"e/{e}" for e in AUTH_ROUTES[key]}


def _ends(name: str, edge_id: str) -> tuple[str, str]:
    edge = next(e for e in render.spec(name).build().edges if e.id == edge_id)
    return edge.tail, edge.head


@pytest.mark.parametrize("key", list(AUTH_ROUTES))
def test_show_lights_the_key_s_branch_on_the_committed_render(key):
    shown = show(AUTH, highlight=key)
    assert shown.caption and html.escape(shown.caption) in shown._repr_html_()
    assert "source-sha256" not in _shown_svg(shown) and _lit(_shown_svg(shown))


@pytest.mark.parametrize("failure", [(429, "Throttling.RateQuota"), (400, "Arrearage"),
                                     (504, None), "timeout"], ids=str)
def test_zooming_frames_the_deciding_rule_and_drops_what_is_out_of_view(failure):
    whole, zoomed = show(RETRY, highlight=failure), show(RETRY, highlight=failure, zoom=True)
    rule = retry_route(failure)[0][-1].removeprefix("yes:")
    assert {f"n/rule_{rule}", f"n/leaf_{rule}", f"e/yes:{rule}"} <= _lit(zoomed.svg)
    height = float(ElementTree.fromstring(zoomed.svg).get("height").removesuffix("pt"))
    assert height < 300, f"the zoomed picture is {height} pt tall"
    assert len(zoomed.svg) < len(whole.svg) / 3


def test_an_unknown_key_is_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match="'mock-key-arrears'"):
        show(AUTH, highlight="sk-not-a-teaching-key")


# --- the document's three branches, and the retry tree generated from RULES ----------------

def test_the_document_s_three_branches_agree_with_the_rule_table_where_they_speak():
    graph = render.spec(THREE_BRANCHES).build()
    branches = {e.label: graph.nodes[e.head] for e in graph.edges if e.tail == "status"}
    assert set(branches) == {"400–403", "429", "500–503"}
    for label, statuses in {"400–403": range(400, 404), "429": (429,),
                            "500–503": range(500, 504)}.items():
        drawn = branches[label].kind == "retry"
        for status in statuses:
            rule = retry.matching_rule(to_qwen_error({"status_code": status, "code": None}))
            assert rule.retry == drawn, f"a bare {status}: drawn {label}, RULES says {rule.name}"


def _rows_in_the_diagram() -> list[tuple[str, bool, str, str]]:
    """(rule name, retry, condition, reason) for every yes-edge of the committed .dot."""
    dot = source_path(RETRY).read_text(encoding="utf-8")
    labels = dict(re.findall(r'^\s*"(\w+)" \[id="[^"]*", label=<(.*)>, shape=', dot, re.M))

    def lines(label: str) -> str:
        text = re.search(r'<FONT POINT-SIZE="10"[^>]*>(.*)</FONT>', label).group(1)
        text = re.sub(r"<BR[^>]*>", " ", re.sub(r"</?FONT[^>]*>", "", text))
        return html.unescape(text.strip())

    rows = []
    for rule, leaf in re.findall(r'^\s*"rule_(\w+)" -> "leaf_(\w+)"', dot, re.M):
        assert rule == leaf
        verdict = labels[f"leaf_{leaf}"]
        rows.append((rule, "DON'T RETRY" not in verdict, lines(labels[f"rule_{rule}"]),
                     lines(verdict)))
    return rows


def test_the_retry_diagram_s_edges_equal_the_rule_table():
    expected = [(r.name, r.retry, r.condition, r.reason) for r in retry.RULES]
    assert _rows_in_the_diagram() == expected, f"diagrams/src/{RETRY}.dot is stale: {REFRESH}"


def test_the_retry_chain_follows_the_table_order():
    dot = source_path(RETRY).read_text(encoding="utf-8")
    chain = re.findall(r'^\s*"(?:failed|rule_\w+)" -> "rule_(\w+)"', dot, re.M)
    assert chain == [r.name for r in retry.RULES]


@pytest.mark.parametrize("failure", SAMPLE_FAILURES, ids=str)
def test_highlighting_a_status_and_code_lights_the_rule_that_decides(failure):
    ids, caption = retry_route(failure)
    rule = retry.matching_rule(to_qwen_error({"status_code": failure[0], "code": failure[1]}))
    assert ids[-1] == f"yes:{rule.name}" and rule.name in caption
    assert ("RETRY" if rule.retry else "DON'T RETRY") in caption
    lit = _lit(show(RETRY, highlight=failure).svg)
    assert {x for x in lit if x.startswith("n/leaf_")} == {f"n/leaf_{rule.name}"}


@settings(max_examples=200, deadline=None)
@given(st.integers(400, 599), st.sampled_from([None, *COMPATIBLE_TO_NATIVE,
                                               *COMPATIBLE_TO_NATIVE.values(), "Arrearage",
                                               "AllocationQuota.FreeTierOnly", "RequestTimeOut"]))
def test_every_status_and_code_walks_the_chain_to_its_rule(status, code):
    ids, _ = retry_route((status, code))
    rule = retry.matching_rule(to_qwen_error({"status_code": status, "code": code}))
    order = [r.name for r in retry.RULES]
    assert ids == ("start", *(f"no:{n}" for n in order[:order.index(rule.name)]),
                   f"yes:{rule.name}")


@pytest.mark.parametrize("kind", ["timeout", "connection", "stream"])
def test_failures_without_a_status_highlight_by_kind(kind):
    ids, caption = retry_route(kind)
    assert f"kind {kind}" in caption and ids[-1].startswith("yes:")


def test_a_caught_sdk_exception_highlights_its_branch(mock, key):
    mock.set_scenario("429")
    client = openai.OpenAI(api_key=key, base_url=mock.compatible_base_url, max_retries=0)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="qwen-plus", messages=HELLO)
    ids, caption = retry_route(caught.value)
    assert ids[-1] == f"yes:{retry.matching_rule(to_qwen_error(caught.value)).name}"
    assert caption.startswith("429")


def test_a_bad_highlight_for_the_retry_tree_says_what_is_allowed():
    with pytest.raises(ValueError, match=r"\(status, code\)"):
        show(RETRY, highlight=("429", "Throttling"))
    with pytest.raises(ValueError, match="kind"):
        show(RETRY, highlight=3.5)


# --- without Graphviz ----------------------------------------------------------------------

def test_without_dot_show_and_highlight_work_and_only_rendering_needs_it(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert "<img" in show(RETRY)._repr_html_()
    assert _lit(show(RETRY, highlight=(429, "Throttling.RateQuota"), zoom=True).svg)
    assert _lit(show(AUTH, highlight="mock-key-arrears").svg)
    with pytest.raises(GraphvizNotFound) as missing:
        render.render_all()
    assert "make diagrams" in str(missing.value)

"""The source document's flows as Graphviz diagrams, drawn from Python and kept in sync.

``diagrams/src/NN-name.dot`` is written from the definitions in this package and rendered to
``diagrams/render/NN-name.svg``; ``python -m qwen_helpers.diagrams`` redoes both. In a notebook::

    from qwen_helpers.diagrams import show
    show("03-retry-decision-tree", highlight=(429, "Throttling.RateQuota"))
    show("01-authentication", highlight="mock-key-arrears")

=========================  ============================================  ======================
diagram                    what it shows (section of the document)       highlight
=========================  ============================================  ======================
00-end-to-end              one call from start to end (1)                node ids
01-authentication          the server's checks, one branch per key (2)   a teaching key, ""
02-request-lifecycle       twelve steps in three lanes (3)               node ids
03-retry-three-branches    the document's own three-branch tree (4)      node ids
03-retry-decision-tree     ``qwen_helpers.retry.RULES`` as a tree (4)    (status, code), kind
04-sdk-choice              OpenAI SDK or DashScope SDK (5)               node ids
06-scenarios               a question, a stream, a retry timeline (6)    node ids
07-core-concepts           the concept card (7)                          node ids
08-thinking                a thinking model's stream, kept apart         node ids
09-tool-calling            the tool-calling loop                         node ids
10-structured-output       JSON mode or a schema, validated              node ids
=========================  ============================================  ======================
"""

from .auth import AUTH_ROUTES
from .render import (
    Diagram,
    GraphvizNotFound,
    markdown_image,
    names,
    path,
    recorded_hash,
    render_all,
    render_svg,
    sha256,
    show,
    source,
    source_path,
    stale,
)

__all__ = ["AUTH_ROUTES", "Diagram", "GraphvizNotFound", "markdown_image", "names", "path",
           "recorded_hash", "render_all", "render_svg", "sha256", "show", "source",
           "source_path", "stale"]

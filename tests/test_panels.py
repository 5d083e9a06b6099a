"""Widgets that read well without a kernel: a sentence as text, a still picture as HTML."""

from __future__ import annotations

import ipywidgets as widgets

from qwen_helpers.panels import LiveText, Panel, control, widget_bundle

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_a_bundle_keeps_the_widget_and_replaces_the_repr_with_a_sentence_and_a_still():
    box = widgets.VBox([widgets.HTML("x")])
    bundle = widget_bundle(box, "A box: run it.", "<b>still</b>")
    assert WIDGET in bundle and bundle["text/plain"] == "A box: run it."
    assert "<b>still</b>" in bundle["text/html"] and "A box: run it." in bundle["text/html"]
    assert "VBox(" in repr(box)  # what a reader would have seen without the sentence


def test_a_panel_draws_its_still_when_shown():
    state = {"n": 1}
    panel = Panel(widgets.HTML(), "Counter.", lambda: control("n", state["n"]))
    state["n"] = 2
    assert "<code" in panel._repr_mimebundle_()["text/html"]
    assert ">2</code>" in panel._repr_mimebundle_()["text/html"]


def test_live_text_grows_escaped_and_refresh_without_a_display_is_harmless():
    text = LiveText()
    assert "(nothing yet)" in text._repr_mimebundle_()["text/html"]
    for piece in ("<b>", "Hello", " world"):
        text.append(piece)
    assert text.widget.value == "&lt;b&gt;Hello world" and text.text == "<b>Hello world"
    text.done()  # not shown with show(): nothing to redraw, and no error
    assert "&lt;b&gt;Hello world" in text._repr_mimebundle_()["text/html"]

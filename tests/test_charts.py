"""Charts label in Chinese: a font with Chinese characters follows DejaVu Sans glyph by glyph."""

from __future__ import annotations

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from qwen_helpers import charts, messages  # noqa: E402


@pytest.fixture(autouse=True)
def _restored():
    saved = matplotlib.rcParams["font.family"]
    yield
    matplotlib.rcParams["font.family"] = saved
    messages.set_language("en")


def _missing_glyph_warnings(label: str) -> list[str]:
    fig, ax = plt.subplots()
    ax.set_title(label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


HAS_CHINESE_FONT = any(f.name in charts.CHINESE_FONTS for f in font_manager.fontManager.ttflist)


@pytest.mark.skipif(not HAS_CHINESE_FONT,
                    reason="no font with Chinese characters here (CI installs fonts-noto-cjk)")
def test_a_chinese_label_draws_every_glyph_after_use_chart_fonts():
    assert _missing_glyph_warnings("首 Token 延迟与总耗时 (seconds)")  # the default font lacks them
    found = charts.use_chart_fonts()
    assert found in charts.CHINESE_FONTS
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", found]
    assert _missing_glyph_warnings("首 Token 延迟与总耗时 (seconds)") == []


def test_without_a_chinese_font_a_chinese_kernel_is_told_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist
                         if f.name not in charts.CHINESE_FONTS])
    before = matplotlib.rcParams["font.family"]
    messages.set_language("en")
    assert charts.use_chart_fonts() is None
    assert capsys.readouterr().out == ""  # English labels need nothing
    messages.set_language("zh")
    assert charts.use_chart_fonts() is None
    said = capsys.readouterr().out
    assert "fonts-noto-cjk" in said and "中文" in said
    assert matplotlib.rcParams["font.family"] == before

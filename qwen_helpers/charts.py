"""Charts that can be labelled in Chinese.

matplotlib's default font, DejaVu Sans, has no Chinese characters: a Chinese label comes out as
empty boxes. Since matplotlib 3.6 a font *family list* falls back glyph by glyph, so keeping
DejaVu Sans first and adding one installed font with Chinese characters draws both scripts.
"""

from __future__ import annotations

from .messages import language, say

CHINESE_FONTS = (
    "Noto Sans CJK SC",      # Linux: apt install fonts-noto-cjk (CI installs it)
    "Source Han Sans SC",    # the same font under Adobe's name
    "PingFang SC",           # macOS
    "Microsoft YaHei",       # Windows
    "WenQuanYi Zen Hei",     # older Linux desktops
    "SimHei",
)


def use_chart_fonts() -> str | None:
    """Let matplotlib draw Chinese labels; return the Chinese font found, or None.

    With none installed, a Chinese-speaking kernel prints one line saying what to install
    (English labels draw as before either way).
    """
    import matplotlib
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    chinese = next((name for name in CHINESE_FONTS if name in installed), None)
    if chinese is None:
        if language() == "zh":
            print(say("charts.no_chinese_font", fonts=", ".join(CHINESE_FONTS[:4])))
        return None
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", chinese]
    return chinese

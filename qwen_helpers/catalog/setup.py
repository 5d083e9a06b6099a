"""Messages of setting up: languages, settings, connecting, live-mode checks."""

MESSAGES: dict[str, dict[str, str]] = {
    "lang.unknown": {
        "en": "{source}={raw} is not a language of this course; use one of {allowed}.",
        "zh": "{source}={raw} 不是本课程支持的语言，请使用以下之一：{allowed}。",
    },
    "charts.no_chinese_font": {
        "en": "No font with Chinese characters is installed, so Chinese chart labels show as "
              "boxes; install one of {fonts} (Debian/Ubuntu: apt install fonts-noto-cjk) and "
              "restart the kernel.",
        "zh": "本机没有安装含中文字形的字体，图中的中文会显示成方框；请安装以下字体之一：{fonts}"
              "（Debian/Ubuntu：apt install fonts-noto-cjk），然后重启内核。",
    },
}

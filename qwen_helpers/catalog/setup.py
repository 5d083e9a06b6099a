"""Messages of setting up: languages, settings, connecting, live-mode checks."""

MESSAGES: dict[str, dict[str, str]] = {
    "lang.unknown": {
        "en": "{source}={raw} is not a language of this course; use one of {allowed}.",
        "zh": "{source}={raw} 不是本课程支持的语言，请使用以下之一：{allowed}。",
    },
}

"""Messages of the widgets: the chat box, the retry explorer, still pictures and live text, the fault panel and the workshop helpers."""

MESSAGES: dict[str, dict[str, str]] = {
}

"""Messages of errors the course raises or explains: what an SDK error means and what to do."""

MESSAGES: dict[str, dict[str, str]] = {
}

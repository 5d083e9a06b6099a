"""Messages of errors the course raises or explains: settings (ConfigError), connecting, live-mode checks, clients, the short notebook errors, what an SDK error means (errors.py)."""

MESSAGES: dict[str, dict[str, str]] = {
}

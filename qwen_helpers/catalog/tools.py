"""Messages of the tools: streams and their summaries, usage and the ledger, throttling, logs, the cache, the wiretap, SSE parsing, retry-policy arguments, the secrets scanner."""

MESSAGES: dict[str, dict[str, str]] = {
}

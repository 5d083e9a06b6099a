"""Helpers for calling Qwen models through DashScope, and a local mock of the service."""

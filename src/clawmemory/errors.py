"""The errors every adapter maps: HTTP status, CLI exit code 2, MCP error."""

from __future__ import annotations


class ClawMemoryError(Exception):
    """Base error. ``code`` is stable for scripts; ``field`` names the bad input when known."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ClawMemoryError):
    """The caller sent something we cannot accept (missing, malformed or out of range)."""

    code = "invalid_input"
    status = 422


class NotFound(ClawMemoryError):
    """An id, namespace or path that does not exist (or is not visible to the caller)."""

    code = "not_found"
    status = 404


class Conflict(ClawMemoryError):
    """The request clashes with the current state (e.g. already forgotten)."""

    code = "conflict"
    status = 409


class Unavailable(ClawMemoryError):
    """A backend (embedder, LLM, daemon) is not ready; callers should fail open."""

    code = "unavailable"
    status = 503

"""The web inspector served by the daemon at ``/ui``: server-rendered pages (Jinja2, no
JavaScript needed) over :class:`clawmemory.ui.inspector.Inspector`, behind a token login."""

from .routes import mount_ui

__all__ = ["mount_ui"]

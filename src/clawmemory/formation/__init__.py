"""Memory formation: durable items extracted from every committed turn, reconciled with
the stored memories (duplicate, refinement, contradiction → supersede), with temporal
validity that recall respects. See :mod:`.service`."""

from .service import Formation

__all__ = ["Formation"]

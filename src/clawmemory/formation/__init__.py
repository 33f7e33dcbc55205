"""Memory formation: durable items extracted from every committed turn, reconciled with
the stored memories (duplicate, refinement, contradiction → supersede), with temporal
validity that recall respects (a component, layer 4: it takes a Core, and the engine registers
it as the core's validity hook). See :mod:`.service`; its SQL is in ``rows.py``."""

from .service import Formation

__all__ = ["Formation"]

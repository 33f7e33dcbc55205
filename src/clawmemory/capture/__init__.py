"""Tool-result capture: the observations the ``clawmemory-capture`` OpenClaw plugin writes
(one JSON line per tool result) are ingested into the ``observations`` table, indexed for
search (index corpus ``observation``, searched as ``observations``). A component (layer 4):
it takes a Core; its SQL is in ``rows.py``. Importing this package registers its migrations
(``capture.*``)."""

from . import schema  # noqa: F401  (registers the capture migrations)
from .batch import CORPUS
from .lines import ParsedLine, parse_line, sanitize_namespace
from .log import CaptureLog, FileReport, IngestReport

__all__ = [
    "CORPUS",
    "CaptureLog",
    "FileReport",
    "IngestReport",
    "ParsedLine",
    "parse_line",
    "sanitize_namespace",
]

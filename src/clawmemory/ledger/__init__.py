"""The outcome-settled recall ledger (darwin-memo's idea on the engine's store). A component
(layer 4): ``Ledger`` (``ledger.py``) composes ``recall`` (rank, open tickets), ``entries``
(write, merge, bury, forget, pin, restore), ``settle`` (tickets closed once, credit, escrow),
``tick`` (upkeep, deaths, consolidation, the ``Ticker``), ``reads`` (show, obituaries, stats)
and ``hooks`` (OpenClaw shapes); all its SQL is in ``rows.py``. ``darwin_import``, ``views``,
``economics``, ``config`` and ``render`` round it off. Importing this package registers the
ledger's migrations, so the engine imports it before opening the store."""

from . import schema  # noqa: F401  (registers the ledger migrations)
from .config import DEFAULTS, LedgerConfig
from .ledger import Ledger

__all__ = ["DEFAULTS", "Ledger", "LedgerConfig"]

"""The outcome-settled recall ledger (darwin-memo's idea on the engine's store).

Importing this package registers the ledger's migrations, so the engine
imports it before opening the store."""

from . import schema  # noqa: F401  (registers the ledger migrations)
from .config import DEFAULTS, LedgerConfig
from .ledger import Ledger

__all__ = ["DEFAULTS", "Ledger", "LedgerConfig"]

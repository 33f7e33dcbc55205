"""The store: schema, migrations, transactions. SQLite is the embedded default."""

from .base import Store
from .records import IndexItem, Memory, Message, NewMemory, NewMessage, SearchRow
from .sqlite import SQLiteStore

__all__ = ["IndexItem", "Memory", "Message", "NewMemory", "NewMessage", "SearchRow", "SQLiteStore", "Store"]

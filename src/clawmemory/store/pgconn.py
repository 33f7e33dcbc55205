"""A psycopg connection that takes the SQL the components write for SQLite.

Each component's SQL is written once. Most of it (``ON CONFLICT``, ``RETURNING``, ``CASE``,
``coalesce``, ``LIMIT``/``OFFSET``, partial indexes) means the same in both databases; this
module covers the differences, and only these:

- ``?`` placeholders become ``%s`` (a literal ``%`` is doubled);
- ``BEGIN IMMEDIATE`` (SQLite: begin and take the write lock now) becomes ``BEGIN`` plus one
  transaction-scoped advisory lock, so writers serialise across every daemon on the database
  exactly as SQLite's single writer does: each component's exactly-once reasoning (settle
  ``WHERE status='open'``, ``advancementKey`` inserts, offsets) holds unchanged, and ids are
  assigned in commit order, so the in-memory indexes' watermarks never skip a row;
- a write outside a transaction runs in its own locked transaction (SQLite's implicit one);
- DDL (``CREATE``/``ALTER TABLE``): SQLite's type names map to Postgres types (INTEGER →
  BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, TEXT → TEXT COLLATE "C" so text sorts by
  bytes as in SQLite, ``INTEGER PRIMARY KEY AUTOINCREMENT`` → an identity column);
- a column named with a word Postgres reserves (``offset``: lower case is the column, upper
  case the keyword) is quoted;
- ``x IS ?``/``x IS NOT ?`` → ``IS [NOT] DISTINCT FROM``; ``? IS NULL`` gets a type (``::text``);
- two-argument ``min``/``max`` → ``LEAST``/``GREATEST``; ``json_extract(col, '$.a.b')`` →
  ``(col::jsonb #>> '{a,b}')``;
- rows are read by column name or position, like ``sqlite3.Row``; a statement without rows
  reads as empty; ``numeric`` results
  (``sum`` of integers) come back as int or float, not Decimal;
- a constraint violation raises :class:`IntegrityError`, a ``sqlite3.IntegrityError``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq
from psycopg.types.numeric import NumericLoader

WRITE_LOCK = 0x636C61776D656D  # the advisory lock every write transaction holds ("clawmem")
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP")


class IntegrityError(sqlite3.IntegrityError):
    """A constraint refused a write (raised as the SQLite error the components catch)."""


class Row:
    """A result row, readable by column name or position (``dict(row)`` works)."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key]] if isinstance(key, str) else self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Row) and tuple(self._values) == tuple(other._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values))!r})"


def _rows(cursor: Any) -> Any:
    if cursor.description is None:
        return tuple
    index = {column.name: n for n, column in enumerate(cursor.description)}
    return lambda values: Row(values, index)


class _Cursor(psycopg.Cursor[Any]):
    """Reads like sqlite3's: a statement that returns no rows (an UPDATE) reads as empty."""

    def fetchone(self) -> Any:
        return None if self.description is None else super().fetchone()

    def fetchall(self) -> list[Any]:
        return [] if self.description is None else super().fetchall()

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]  # psycopg types it by the row factory
        return iter(()) if self.description is None else super().__iter__()


class _Numeric(NumericLoader):
    def load(self, data: Any) -> int | float:  # type: ignore[override]
        value: Decimal = super().load(data)
        return int(value) if value == value.to_integral_value() else float(value)


class Connection:
    """One psycopg connection (autocommit: a statement outside a transaction is its own)."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.raw = psycopg.connect(url, autocommit=True, row_factory=_rows, cursor_factory=_Cursor)
        self.raw.adapters.register_loader("numeric", _Numeric)
        self.settings: dict[str, str] = {}

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    @property
    def usable(self) -> bool:
        return not self.raw.closed and not self.raw.broken

    def begin(self) -> None:
        """Begin a write transaction: wait for the write lock, held until commit or rollback."""
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.usable and self.in_transaction:
            self.raw.execute("ROLLBACK")

    def set(self, name: str, value: str) -> None:
        """``SET name = value`` for this session, skipped when it already holds."""
        if self.settings.get(name) != value:
            self.raw.execute(f"SET {name} = {value}")
            self.settings[name] = value

    def execute(self, sql: str, params: Sequence[Any] | None = ()) -> psycopg.Cursor[Any]:
        kind, text = translate(sql)
        if kind == "begin":
            self.begin()
            return self.raw.cursor()
        if kind == "write" and not self.in_transaction:
            self.begin()
            try:
                cursor = self._run(text, params)
            except BaseException:
                self.rollback()
                raise
            self.commit()
            return cursor
        return self._run(text, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        kind, text = translate(sql)
        cursor = self.raw.cursor()
        rows = list(rows)
        if not rows:
            return cursor
        if kind == "write" and not self.in_transaction:
            with _locked(self):
                _integrity(cursor.executemany, text, rows)
        else:
            _integrity(cursor.executemany, text, rows)
        return cursor

    def _run(self, text: str, params: Sequence[Any] | None) -> psycopg.Cursor[Any]:
        return _integrity(self.raw.execute, text, params if params is not None else ())

    def close(self) -> None:
        self.raw.close()


class _locked:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.begin()

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()


def _integrity(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(str(exc).strip()) from exc


_STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_MASK = re.compile("\x00(\\d+)\x00")
_RESERVED = re.compile(r"\boffset\b")  # our one column whose name Postgres reserves
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?=%s)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?=%s)", re.IGNORECASE)
_PARAM_IS_NULL = re.compile(r"%s(?=\s+IS\s+(?:NOT\s+)?NULL\b)", re.IGNORECASE)
_MINMAX = re.compile(r"\b(min|max)\(", re.IGNORECASE)
_JSON_EXTRACT = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*\x00(\d+)\x00\s*\)", re.IGNORECASE)
_DDL_TYPES = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
]  # fmt: skip  (upper case only: types are upper case in our DDL, column names lower case)


@lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, str]:
    """(kind, Postgres SQL) for SQLite-dialect ``sql``; kind is ``begin``, ``write`` or ``read``."""
    head = sql.lstrip().split(None, 2)
    first = head[0].upper() if head else ""
    if first == "BEGIN":
        return "begin", "BEGIN"
    literals: list[str] = []

    def mask(match: re.Match[str]) -> str:
        literals.append(match.group())
        return f"\x00{len(literals) - 1}\x00"

    code = _STRING.sub(mask, sql).replace("%", "%%").replace("?", "%s")
    code = _RESERVED.sub('"offset"', code)
    code = _IS.sub("IS NOT DISTINCT FROM ", _IS_NOT.sub("IS DISTINCT FROM ", code))
    code = _PARAM_IS_NULL.sub("%s::text", code)  # `? IS NULL`: Postgres cannot infer a bare parameter's type
    code = _least_greatest(code)
    code = _JSON_EXTRACT.sub(lambda m: _json_path(m.group(1), literals[int(m.group(2))]), code)
    if first in ("CREATE", "ALTER") and len(head) > 1 and head[1].upper() == "TABLE":
        for pattern, replacement in _DDL_TYPES:
            code = pattern.sub(replacement, code)
    text = _MASK.sub(lambda m: literals[int(m.group(1))].replace("%", "%%"), code)
    return ("write" if first in _WRITES else "read"), text


def _least_greatest(code: str) -> str:
    """``min(a, b, …)``/``max(a, b, …)`` (SQLite's scalar forms) → ``LEAST``/``GREATEST``; the
    one-argument aggregates stay."""
    out: list[str] = []
    pos = 0
    for match in _MINMAX.finditer(code):
        if match.start() < pos:
            continue
        depth, args, start = 1, [], match.end()
        i = start
        while i < len(code) and depth:
            ch = code[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1:
                args.append(code[start:i])
                start = i + 1
            i += 1
        if depth or not args:
            continue
        args.append(code[start : i - 1])
        name = "LEAST" if match.group(1).lower() == "min" else "GREATEST"
        out.append(code[pos : match.start()])
        out.append(f"{name}({', '.join(_least_greatest(a.strip()) for a in args)})")
        pos = i
    out.append(code[pos:])
    return "".join(out)


def _json_path(column: str, literal: str) -> str:
    """``json_extract(column, '$.a.b')`` → ``(column::jsonb #>> '{a,b}')`` (as text)."""
    path = literal.strip("'")
    if not re.fullmatch(r"\$(\.\w+)+", path):
        raise ValueError(f"unsupported JSON path {literal}")
    return f"({column}::jsonb #>> '{{{','.join(path[2:].split('.'))}}}')"

"""``CaptureLog``: observations in the store — ingest captured JSONL files (idempotent,
resumable, rotation-aware), and hydrate observation search hits."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound
from ..retrieval.hits import SearchHit
from ..store.records import now_iso
from . import rows
from .batch import CORPUS, HELPER_MIN_BYTES, HELPERS, Chunk, Prepared, Preparer, prepare

if TYPE_CHECKING:
    from ..core import Core

MAX_ERRORS_KEPT = 100


@dataclass
class FileReport:
    """What one pass did to one file."""

    path: str
    lines: int = 0  # complete lines read in this pass (blank and corrupt ones included)
    added: int = 0
    duplicates: int = 0
    blank: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"line", "error"}, the first 100
    start_offset: int = 0
    offset: int = 0  # bytes consumed; the next pass starts here
    pending_bytes: int = 0  # an unfinished last line, left for the next pass
    rotated: bool = False  # this is the previous file of a rotated path, read to its end
    truncated: bool = False  # shrank below the offset, or replaced in place (first line differs): from the start
    missing: bool = False
    namespaces: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestReport:
    files: list[FileReport]
    seconds: float

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "lines": self.lines,
            "duplicates": sum(f.duplicates for f in self.files),
            "errors": sum(f.error_count for f in self.files),
            "seconds": round(self.seconds, 3),
            "files": [f.to_dict() for f in self.files],
        }


@dataclass
class _Cursor:
    """Where one file's lines go while it is being read."""

    file: Path
    key: Path  # offsets are recorded under this path (the live path, also for a rotated file)
    device: int
    inode: int
    head: str | None  # SHA-256 of the file's first line
    size: int
    target: str | None
    known: set[str]
    report: FileReport
    spaces: set[str]


def _head(path: Path, limit: int = 65536) -> str | None:
    """SHA-256 of the file's first line (None while it has no complete one): with (device,
    inode) it tells a file from a replacement that reuses the inode."""
    try:
        with path.open("rb") as f:
            first = f.readline(limit)
    except OSError:
        return None
    return hashlib.sha256(first).hexdigest() if first.endswith(b"\n") or len(first) >= limit else None


class CaptureLog:
    """Observations in one core's store; :meth:`hydrate` serves the ``observation`` search corpus."""

    def __init__(
        self,
        core: Core,
        *,
        batch_bytes: int = 4 << 20,
        helpers: int = HELPERS,
        helper_min_bytes: int = HELPER_MIN_BYTES,
    ) -> None:
        self.core = core
        self.store = core.store
        self.batch_bytes = batch_bytes  # lines are read, prepared and committed about this many bytes at a time
        self.helpers = helpers  # helper processes for a backlog of ``helper_min_bytes`` or more
        self.helper_min_bytes = helper_min_bytes

    # -- ingest -------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | os.PathLike[str]],
        namespace: str | None = None,
        *,
        missing_ok: bool = False,
        progress: Callable[[FileReport, int], None] | None = None,
    ) -> IngestReport:
        """Load new complete lines of each file into the observations table.

        Each file is read from where the last pass stopped (per file and target namespace);
        a file whose inode changed was rotated (its old file, if still beside it, is read to
        the end first), and a file smaller than the remembered offset was truncated (read
        from the start). Lines already stored are skipped (idempotent); a corrupt line is
        reported with its line number and skipped. A last line without its newline is left
        for the next pass.

        Args:
            paths: JSONL files written by the capture plugin (or compatible writers).
            namespace: put every line here (it must exist); default: the line's agent id
                (sanitised, created if missing), else the default namespace.
            missing_ok: report a missing file instead of raising NotFound.
            progress: called after each committed batch with the file's report and its byte offset.
        """
        if not paths:
            raise InvalidInput("give at least one file", field="files")
        target = self.core.namespace(namespace) if namespace is not None else None
        t0 = time.perf_counter()
        known = {r["name"] for r in self.store.list_namespaces()}
        reports: list[FileReport] = []
        for raw in paths:
            path = Path(raw).expanduser().absolute()
            try:
                st = path.stat()
            except FileNotFoundError:
                if not missing_ok:
                    raise NotFound(f"no such file: {path}", field="files") from None
                reports.append(FileReport(str(path), missing=True))
                continue
            if not path.is_file():
                raise InvalidInput(f"not a regular file: {path}", field="files")
            reports.extend(self._ingest_file(path, st, target, known, progress))
        return IngestReport(reports, time.perf_counter() - t0)

    def follow(
        self,
        paths: Sequence[str | os.PathLike[str]],
        namespace: str | None = None,
        *,
        interval: float = 2.0,
        should_stop: Callable[[], bool] = lambda: False,
        on_pass: Callable[[IngestReport], None] = lambda r: None,
    ) -> None:
        """Ingest, then keep ingesting what is appended every ``interval`` seconds until
        ``should_stop()`` is true (checked after each pass). Missing files are waited for."""
        while True:
            on_pass(self.ingest(paths, namespace, missing_ok=True))
            if should_stop():
                return
            time.sleep(interval)

    def _offset_row(self, path: Path, target: str | None) -> Any:
        return rows.offset(self.store.db, str(path), target)

    def _ingest_file(
        self,
        path: Path,
        st: os.stat_result,
        target: str | None,
        known: set[str],
        progress: Callable[[FileReport, int], None] | None,
    ) -> list[FileReport]:
        row = self._offset_row(path, target)
        reports = []
        head = _head(path)
        start, line_no, restarted, same = 0, 0, False, False
        if row is not None and (row["device"], row["inode"]) == (st.st_dev, st.st_ino):
            if st.st_size >= row["offset"] and row["head"] in (None, head):
                start, line_no, same = row["offset"], row["line_no"], True
            else:
                restarted = True  # truncated, or replaced by a file that reuses the inode
        elif row is not None:
            old = self._rotated_file(path, row["device"], row["inode"], row["head"])
            if old is not None:
                rep = self._read(
                    old,
                    path,
                    row["device"],
                    row["inode"],
                    row["head"],
                    row["offset"],
                    row["line_no"],
                    target,
                    known,
                    remembered=True,
                    progress=progress,
                )
                rep.rotated = True
                reports.append(rep)
        rep = self._read(
            path, path, st.st_dev, st.st_ino, head, start, line_no, target, known, remembered=same, progress=progress
        )
        rep.truncated = restarted
        reports.append(rep)
        return reports

    @staticmethod
    def _rotated_file(path: Path, device: int, inode: int, head: str | None) -> Path | None:
        """The file beside ``path`` that still is the remembered one (device, inode, first line)."""
        try:
            with os.scandir(path.parent) as it:
                for entry in it:
                    if entry.name.startswith(path.stem) and entry.is_file(follow_symlinks=False):
                        s = entry.stat(follow_symlinks=False)
                        if (s.st_dev, s.st_ino) == (device, inode) and head in (None, _head(Path(entry.path))):
                            return Path(entry.path)
        except OSError:
            return None
        return None

    def _read(
        self,
        file: Path,
        key: Path,
        device: int,
        inode: int,
        head: str | None,
        start: int,
        line_no: int,
        target: str | None,
        known: set[str],
        *,
        remembered: bool,
        progress: Callable[[FileReport, int], None] | None = None,
    ) -> FileReport:
        """Read ``file`` from byte ``start``; its offset is recorded under ``key``. ``remembered``:
        the offsets table already holds this file at ``start`` (nothing to record if nothing is read)."""
        rep = FileReport(str(file), start_offset=start, offset=start)
        cur = _Cursor(file, key, device, inode, head, 0, target, known, rep, set())
        with file.open("rb") as f:
            cur.size = os.fstat(f.fileno()).st_size
            f.seek(start)
            helpers = self.helpers if cur.size - start >= self.helper_min_bytes else 0
            wrote = False
            with Preparer(target, self.core.settings.default_namespace, now_iso(), str(file), helpers=helpers) as p:
                for chunk, prepared in p.map(self._chunks(f, rep, start, line_no)):
                    self._write(prepared, cur, chunk.offset, chunk.line_no)
                    wrote = True
                    if progress is not None:
                        progress(rep, chunk.offset)
        if not wrote and not remembered:
            self._write(Prepared(), cur, start, line_no)  # record the file, so its rotation can be told
        rep.namespaces = sorted(cur.spaces)
        return rep

    def _chunks(self, f: Any, rep: FileReport, offset: int, line_no: int) -> Iterator[Chunk]:
        """The file's complete lines from here, about ``batch_bytes`` at a time; a last line
        without its newline is left (``rep.pending_bytes``) for the next pass."""
        carry = b""
        while block := f.read(self.batch_bytes):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
            if data:
                count = data.count(b"\n")
                chunk = Chunk(data, line_no + 1, offset + cut, line_no + count)
                offset, line_no = chunk.offset, chunk.line_no
                rep.lines += count
                rep.offset = offset
                yield chunk
        rep.pending_bytes = len(carry)

    def _write(self, prepared: Prepared, cur: _Cursor, offset: int, line_no: int) -> None:
        """Insert one prepared chunk, index it and move the file's offset, in one transaction."""
        rep = cur.report
        rep.blank += prepared.blank
        rep.error_count += len(prepared.errors)
        room = MAX_ERRORS_KEPT - len(rep.errors)
        rep.errors.extend({"line": n, "error": why} for n, why in prepared.errors[: max(room, 0)])
        with self.store.transaction() as db:
            added, duplicates = self._insert(db, prepared, cur.known, cur.spaces)
            rep.added += added
            rep.duplicates += duplicates
            rows.save_offset(
                db,
                str(cur.key),
                cur.target,
                device=cur.device,
                inode=cur.inode,
                offset=offset,
                size=cur.size,
                line_no=line_no,
                head=cur.head,
            )

    def _insert(
        self, db: sqlite3.Connection, prepared: Prepared, known: set[str], spaces: set[str], *, dry_run: bool = False
    ) -> tuple[int, int]:
        """Insert and index a prepared chunk's new observations (inside a transaction);
        (added, duplicates). Namespaces the lines name are created on first use."""
        pending: dict[str, tuple[tuple, tuple]] = {}  # observation id -> (observations row, search_items row)
        duplicates = 0
        for ns, row, index_row in prepared.rows:
            if ns not in known and not dry_run:
                self.store.ensure_namespace(ns)  # joins this transaction
                known.add(ns)
            spaces.add(ns)
            if row[0] in pending:
                duplicates += 1
                continue
            pending[row[0]] = (row, index_row)
        existing = rows.existing(db, list(pending))
        fresh = [pair for oid, pair in pending.items() if oid not in existing]
        if not dry_run:
            rows.insert_observations(db, [row for row, _ in fresh])
            self.store.insert_index_rows(db, [index_row for _, index_row in fresh])
        return len(fresh), duplicates + len(existing)

    def load_lines(
        self, lines: Sequence[bytes], namespace: str, *, source: str, dry_run: bool = False
    ) -> tuple[int, int, list[tuple[int, str]]]:
        """Load capture-format lines (not from a followed file: no offsets) into ``namespace``;
        (added, duplicates, [(index of the line, why it was refused)])."""
        data = b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines)
        prepared = prepare(
            Chunk(data, 0, len(data), len(lines) - 1),
            namespace,
            self.core.settings.default_namespace,
            now_iso(),
            source,
        )
        with self.store.transaction() as db:
            added, duplicates = self._insert(db, prepared, {namespace}, set(), dry_run=dry_run)
        return added, duplicates, prepared.errors

    # -- reading ------------------------------------------------------------------------

    def hydrate(self, ids: Iterable[str]) -> dict[str, SearchHit]:
        """Search hits for observation ids (text = summary, kind = tool name)."""
        out: dict[str, SearchHit] = {}
        for r in rows.observations(self.store.db, ids):
            detail = json.loads(r["detail_json"])
            out[r["id"]] = SearchHit(
                id=r["id"],
                corpus=CORPUS,
                namespace=r["namespace"],
                text=r["summary"],
                container=r["session_key"],
                kind=r["tool_name"],
                category=detail.get("memory_operation"),
                created_at=r["ts"],
                extra={
                    "tool_call_id": r["tool_call_id"],
                    "agent_id": r["agent_id"],
                    "is_error": bool(r["is_error"]),
                    "is_synthetic": bool(r["is_synthetic"]),
                    "memory_backend": detail.get("memory_backend"),
                    "source": r["source"],
                    "line": r["line_no"],
                },
            )
        return out

    def get(self, observation_id: str, namespace: str | None = None) -> dict[str, Any]:
        """One observation (all columns, ``detail`` parsed); it must be in ``namespace``."""
        ns = self.core.namespace(namespace)
        r = rows.observation(self.store.db, observation_id, ns)
        if r is None:
            raise NotFound(f"no observation {observation_id!r} in namespace {ns!r}", field="id")
        out = dict(r)
        out["detail"] = json.loads(out.pop("detail_json"))
        out["is_synthetic"], out["is_error"] = bool(out["is_synthetic"]), bool(out["is_error"])
        return out

    def count(self, namespace: str | None = None) -> int:
        return rows.count(self.store.db, namespace)

"""Markdown collections (QMD-compatible): folders of notes, indexed chunk by chunk.

A collection is a folder plus glob patterns in one namespace (``collection add``). Each
matching file is a *document*, cut into heading-aware chunks (``chunking.py``); each chunk is
one search item of corpus ``chunk``: its text is searched, its file path and heading
breadcrumb are the down-weighted ``context`` and are prepended to what the embedder sees.

``update`` rescans by content hash, one transaction per file: unchanged files are skipped,
changed files are re-chunked (a chunk whose breadcrumb and text did not change keeps its id,
search item and vector; only its line numbers move), deleted files leave the index.

The OpenClaw workspace files memory-core indexes (``MEMORY.md``, ``USER.md``,
``memory/**/*.md``) form a collection of kind ``workspace`` (``add_workspace``).

Reading a file back (``memory_get``) is confined to registered roots: relative paths only,
no ``..``, no hidden folders, the file must match the collection's patterns, and its
resolved path (symlinks followed) must stay inside the resolved root.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .. import validation
from ..errors import Conflict, InvalidInput, NotFound
from ..redaction import redact
from ..retrieval.hits import SearchHit
from ..store import IndexItem
from ..store.records import content_hash, new_id, now_iso
from . import rows, schema  # noqa: F401  (registers the collections migrations)
from .chunking import BREADCRUMB_SEP, Chunk, chunk_markdown

if TYPE_CHECKING:
    from ..core import Core

CORPUS = "chunk"
DEFAULT_PATTERNS = ("**/*.md",)
WORKSPACE_PATTERNS = ("MEMORY.md", "USER.md", "memory/**/*.md")
RESERVED_NAMES = frozenset({"memories", "sessions"})  # path prefixes of memory_get
MAX_FILE_BYTES = 10 * 1024 * 1024
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over '/'-separated relative paths: ``**`` any folders (or none), ``*`` and ``?``
    within one name, ``[...]`` a character class."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _check_pattern(pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput("pattern must be a non-empty glob such as **/*.md", field="pattern")
    p = PurePosixPath(pattern)
    if p.is_absolute() or ".." in p.parts:
        raise InvalidInput("pattern must be relative to the collection folder (no '/' start, no '..')", field="pattern")
    return pattern


@dataclass(frozen=True)
class Collection:
    namespace: str
    name: str
    root: str
    patterns: tuple[str, ...]
    kind: str
    created_at: str
    scanned_at: str | None

    def matches(self, relpath: str) -> bool:
        """Whether a '/'-separated path relative to the root is one of this collection's files."""
        parts = relpath.split("/")
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts[:-1]) or parts[-1].startswith("."):
            return False
        return any(glob_regex(p).match(relpath) for p in self.patterns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "path": self.root,
            "patterns": list(self.patterns),
            "kind": self.kind,
            "created_at": self.created_at,
            "scanned_at": self.scanned_at,
        }


def _collection(row: sqlite3.Row) -> Collection:
    return Collection(
        row["namespace"],
        row["name"],
        row["root"],
        tuple(json.loads(row["patterns"])),
        row["kind"],
        row["created_at"],
        row["scanned_at"],
    )


def _same(text: str) -> str:
    return text


def _label(relpath: str, chunk: Chunk) -> str:
    """What a chunk is *about*: its file and heading path ("memory/2026-11-20.md > Deploys")."""
    return BREADCRUMB_SEP.join((relpath, *chunk.breadcrumb))


class Collections:
    """Markdown collections in one core's store: register, scan, safe reads; :meth:`hydrate`
    serves the ``chunk`` search corpus."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    # -- registry -----------------------------------------------------------------------

    def add(
        self,
        path: str | Path,
        name: str,
        namespace: str | None = None,
        *,
        patterns: list[str] | tuple[str, ...] | None = None,
        kind: str = "folder",
        scan: bool = True,
    ) -> dict[str, Any]:
        """Register folder ``path`` as collection ``name`` (files matching ``patterns``,
        default ``**/*.md``) and index it. Adding the same folder and patterns again is a
        no-op (then a rescan); the same name for another folder is a conflict."""
        ns = self.core.namespace(namespace)
        validation.namespace_name(name, "name")
        if name in RESERVED_NAMES:
            raise InvalidInput(f"collection name {name!r} is reserved (memory_get paths start with it)", field="name")
        pats = tuple(_check_pattern(p) for p in (patterns or DEFAULT_PATTERNS))
        if not isinstance(path, str | Path) or not str(path).strip():
            raise InvalidInput("path must name a folder", field="path")
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise InvalidInput(f"{root} is not a folder", field="path")
        with self.store.transaction() as db:
            row = rows.collection(db, ns, name)
            if row is not None:
                existing = _collection(row)
                if (existing.root, existing.patterns, existing.kind) != (str(root), pats, kind):
                    raise Conflict(
                        f"collection {name!r} already exists for {existing.root} "
                        f"({', '.join(existing.patterns)}); remove it first",
                        field="name",
                    )
                created = False
            else:
                rows.insert_collection(db, ns, name, str(root), pats, kind)
                created = True
        result: dict[str, Any] = {"created": created, "collection": self.get(name, ns).to_dict()}
        if scan:
            result["scan"] = self.scan(self.get(name, ns))
            result["collection"] = self.get(name, ns).to_dict()
        return result

    def add_workspace(
        self, workspace: str | Path, name: str = "workspace", namespace: str | None = None
    ) -> dict[str, Any]:
        """Register an OpenClaw workspace: ``MEMORY.md``, ``USER.md`` and ``memory/**/*.md``."""
        return self.add(workspace, name, namespace, patterns=WORKSPACE_PATTERNS, kind="workspace")

    def get(self, name: str, namespace: str | None = None) -> Collection:
        ns = self.core.namespace(namespace)
        row = rows.collection(self.store.db, ns, name)
        if row is None:
            raise NotFound(f"no collection {name!r} in namespace {ns!r}", field="name")
        return _collection(row)

    def find(self, name: str, namespace: str) -> Collection | None:
        row = rows.collection(self.store.db, namespace, name)
        return _collection(row) if row else None

    def list(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Collections of ``namespace`` with their document and chunk counts."""
        ns = self.core.namespace(namespace)
        found = rows.collections_with_counts(self.store.db, ns)
        return [{**_collection(r).to_dict(), "documents": r["documents"], "chunks": r["chunks"]} for r in found]

    def remove(self, name: str, namespace: str | None = None) -> dict[str, Any]:
        """Unregister a collection: its documents and chunks leave the index (files stay)."""
        col = self.get(name, namespace)
        with self.store.transaction() as db:
            docs = rows.document_ids(db, col.namespace, col.name)
            chunks = sum(self._drop_document(db, doc) for doc in docs)
            rows.delete_collection(db, col.namespace, col.name)
        return {"removed": col.name, "namespace": col.namespace, "documents": len(docs), "chunks": chunks}

    # -- scanning -----------------------------------------------------------------------

    def update(self, namespace: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Rescan collections: one (``name``), those of ``namespace``, or every one (both None)."""
        if name is not None:
            cols = [self.get(name, namespace)]
        else:
            ns = self.core.namespace(namespace) if namespace is not None else None
            cols = [_collection(r) for r in rows.collections(self.store.db, ns)]
        results: list[dict[str, Any]] = [{"namespace": c.namespace, "name": c.name, **self.scan(c)} for c in cols]
        totals = {
            k: sum(r[k] for r in results)
            for k in ("indexed", "updated", "unchanged", "removed", "skipped", "chunks_added", "chunks_removed")
        }
        return {"collections": results, **totals}

    def files(self, col: Collection) -> Iterator[str]:
        """Relative paths of the files under the root that belong to the collection (hidden and
        dependency folders skipped, folder symlinks not followed, file symlinks only when they
        stay inside the root)."""
        root = Path(col.root)
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS)
            base = Path(dirpath)
            prefix = base.relative_to(root).as_posix()
            for fname in sorted(filenames):
                rel = fname if prefix == "." else f"{prefix}/{fname}"
                if not col.matches(rel):
                    continue
                path = base / fname
                if path.is_symlink():
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError):
                        continue
                    if not (target.is_relative_to(real_root) and target.is_file()):
                        continue
                elif not path.is_file():
                    continue
                yield rel

    def scan(self, col: Collection) -> dict[str, int]:
        """Bring one collection's index in line with its folder (see the module doc). A folder
        that is gone (unmounted, moved) leaves the index as it was and reports ``missing``."""
        stats = dict.fromkeys(
            ("indexed", "updated", "unchanged", "removed", "skipped", "chunks_added", "chunks_removed"), 0
        )
        known = rows.document_hashes(self.store.db, col.namespace, col.name)
        seen: set[str] = set()
        root = Path(col.root)
        if not root.is_dir():  # unmounted or moved: keep the index rather than empty it
            return {**stats, "missing": 1}
        for rel in self.files(col):
            try:
                data = (root / rel).read_bytes() if (root / rel).stat().st_size <= MAX_FILE_BYTES else None
            except OSError:
                data = None
            if data is None:
                stats["skipped"] += 1
                continue
            seen.add(rel)
            digest = hashlib.sha256(data).hexdigest()
            if known.get(rel) == digest:
                stats["unchanged"] += 1
                continue
            with self.store.transaction() as db:
                outcome, added, dropped = self._write_document(db, col, rel, digest, data)
            stats[outcome] += 1
            stats["chunks_added"] += added
            stats["chunks_removed"] += dropped
        for rel in sorted(set(known) - seen):
            with self.store.transaction() as db:
                row = rows.document(db, col.namespace, col.name, rel)
                if row is not None:
                    stats["chunks_removed"] += self._drop_document(db, row["id"])
                    stats["removed"] += 1
        with self.store.transaction() as db:
            rows.mark_scanned(db, col.namespace, col.name)
        return stats

    def _write_document(
        self, db: sqlite3.Connection, col: Collection, rel: str, digest: str, data: bytes
    ) -> tuple[str, int, int]:
        """Insert or re-chunk one file (inside a transaction): (outcome, chunks added, removed)."""
        row = rows.document(db, col.namespace, col.name, rel)
        if row is not None and row["content_hash"] == digest:
            return "unchanged", 0, 0
        text = data.decode("utf-8", errors="replace")
        clean = redact(text)
        # Redact the whole file once; only when a secret spanned lines (a key block) would
        # that move line numbers, and then each chunk is redacted on its own instead.
        per_chunk = clean.count("\n") != text.count("\n")
        chunks = chunk_markdown(text if per_chunk else clean)
        scrub = redact if per_chunk else _same
        title = next((c.breadcrumb[0] for c in chunks if c.breadcrumb), None) or PurePosixPath(rel).stem
        lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        stamp = now_iso()
        if row is None:
            doc_id = new_id("doc")
            rows.insert_document(
                db,
                doc_id,
                col.namespace,
                col.name,
                rel,
                content_hash=digest,
                size=len(data),
                lines=lines,
                title=title,
                indexed_at=stamp,
            )
        else:
            doc_id = row["id"]
            rows.update_document(
                db, doc_id, content_hash=digest, size=len(data), lines=lines, title=title, indexed_at=stamp
            )
        old = rows.chunk_hashes(db, doc_id)
        index: list[IndexItem] = []
        for chunk in chunks:
            body = scrub(chunk.text)
            crumb = scrub(chunk.breadcrumb_text())
            label = scrub(_label(rel, chunk))
            key = content_hash(label, body)
            reuse = old.get(key)
            if reuse:
                rows.move_chunk(db, reuse.pop(0), chunk.seq, chunk.start_line, chunk.end_line)
                continue
            chunk_id = new_id("chk")
            rows.insert_chunk(
                db,
                chunk_id,
                doc_id,
                col.namespace,
                seq=chunk.seq,
                start_line=chunk.start_line,
                end_line=chunk.end_line,
                heading=scrub(chunk.heading) if chunk.heading else None,
                breadcrumb=crumb,
                text=body,
                content_hash=key,
            )
            index.append(
                IndexItem(
                    col.namespace,
                    CORPUS,
                    chunk_id,
                    body,
                    context=label,
                    embed_text=f"{label}\n\n{body}",
                    container=doc_id,
                    created_at=stamp,
                )
            )
        dropped = [cid for ids in old.values() for cid in ids]
        for chunk_id in dropped:
            self.store.unindex_item(db, CORPUS, chunk_id)
            rows.delete_chunk(db, chunk_id)
        self.store.index_items(db, index)
        return ("indexed" if row is None else "updated"), len(index), len(dropped)

    def _drop_document(self, db: sqlite3.Connection, doc_id: str) -> int:
        ids = rows.chunk_ids(db, doc_id)
        for chunk_id in ids:
            self.store.unindex_item(db, CORPUS, chunk_id)
        rows.delete_document(db, doc_id)
        return len(ids)

    # -- search and reads ---------------------------------------------------------------

    def hydrate(self, refs: Sequence[str]) -> dict[str, SearchHit]:
        """Chunk ids → search hits with ``extra = {path, startLine, endLine, heading, collection, …}``."""
        out: dict[str, SearchHit] = {}
        for r in rows.chunks(self.store.db, refs):
            out[r["id"]] = SearchHit(
                id=r["id"],
                corpus=CORPUS,
                namespace=r["namespace"],
                text=r["text"],
                container=r["document_id"],
                kind="chunk",
                created_at=r["indexed_at"],
                extra={
                    "path": f"{r['collection']}/{r['path']}",
                    "startLine": r["start_line"],
                    "endLine": r["end_line"],
                    "heading": r["heading"],
                    "breadcrumb": r["breadcrumb"],
                    "collection": r["collection"],
                    "file": r["path"],
                    "workspace": r["kind"] == "workspace",
                },
            )
        return out

    def locate(self, path: str, namespace: str) -> tuple[Collection, str] | None:
        """Which collection file a memory_get ``path`` names: ``<collection>/<relpath>``, else a
        workspace-relative path (``MEMORY.md``, ``memory/2026-11-20.md``) in a workspace collection."""
        head, _, rest = path.partition("/")
        col = self.find(head, namespace) if rest else None
        if col is not None:
            return col, rest
        for col in map(_collection, rows.collections(self.store.db, namespace, kind="workspace")):
            if col.matches(path):
                return col, path
        return None

    def read(self, col: Collection, relpath: str) -> str | None:
        """The text of one collection file (secrets redacted), or None when it does not exist.
        Raises InvalidInput for a path outside what the collection may read."""
        rel = PurePosixPath(relpath)
        if rel.is_absolute() or ".." in rel.parts or "\\" in relpath or "\x00" in relpath:
            raise InvalidInput("path must be relative to its collection, without '..'", field="path")
        if not col.matches(rel.as_posix()):
            raise InvalidInput(
                f"{col.name}/{rel.as_posix()} is not a file of collection {col.name!r} "
                f"(patterns {', '.join(col.patterns)})",
                field="path",
            )
        root = Path(col.root).resolve()
        target = root / rel
        try:
            resolved = target.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(root):
            raise InvalidInput("path leaves the collection folder (symlink)", field="path")
        if not resolved.is_file():
            return None
        with open(resolved, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"file is over {MAX_FILE_BYTES} bytes", field="path")
        return redact(data.decode("utf-8", errors="replace"))

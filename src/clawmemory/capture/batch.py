"""Captured lines → rows ready to insert: the CPU half of ingest (parse, redact, analyse),
run in this process or, for a large backlog, in helper processes while this one writes.

Everything here is a pure function of the lines and a few settings, so both places give
the same rows; only the database work stays with the caller. Why processes: parsing and
analysis are pure Python (the GIL serialises threads), and they cost about as much again
as the SQLite writes, so two helpers and the writer keep two cores busy.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from ..store.records import IndexItem
from ..store.sqlite import index_row
from .lines import LineError, parse_line, sanitize_namespace

CORPUS = "observation"
# A backlog at least this large is prepared by helper processes (starting one costs ~0.4 s).
HELPER_MIN_BYTES = 32 << 20
# Two helpers (each preparing every other chunk) keep up with one writer on two cores.
HELPERS = 2 if (os.cpu_count() or 1) > 1 else 0

_DIGITS = str.maketrans("", "", "-:.TZtz+ ")


@dataclass
class Chunk:
    """Complete lines of one file (``data`` ends with a newline), and where they end."""

    data: bytes
    first_line: int  # number of the first line in ``data``
    offset: int  # byte offset just past the last line
    line_no: int  # number of the last line


@dataclass
class Prepared:
    """A chunk's observations: ``(namespace, observations row, search_items row)`` each,
    plus what could not be loaded."""

    rows: list[tuple[str, tuple, tuple]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    blank: int = 0


def observation_id(namespace: str, content_hash: str, ts: str | None) -> str:
    """``obs_`` + the line's time as digits + a hash of (namespace, line): derived from the
    content (so a replay finds the same id) and in time order (so inserts into the id indexes
    append at the right edge instead of landing on random pages of a large B-tree)."""
    stamp = (ts or "").translate(_DIGITS)[:17]
    stamp = stamp if stamp.isdigit() else ""
    digest = hashlib.sha256(f"{namespace}\0{content_hash}".encode()).hexdigest()[:16]
    return f"obs_{stamp:0<17}{digest}"


def prepare(chunk: Chunk, target: str | None, default: str, stamp: str, source: str) -> Prepared:
    """Parse, place (``target``, else the line's agent, else ``default`` namespace) and
    analyse every line of ``chunk``; ``stamp`` is the ingest time, ``source`` the file."""
    out = Prepared()
    for n, raw in enumerate(chunk.data.split(b"\n")[:-1], chunk.first_line):
        try:
            p = parse_line(raw)
        except LineError as exc:
            out.errors.append((n, str(exc)))
            continue
        if p is None:
            out.blank += 1
            continue
        ns = target or sanitize_namespace(p.agent_id) or default
        oid = observation_id(ns, p.content_hash, p.ts)
        ts = p.ts or stamp
        out.rows.append(
            (
                ns,
                (
                    oid,
                    ns,
                    ts,
                    p.kind,
                    p.tool_name,
                    p.tool_call_id,
                    p.session_key,
                    p.agent_id,
                    int(p.is_synthetic),
                    int(p.is_error),
                    p.summary,
                    p.result,
                    p.detail_json,
                    source,
                    n,
                    p.content_hash,
                    stamp,
                ),
                index_row(
                    IndexItem(
                        namespace=ns,
                        corpus=CORPUS,
                        ref_id=oid,
                        text=p.index_text(),
                        container=p.session_key,
                        created_at=ts,
                    )
                ),
            )
        )
    return out


class Preparer:
    """Prepares chunks in order: here (``helpers=0``), or in helper processes (each running
    :func:`serve`) that a feeder thread sends chunks to in turn, so parsing overlaps the
    caller's writes. The pipes' back-pressure keeps a few chunks in flight at most, so
    memory stays flat."""

    def __init__(self, target: str | None, default: str, stamp: str, source: str, *, helpers: int = 0) -> None:
        self.args = (target, default, stamp, source)
        self._procs = [_start_helper() for _ in range(helpers)]

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            proc.kill()
            proc.wait()
            for pipe in _pipes(proc):
                try:
                    pipe.close()
                except OSError:  # a flush into the pipe of the process just killed
                    pass

    def map(self, chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, Prepared]]:
        if not self._procs:
            for chunk in chunks:
                yield chunk, prepare(chunk, *self.args)
            return
        sent: queue.Queue[Chunk | None | BaseException] = queue.Queue()
        feeder = threading.Thread(target=self._feed, args=(chunks, sent), name="clawmemory-ingest-feed", daemon=True)
        feeder.start()
        for proc in itertools.cycle(self._procs):  # results come back in the order chunks went out
            item = sent.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            try:
                prepared = pickle.load(_pipes(proc)[1])
            except EOFError:
                raise RuntimeError(f"an ingest helper process exited (code {proc.wait()})") from None
            yield item, prepared
        feeder.join()

    def _feed(self, chunks: Iterable[Chunk], sent: queue.Queue) -> None:
        """Send the chunks to the helpers in turn (their data dropped here once sent), then
        report the end."""
        try:
            for chunk, proc in zip(chunks, itertools.cycle(self._procs)):
                stdin = _pipes(proc)[0]
                pickle.dump((chunk, *self.args), stdin, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.flush()
                sent.put(Chunk(b"", chunk.first_line, chunk.offset, chunk.line_no))
            sent.put(None)
        except BrokenPipeError:
            dead = next((p for p in self._procs if p.poll() is not None), None)
            code = dead.returncode if dead else "unknown"
            sent.put(RuntimeError(f"an ingest helper process exited (code {code})"))
        except BaseException as exc:  # e.g. the file could not be read: the reader re-raises it
            sent.put(exc)


def _pipes(proc: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    """A helper's (stdin, stdout): both are pipes (see :func:`_start_helper`)."""
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout


def _start_helper() -> subprocess.Popen[bytes]:
    """A helper process running :func:`serve` on the caller's clawmemory (its ``sys.path``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-c", f"from {__name__} import serve; serve()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


def serve() -> None:
    """The helper process: prepare each job read from stdin, write the result to stdout."""
    read, write = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            job = pickle.load(read)
        except EOFError:
            return
        pickle.dump(prepare(*job), write, protocol=pickle.HIGHEST_PROTOCOL)
        write.flush()

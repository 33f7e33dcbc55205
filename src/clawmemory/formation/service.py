"""Memory formation: durable items extracted from committed turns, reconciled with what is
stored, with temporal validity that recall respects.

The context engine calls :meth:`Formation.enqueue` once per committed turn; a background
thread then extracts candidates from the session's new messages (the LLM extractor when
an LLM is configured, else or on any failure the offline classifier), reconciles each with
its nearest current memories (hybrid search, same namespace) and records how far it got.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import memory_hit
from ..errors import NotFound
from ..llm import LLMClient, LLMError
from ..retrieval.hits import SearchHit
from ..store import IndexItem, Memory, NewMemory
from ..store.records import now_iso
from . import claims, rows, schema  # noqa: F401  (schema registers the validity migration)
from .classifier import Classifier, Item, Utterance, joined, said_before, topic, unshout
from .llm_extractor import LLMExtractor
from .order import later_first, later_near_ties, may_move, revisions_first, stated
from .reconcile import ACTIONS, Candidate, Decision, Neighbour, Similarity, decide, slot_valued
from .worker import SessionQueue

if TYPE_CHECKING:
    from ..core import Core
    from ..retrieval.search import Ranked

log = logging.getLogger("clawmemory.formation")

CONTEXT_TURNS = 6  # earlier messages the classifier sees for structure (answers, repeats)
NEIGHBOURS = 6
VECTORS = 4096  # texts whose query vectors formation keeps (the candidates' and their neighbours')
_MARKER = re.compile(r"^\[(?:tool call|tool result)[^\]]*\].*$|^\[\d+ image\(s\)\]$", re.M)


class Formation:
    """Extraction, reconciliation and validity over a core's memories; also the core's
    validity hook (:class:`~clawmemory.core.Validity`: ``superseded_count``, ``current``, ``order``).

    ``ledger_entries(ids)``: which of the ids are recall-ledger entries (never reconciled).
    """

    def __init__(
        self,
        core: Core,
        ledger_entries: Callable[[Sequence[str]], set[str]],
        *,
        llm: LLMClient | None | str = "settings",
    ) -> None:
        self.core = core
        self.ledger_entries = ledger_entries
        self.classifier = Classifier()
        self._llm = llm
        self._extractor: LLMExtractor | None | str = "unset"
        self.queue = SessionQueue(self.process)
        self._vector = lru_cache(maxsize=VECTORS)(_query_vector)  # (embedder, text) -> its query vector
        # seconds: wall time of processing; cpu_seconds: the worker thread's CPU (steadier on a shared box)
        self.stats = {"turns": 0, "candidates": 0, "seconds": 0.0, "cpu_seconds": 0.0, "llm_fallbacks": 0}

    # -- the queue ------------------------------------------------------------------------

    def enqueue(self, namespace: str, session_key: str) -> None:
        """Queue a session whose new messages were just stored (returns at once)."""
        self.queue.put(namespace, session_key)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait for queued extraction to finish (tests, benchmarks, a CLI before it exits)."""
        return self.queue.drain(timeout_s)

    def close(self, wait_s: float = 2.0) -> None:
        self.queue.stop(wait_s)

    # -- extraction -----------------------------------------------------------------------

    def llm_extractor(self) -> LLMExtractor | None:
        if self._extractor == "unset":
            client: LLMClient | None = None
            if isinstance(self._llm, LLMClient):
                client = self._llm
            elif self._llm == "settings":
                try:
                    client = LLMClient.from_settings(self.core.settings)
                except LLMError as exc:
                    log.warning("llm extractor not usable (%s); offline extraction only", exc)
            self._extractor = LLMExtractor(client) if client is not None else None
        return self._extractor  # type: ignore[return-value]

    def extract(self, turns: Sequence[Utterance], first_new: int) -> tuple[list[Item], str]:
        """Items said at or after ``turns[first_new]`` and the extractor that found them."""
        llm = self.llm_extractor()
        if llm is not None:
            try:
                return llm.items(turns, first_new), "llm"
            except Exception as exc:  # any failure of the model path falls back
                self.stats["llm_fallbacks"] += 1
                log.warning("llm extraction failed (%s); offline extraction", exc)
        new_seqs = {t.seq for t in turns[first_new:]}
        # the agent's proposal becomes a decision when the user accepts it: in the turn after it
        proposed = turns[first_new - 1].seq if first_new and turns[first_new - 1].role == "assistant" else None
        return [
            i for i in self.classifier.items(turns) if i.seq in new_seqs or (i.seq == proposed and i.kind == "decision")
        ], "offline"

    def process(self, namespace: str, session_key: str) -> dict[str, Any]:
        """Extract and reconcile the session's messages not processed yet; counts per action.
        With ``memory_formation`` off they are only marked processed: turns committed while it
        is off never become memories, also after it is turned on again."""
        start, cpu = time.perf_counter(), time.thread_time()
        store = self.core.store
        counts = dict.fromkeys(ACTIONS, 0)
        if not self.core.settings.memory_formation:
            with store.transaction() as db:
                rows.set_done_seq(db, namespace, session_key, rows.last_seq(db, namespace, session_key))
            return counts
        done = rows.done_seq(store.db, namespace, session_key)
        turns = [
            Utterance(m.role, unshout(_MARKER.sub("", m.text).strip()), m.seq, m.created_at)
            for m in store.list_messages(namespace, session_key)
            if m.role in ("user", "assistant")
        ]
        first_new = next((i for i, t in enumerate(turns) if t.seq > done), len(turns))
        if first_new == len(turns):
            return counts
        window = turns[max(0, first_new - CONTEXT_TURNS) :]
        items, extractor = self.extract(window, first_new - max(0, first_new - CONTEXT_TURNS))
        for item in items:
            # A terse value ("actually 3 wks.") is about the question it answers and what it corrects; the
            # latter is a guess, so it is indexed with the memory and read by recall order, never by reconciliation.
            before = claims.antecedent(item.text, said_before(window, item))
            terse = len(claims.parse(item.text).slot) <= 2
            candidate = Candidate(
                item.kind,
                item.text,
                namespace,
                session_key,
                item.seq,
                item.at or now_iso(),
                item.confidence,
                item.role,
                extractor,
                topic(window, item, items, terse=terse),
                joined(topic(window, item, terse=terse, header=True), before),
            )
            counts[self.reconcile(candidate).action] += 1
        with store.transaction() as db:
            rows.set_done_seq(db, namespace, session_key, turns[-1].seq)
        self.stats["turns"] += len(turns) - first_new
        self.stats["candidates"] += len(items)
        self.stats["seconds"] += time.perf_counter() - start
        self.stats["cpu_seconds"] += time.thread_time() - cpu
        return counts

    # -- reconciliation ---------------------------------------------------------------------

    def neighbours(self, candidate: Candidate) -> list[Neighbour]:
        """The nearest current memories of the candidate's namespace by words (lexical search), best first."""
        try:
            hits = self.core.search(
                candidate.text, candidate.namespace, corpus="memory", limit=NEIGHBOURS, mode="lexical"
            )
        except Exception as exc:  # no neighbours: the candidate is added
            log.warning("reconcile search failed (%s)", exc)
            return []
        return self._neighbours(
            [(h.id, h.kind or "note", h.text, h.extra.get("valid_from") or h.created_at) for h in hits]
        )

    def near_in_meaning(self, candidate: Candidate) -> list[Neighbour]:
        """The current memories of the candidate's namespace nearest to it by the loaded embedder's vectors
        (the candidate as a query, its vector cached for :meth:`similarity`); none without a loaded embedder,
        or for a candidate that gives no value (the only ones :func:`~.reconcile.decide` links by meaning)."""
        backend = self.core.searcher.vectors() if self.core.loaded_embedder is not None else None
        if backend is None or not slot_valued(candidate.text):
            return []
        embedder: Any = backend[0]
        try:
            query = self._vector(embedder, candidate.text)
            top = backend[1].search(query, [candidate.namespace], ["memory"], NEIGHBOURS).top
            items = self.core.store.items([i for i, _ in top])
            refs = [items[i].ref_id for i, _ in top if i in items]
            found = self.memories(refs)
        except Exception as exc:  # no link rather than no memory
            log.warning("reconcile vector search failed (%s)", exc)
            return []
        current = [(m, info) for m, info in (found[i] for i in refs if i in found) if info["valid_to"] is None]
        return self._neighbours([(m.id, m.kind or "note", m.text, info["valid_from"]) for m, info in current])

    def _neighbours(self, found: Sequence[tuple[str, str, str, str | None]]) -> list[Neighbour]:
        """``(id, kind, text, valid_from)`` of memories as neighbours, with where they were formed; not
        recall-ledger entries: they live and die by their outcomes (energy, deaths, consolidation), so formation
        never refines or supersedes one (a stored entry once got superseded by the user's own "call
        memory_store with …" turn, and memory_recall lost it)."""
        ledger = self.ledger_entries([i for i, *_ in found])
        formed = rows.provenance(self.core.store.db, [i for i, *_ in found])
        return [
            Neighbour(i, kind, text, at or "", *formed.get(i, (None, None, None)))
            for i, kind, text, at in found
            if i not in ledger
        ]

    def reconcile(self, candidate: Candidate) -> Decision:
        """Decide (LLM when configured, else offline rules) and apply the decision."""
        if self._forgotten(candidate):
            return Decision("forgotten", (), "the user forgot this text")
        near = self.neighbours(candidate)
        similarity = self.similarity()
        meaning = self.near_in_meaning(candidate) if similarity is not None else []
        decision = None
        llm = self.llm_extractor()
        if llm is not None and near:
            try:
                decision = llm.decide(candidate, near)
            except Exception as exc:
                self.stats["llm_fallbacks"] += 1
                log.warning("llm reconciliation failed (%s); offline rules", exc)
        decision = decision or decide(candidate, near, similarity, meaning)
        if decision.revises:  # indexed with what it revises, read by the recall order
            candidate = replace(candidate, exchange=joined(candidate.exchange, decision.revises))
        self._apply(candidate, decision)
        return decision

    def similarity(self) -> Similarity | None:
        """Two texts' cosine by the loaded embedder (both embedded as queries, each text once: cached; 0 when
        the embedder fails), or None where no embedder is loaded (formation never loads one)."""
        embedder: Any = self.core.loaded_embedder  # hashed by identity: a new embedder, new vectors
        if embedder is None:
            return None

        def cosine(a: str, b: str) -> float:
            try:
                return float(self._vector(embedder, a) @ self._vector(embedder, b))
            except Exception as exc:  # no link rather than no memory
                log.warning("similarity failed (%s)", exc)
                return 0.0

        return cosine

    def _forgotten(self, c: Candidate) -> bool:
        digest = self._new(c).identity()
        return rows.forgotten_text(self.core.store.db, c.namespace, digest, c.text)

    @staticmethod
    def _new(c: Candidate) -> NewMemory:
        return NewMemory(
            namespace=c.namespace,
            text=c.text,
            kind=c.kind,
            source="formation",
            importance=round(c.confidence, 2),
            metadata={
                "formation": {
                    "session_key": c.session_key,
                    "seq": c.seq,
                    "role": c.role,
                    "at": c.at,
                    "confidence": c.confidence,
                    "extractor": c.extractor,
                    "context": c.exchange,
                }
            },
        )

    def _apply(self, c: Candidate, decision: Decision) -> None:
        store = self.core.store
        with store.transaction() as db:
            if decision.action == "duplicate":
                rows.confirm(db, decision.target or "")
                return
            if decision.action == "refine":
                self._refine(db, c, decision.target or "")
                return
            memory, created = store.add_memories([self._new(c)])[0]
            if not created:
                rows.confirm(db, memory.id)
                return
            rows.set_valid_from(db, memory.id, c.at)
            if c.exchange:
                self._index(db, memory.id, memory.namespace, c, memory.created_at)
            if decision.action == "contradict":
                rows.supersede(db, decision.targets, memory.id, c.at)
            elif decision.revised:
                rows.revise(db, decision.revised, memory.id)

    def _refine(self, db: Any, c: Candidate, target: str) -> None:
        """Replace a memory's text with the fuller candidate (re-indexed in place)."""
        store = self.core.store
        old = store.get_memory(target)
        if old is None:
            return
        digest = NewMemory(old.namespace, c.text, old.kind).identity()
        if rows.active_with_hash(db, old.namespace, digest):
            return
        rows.refine(db, target, c.text, digest, _refined(old.metadata, old.text, c.exchange))
        self._index(db, target, old.namespace, c, old.created_at)

    def _index(self, db: Any, memory_id: str, namespace: str, c: Candidate, created_at: str) -> None:
        """(Re)index a formed memory with the words of its exchange as context, lexical and for the
        embedder, so that a terse item is found by what the dialogue said it is about."""
        self.core.store.unindex_item(db, "memory", memory_id)
        self.core.store.index_items(
            db,
            [
                IndexItem(
                    namespace,
                    "memory",
                    memory_id,
                    c.text,
                    context=c.exchange,
                    embed_text=f"{c.exchange}\n{c.text}" if c.exchange else "",
                    created_at=created_at,
                )
            ],
        )

    # -- validity -----------------------------------------------------------------------

    def memories(self, ids: Sequence[str]) -> dict[str, tuple[Memory, dict[str, Any]]]:
        """Memories by id, each with its validity ``{valid_from, valid_to, superseded_by, revised_by,
        confirmations, formed_in}`` (``formed_in``: the session a formed memory's message came
        from, else None), in one read of their rows."""
        out = {}
        for memory, cols in rows.with_validity(self.core.store.db, ids).values():
            out[memory.id] = (
                memory,
                {
                    "valid_from": memory.created_at if cols["valid_from"] is None else cols["valid_from"],
                    "valid_to": cols["valid_to"],
                    "superseded_by": cols["superseded_by"],
                    "revised_by": cols["revised_by"],
                    "confirmations": cols["confirmations"],
                    "formed_in": _formation(memory).get("session_key"),
                },
            )
        return out

    def superseded_count(self, namespaces: Sequence[str]) -> int:
        return rows.superseded_count(self.core.store.db, namespaces)

    def current(
        self, ranked: list[Ranked], as_of: str | None, limit: int
    ) -> tuple[list[Ranked], dict[str, tuple[Memory, dict[str, Any]]]]:
        """The first ``limit`` of ``ranked`` without memories not valid at ``as_of`` (default:
        now, i.e. not superseded), and the memories kept with their validity (:meth:`memories`),
        which hydration and :meth:`order` reuse. The rows are read in windows down the ranking
        (the first ``limit``, then twice as many further down as long as some were left out):
        one read when the first ``limit`` are all valid, each row read at most once, and the
        superseded memories the search pads its pool for are never loaded."""
        out: list[Ranked] = []
        kept: dict[str, tuple[Memory, dict[str, Any]]] = {}
        start, size = 0, limit
        while start < len(ranked) and len(out) < limit:
            window = ranked[start : start + size]
            start, size = start + size, 2 * size
            found = self.memories([r.row.ref_id for r in window if r.row.corpus == "memory"])
            for r in window:
                if r.row.corpus == "memory" and r.row.ref_id in found:
                    if not _valid(found[r.row.ref_id][1], as_of):
                        continue
                    kept[r.row.ref_id] = found[r.row.ref_id]
                out.append(r)
                if len(out) == limit:
                    break
        return out, kept

    def order(self, hits: list[SearchHit], memories: Mapping[str, Memory]) -> list[SearchHit]:
        """``hits`` with a memory stated later than a better-ranked one scored alike moved above it, the
        revision of a memory hit (``revised_by``) moved above it, and a memory stated later than a
        better-ranked one about the same subject moved above it (:mod:`.order`); ``memories`` are the
        memory hits' rows, and validity (``current``) must have filled ``valid_from``."""
        at = {h.id: h.extra.get("valid_from") or h.created_at or "" for h in hits if h.corpus == "memory"}
        hits = revisions_first(later_near_ties(hits, at))
        said = [h for h in hits if h.corpus == "memory"]
        if not may_move([(h.kind or "note", h.text) for h in said]):
            return hits
        facts = {}
        for h in said:
            formation = _formation(memories[h.id]) if h.id in memories else {}
            facts[h.id] = stated(
                h.text,
                h.kind or "note",
                h.extra.get("valid_from") or h.created_at or "",
                formation.get("role") or "user",
                formation.get("context") or "",
            )
        return later_first(hits, facts)  # a revision is later than what it revises: it stays above it

    def predecessors(self, hits: Sequence[SearchHit]) -> list[SearchHit]:
        """The memories the memory hits superseded, marked, to list after their successors."""
        ids = [h.id for h in hits if h.corpus == "memory"]
        if not ids:
            return []
        newest = sorted(
            rows.superseded_by_any(self.core.store.db, ids), key=lambda r: r["valid_to"] or "", reverse=True
        )
        old = self.memories([r["id"] for r in newest])
        return [memory_hit(m, relevant=False, extra=info) for m, info in old.values()]

    def history(self, namespace: str, limit: int = 100) -> list[dict[str, Any]]:
        """Superseded memories of a namespace, newest change first (the audit list)."""
        ids = rows.superseded(self.core.store.db, namespace, limit)
        found = self.memories(ids)
        return [found[i][0].to_dict() | found[i][1] for i in ids]

    def tool_forget(self, namespace: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """``memory_forget`` of a formed memory (the ledger handles every other id): it leaves
        recall and a later re-extraction of its text is refused. None when not a formed memory."""
        target = params.get("entryId") or params.get("memoryId")
        memory = self.core.store.get_memory(target) if isinstance(target, str) else None
        if memory is None or memory.namespace != namespace or memory.source != "formation":
            return None
        self.core.store.forget_memory(memory.id)
        return {
            "content": f"Forgot memory {memory.id}.",
            "details": {"action": "forgotten", "id": memory.id, "forgotten": True},
        }

    def restore(self, memory_id: str, namespace: str) -> dict[str, Any]:
        """Put a superseded memory back into recall (its successor stays too)."""
        with self.core.store.transaction() as db:
            restored = rows.unsupersede(db, memory_id, namespace)
        found = self.memories([memory_id]) if restored else {}
        if memory_id not in found:
            raise NotFound(f"no memory {memory_id!r} in namespace {namespace!r}", field="id")
        memory, info = found[memory_id]
        return memory.to_dict() | info


def _query_vector(embedder: Any, text: str) -> np.ndarray:
    vector: np.ndarray = embedder.embed_query(text)
    return vector


def _valid(info: Mapping[str, Any], as_of: str | None) -> bool:
    """A memory's validity columns say it is valid at ``as_of`` (None: now)."""
    if as_of is None:
        return info["valid_to"] is None
    return info["valid_from"] <= as_of and (info["valid_to"] is None or info["valid_to"] > as_of)


def _formation(memory: Memory) -> dict[str, Any]:
    """A formed memory's provenance (who said it, the exchange, the session); {} for any other."""
    found = memory.metadata.get("formation") if memory.source == "formation" else None
    return found if isinstance(found, dict) else {}


def _refined(metadata: dict[str, Any], text: str, exchange: str) -> dict[str, Any]:
    """A refined memory's metadata: the text it replaced, and the exchange of its new text."""
    out = {**metadata, "refined_from": text}
    if isinstance(out.get("formation"), dict):
        out["formation"] = {**out["formation"], "context": exchange}
    return out

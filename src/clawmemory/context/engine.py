"""The daemon side of OpenClaw's ContextEngine (bootstrap → assemble → commitTurn →
dispose; afterTurn / ingest as fallbacks; compact on demand or at the threshold).

Every method takes the plugin's envelope (``namespace``, ``session`` identity) and
OpenClaw's own ``params``, validates all of it before anything is written, and returns
OpenClaw's result shape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import validation
from ..errors import InvalidInput, NotFound
from ..llm import LLMClient, LLMError
from ..redaction import redact, redact_tree
from ..settings import ContextSettings
from ..store.records import NewMessage, content_hash, new_id, now_iso
from . import compaction, daily, rows, summary
from .extractive import OfflineSummarizer
from .llm_summary import LLMSummarizer
from .messages import Msg, last_user_text, one_line, parse_message, parse_messages, query_text, stored_text
from .recall import Recall, recall, recall_message
from .tokens import TokenEstimator

if TYPE_CHECKING:
    from ..core import Core

log = logging.getLogger("clawmemory.context")

METHODS = ("bootstrap", "assemble", "commitTurn", "compact", "afterTurn", "ingest")
# The two paths that deliver the same turn (a message from one is paired with its twin from the other).
TWIN_SOURCES = {"commitTurn": "openclaw.agent_end", "agent_end": "openclaw.commitTurn"}
TWIN_WINDOW = timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Session:
    namespace: str
    session_id: str
    session_key: str
    workspace: str | None


def _positive_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidInput(f"{field} must be a positive number", field=field)
    return int(value)


def _of_session(hit: Any, session_key: str) -> bool:
    """A stored message of the session, or a memory formed from one."""
    if hit.corpus == "message":
        return hit.container == session_key
    return hit.corpus == "memory" and hit.extra.get("formed_in") == session_key


def _normal(text: str) -> str:
    return " ".join(text.split())


class ContextEngine:
    """OpenClaw context-engine operations over a core's store and search.

    ``search``: the function auto-retrieval calls (default ``core.search``); a seam for
    tests and benchmarks. ``llm``: the summariser's client (default from settings).
    ``on_commit(namespace, session_key)``: told after a turn stored new messages (the engine
    wires formation's queue here).
    """

    def __init__(
        self,
        core: Core,
        *,
        search: Callable[..., list[Any]] | None = None,
        llm: LLMClient | None | str = "settings",
        on_commit: Callable[[str, str], None] | None = None,
    ) -> None:
        self.core = core
        self.on_commit = on_commit
        self.tokens = TokenEstimator()
        self.daily = daily.DailyFiles(core.store)
        self.offline = OfflineSummarizer(tokens=self.tokens)
        self._search = search
        self._llm = llm
        self._recall_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="clawmemory-recall")
        self._refine_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clawmemory-refine")
        self._pruned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @property
    def settings(self) -> ContextSettings:
        return self.core.settings.context

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return (self._search or self.core.search)(*args, **kwargs)

    def close(self, wait_s: float = 2.0) -> None:
        """Stop the worker pools; searches or summaries still running get ``wait_s`` to
        finish (so they do not touch a closed store), hung ones are left behind."""
        for pool in (self._recall_pool, self._refine_pool):
            pool.shutdown(wait=False, cancel_futures=True)
        workers = [t for pool in (self._recall_pool, self._refine_pool) for t in list(pool._threads)]
        deadline = time.monotonic() + wait_s
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- entry point ----------------------------------------------------------------------

    def call(
        self,
        method: str,
        namespace: str,
        session: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        *,
        omit_unchanged: bool = False,
    ) -> dict[str, Any]:
        """Dispatch one ContextEngine call by OpenClaw's method name."""
        handlers: dict[str, Callable[..., dict[str, Any]]] = {
            "bootstrap": self.bootstrap,
            "assemble": self.assemble,
            "commitTurn": self.commit_turn,
            "compact": self.compact,
            "afterTurn": self.after_turn,
            "ingest": self.ingest,
        }
        if method not in handlers:
            raise NotFound(f"unknown context method {method!r}; one of {', '.join(METHODS)}", field="method")
        if params is not None and not isinstance(params, Mapping):
            raise InvalidInput("params must be an object", field="params")
        s = self._session(namespace, session, params or {})
        if method == "assemble":
            return self.assemble(s, params or {}, omit_unchanged=omit_unchanged)
        return handlers[method](s, params or {})

    def _session(self, namespace: str, session: Mapping[str, Any] | None, params: Mapping[str, Any]) -> Session:
        validation.namespace_name(namespace)
        if session is not None and not isinstance(session, Mapping):
            raise InvalidInput("session must be an object", field="session")
        session = session or {}
        sid = params.get("sessionId", session.get("sessionId"))
        if not isinstance(sid, str) or not sid.strip():
            raise InvalidInput("params.sessionId is required (a non-empty string)", field="params.sessionId")
        key = params.get("sessionKey") or session.get("sessionKey") or sid
        if not isinstance(key, str) or len(key) > 512:
            raise InvalidInput(
                "params.sessionKey must be a string of at most 512 characters", field="params.sessionKey"
            )
        workspace = session.get("workspaceDir") or params.get("workspaceDir")
        if workspace is not None and not isinstance(workspace, str):
            raise InvalidInput("session.workspaceDir must be a string", field="session.workspaceDir")
        return Session(namespace, sid, key, workspace or None)

    def _open(self, s: Session) -> None:
        """The namespace must exist: the plugin routes create it on first use."""
        self.core.ensure_namespace(s.namespace)

    # -- bootstrap ------------------------------------------------------------------------

    def bootstrap(self, s: Session, params: Mapping[str, Any]) -> dict[str, Any]:
        """Prepare a session: namespace, pending day-file entries; reports what is stored."""
        self._open(s)
        self._flush()
        stored = self.core.store.count_messages(s.namespace, s.session_key)
        out: dict[str, Any] = {"bootstrapped": True, "importedMessages": 0, "storedMessages": stored}
        if s.workspace and not self._workspace_ok(s.workspace):
            out["reason"] = f"workspace {s.workspace!r} is not an existing absolute directory; no daily files"
        return out

    # -- commit ---------------------------------------------------------------------------

    def commit_turn(self, s: Session, params: Mapping[str, Any]) -> dict[str, Any]:
        """Store one accepted turn exactly once (idempotent on ``advancementKey``)."""
        key = params.get("advancementKey")
        if not isinstance(key, str) or not key.strip() or len(key) > 1024:
            raise InvalidInput("params.advancementKey is required (a non-empty string)", field="params.advancementKey")
        msgs = parse_messages(params.get("messages"))
        admission = params.get("admission")
        entry_id = admission.get("entryId") if isinstance(admission, Mapping) else None
        return self._commit(
            s,
            key,
            msgs,
            "commitTurn",
            params.get("isHeartbeat") is True,
            entry_id if isinstance(entry_id, str) else None,
        )

    def after_turn(self, s: Session, params: Mapping[str, Any]) -> dict[str, Any]:
        """Fallback for turns without an admission receipt: store the messages after
        ``prePromptMessageCount`` (idempotent on their content)."""
        msgs = parse_messages(params.get("messages"))
        pre = params.get("prePromptMessageCount", 0)
        if isinstance(pre, bool) or not isinstance(pre, int) or not 0 <= pre <= len(msgs):
            raise InvalidInput(
                "params.prePromptMessageCount must be an integer between 0 and the number of messages",
                field="params.prePromptMessageCount",
            )
        turn = msgs[pre:]
        key = "afterTurn:" + content_hash(s.session_key, [m.fingerprint() for m in turn])
        return self._commit(s, key, turn, "afterTurn", params.get("isHeartbeat") is True, None)

    def ingest(self, s: Session, params: Mapping[str, Any]) -> dict[str, Any]:
        """Fallback: store one message (idempotent on its content)."""
        msg = parse_message(params.get("message"), 0, "params.message")
        key = "ingest:" + content_hash(s.session_key, msg.fingerprint())
        result = self._commit(s, key, [msg], "ingest", params.get("isHeartbeat") is True, None)
        return {"ingested": result["status"] == "committed" and result.get("stored", 0) > 0}

    def capture(self, namespace: str, session: Mapping[str, Any] | None, event: Mapping[str, Any]) -> dict[str, Any]:
        """Hook ``agent_end`` with autoCapture: the run's ``messages`` go through the same commit
        as ``commitTurn``; a replay is a duplicate key, and a message commitTurn also delivers is
        stored once (:meth:`_without_twins`)."""
        s = self._session(namespace, session, {})
        raw = event.get("messages")
        if not isinstance(raw, list):
            raise InvalidInput("event.messages must be a list of messages", field="event.messages")
        msgs, skipped = [], 0
        for i, item in enumerate(raw):  # a run may hold message kinds a turn never stores
            try:
                msgs.append(parse_message(item, i, f"event.messages[{i}]"))
            except InvalidInput:
                skipped += 1
        key = "agent_end:" + content_hash(s.session_key, [m.fingerprint() for m in msgs])
        return self._commit(s, key, msgs, "agent_end", False, None) | {"skipped": skipped}

    def _new_messages(
        self, s: Session, msgs: Sequence[Msg], method: str, entry_id: str | None
    ) -> list[tuple[Msg, NewMessage]]:
        limit = self.core.settings.max_text_chars
        now = now_iso()
        out = []
        first_user = True
        for msg in msgs:
            if msg.internal:
                continue
            text = redact(stored_text(msg))
            if not text.strip():
                continue
            if len(text) > limit:
                text = text[: limit - 40] + f" … [truncated {len(text) - limit + 40} chars]"
            meta: dict[str, Any] = {"session_id": s.session_id, "source": f"openclaw.{method}"}
            if msg.tool_calls:
                meta["tool_calls"] = [{"id": c.id, "name": c.name} for c in msg.tool_calls]
            if msg.tool_call_id:
                meta["tool_call_id"] = msg.tool_call_id
            if msg.is_error:
                meta["is_error"] = True
            if msg.role == "user" and first_user and entry_id:
                meta["entry_id"] = entry_id
                first_user = False
            out.append(
                (
                    msg,
                    NewMessage(
                        namespace=s.namespace,
                        session_key=s.session_key,
                        role=msg.role,
                        text=text,
                        created_at=msg.timestamp or now,
                        speaker=msg.tool_name if msg.role == "toolResult" else None,
                        metadata=meta,
                    ),
                )
            )
        return out

    def _commit(
        self, s: Session, key: str, msgs: Sequence[Msg], method: str, heartbeat: bool, entry_id: str | None
    ) -> dict[str, Any]:
        """Store a committed turn once (key ``key``; each message once, by content): the one
        storage path of commitTurn, afterTurn, ingest and agent_end's autoCapture. ``created``
        below holds the turn's newly stored messages."""
        keep = not heartbeat or self.settings.store_heartbeats
        prepared = self._new_messages(s, msgs, method, entry_id) if keep else []
        workspace = s.workspace if s.workspace and self._workspace_ok(s.workspace) else None
        tz = daily.resolve_timezone(self.settings.daily_timezone)
        self._open(s)
        store = self.core.store
        with store.transaction() as db:
            if not rows.begin_turn(db, s.namespace, key, s.session_key, method, len(msgs)):
                return {"status": "duplicate", "stored": 0}
            prepared = self._without_twins(db, s, method, prepared)
            results = store.add_messages([m for _, m in prepared]) if prepared else []
            created = [(msg, row) for (msg, _), (row, new) in zip(prepared, results) if new]
            rows.set_turn_stored(db, s.namespace, key, len(created))
            if workspace and created:
                items = []
                for msg, row in created:
                    body = daily.entry(msg)
                    if body:
                        day, hhmm = daily.local_stamp(row.created_at, tz)
                        items.append((day, hhmm, body))
                self.daily.enqueue(db, s.namespace, workspace, key, items)
        if created:
            if self.on_commit is not None:  # memories form in the background
                self.on_commit(s.namespace, s.session_key)
        out: dict[str, Any] = {"status": "committed", "stored": len(created)}
        if s.workspace and not workspace:
            out["daily"] = "skipped: workspaceDir is not an existing absolute directory"
        elif workspace:
            out["daily"] = self._flush()
            self._prune_once(workspace)
        return out

    def _without_twins(
        self, db: Any, s: Session, method: str, prepared: list[tuple[Msg, NewMessage]]
    ) -> list[tuple[Msg, NewMessage]]:
        """commitTurn and agent_end (autoCapture) both deliver a turn, in either order, with other
        timestamps (OpenClaw stamps the admitted user message earlier than agent_end's copy). A
        message whose twin from the other path is stored (same role and text, within
        ``TWIN_WINDOW``, not yet paired) is not stored again; the twin is marked paired, so a
        later repeat of the same words is stored."""
        if method not in TWIN_SOURCES:
            return prepared
        other = TWIN_SOURCES[method]
        store = self.core.store
        out = []
        for msg, new in prepared:
            t = datetime.fromisoformat(new.created_at.replace("Z", "+00:00"))
            twin = store.unpaired_twin(db, new, other, _iso(t - TWIN_WINDOW), _iso(t + TWIN_WINDOW))
            if twin is None:
                out.append((msg, new))
            else:
                store.set_message_metadata(db, twin[0], {**twin[1], "paired": 1})
        return out

    @staticmethod
    def _workspace_ok(workspace: str) -> bool:
        path = Path(workspace)
        return path.is_absolute() and path.is_dir()

    def _flush(self) -> dict[str, Any]:
        try:
            return self.daily.flush()
        except Exception as exc:  # the rows are durable; the entries stay queued
            log.warning("daily flush failed: %s", exc)
            return {"files": 0, "entries": 0, "error": str(exc)}

    def _prune_once(self, workspace: str) -> None:
        today = datetime.now(UTC).date().isoformat()
        with self._lock:
            if (workspace, today) in self._pruned:
                return
            self._pruned.add((workspace, today))
        removed = daily.prune(Path(workspace), self.settings.transcript_retention_days)
        if removed:
            log.info("retention: removed %d day file(s) from %s", len(removed), workspace)

    # -- assemble -------------------------------------------------------------------------

    def assemble(self, s: Session, params: Mapping[str, Any], *, omit_unchanged: bool = False) -> dict[str, Any]:
        """AssembleResult: the messages (an earlier compaction applied; compacted now if the
        estimate reaches the threshold), ``estimatedTokens`` and, with auto-retrieval on,
        ``systemPromptAddition``. ``omit_unchanged`` leaves ``messages`` out when they are
        the host's own (the plugin then keeps its objects)."""
        msgs = parse_messages(params.get("messages"))
        budget = self._budget(params)
        prompt = params.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise InvalidInput("params.prompt must be a string", field="params.prompt")
        self._open(s)
        live, changed = self._apply_stored(s, msgs)
        estimate = self.tokens.messages(m.raw for m in live)
        info: dict[str, Any] = {"budget": budget, "threshold": self.settings.compaction_threshold}
        if estimate >= self.settings.compaction_threshold * budget:
            result = compaction.compact(
                live, None, self.offline, self.tokens, min_messages=self.settings.compaction_min_messages
            )
            if result.compacted:
                self._save(s, live, result)
                self._refine_later(s, live, result)
                live = parse_messages(result.messages)
                estimate, changed = result.tokens_after, True
                info["compacted"] = result.summary_json() | {"text": None}
        out: dict[str, Any] = {"messages": [m.raw for m in live], "estimatedTokens": estimate}
        rec = self._auto_retrieve(s, msgs, prompt)
        if rec.block:
            if self.settings.recall_placement == "systemPrompt":
                out["systemPromptAddition"] = rec.block
            else:  # last, just before the current user message: the history stays a cached prefix
                out["messages"].append(recall_message(rec.block))
                changed = True
            out["estimatedTokens"] += self.tokens.text(rec.block)
        info["recall"] = rec.to_dict()
        out["clawmemory"] = info
        if omit_unchanged and not changed:
            del out["messages"]
        return out

    def _budget(self, params: Mapping[str, Any]) -> int:
        budget = _positive_int(params.get("tokenBudget"), "params.tokenBudget")
        ctx = params.get("runtimeContext")
        if budget is None and isinstance(ctx, Mapping) and isinstance(ctx.get("tokenBudget"), int | float):
            budget = int(ctx["tokenBudget"]) or None
        return budget or self.settings.context_window_tokens

    def _auto_retrieve(self, s: Session, msgs: Sequence[Msg], prompt: str | None) -> Recall:
        if not self.settings.auto_retrieval:
            return Recall("off")
        query = (prompt or "").strip() or last_user_text(msgs)
        live: set[str] | None = None

        def seen(hit: Any) -> bool:  # a message (or a memory formed from one) already in the context
            nonlocal live
            if not (hit.corpus == "memory" or (hit.corpus == "message" and hit.container == s.session_key)):
                return False
            if live is None:
                live = {_normal(redact(stored_text(m))) for m in msgs}
            text = _normal(hit.text)
            return text in live if hit.corpus == "message" else any(text in m for m in live)

        return self._recall(s, query, seen)

    def _recall(self, s: Session, query: str, skip: Callable[[Any], bool]) -> Recall:
        """Search memory for ``query`` under the auto-retrieval deadline (never raises): the
        one recall of assemble's auto-retrieval and of the before_prompt_build hook."""
        query = query[: self.core.settings.max_query_chars]
        shared = []
        extra = self.settings.collection_name
        if extra and extra != s.namespace and self.core.store.has_namespace(extra):
            shared.append(extra)
        return recall(
            self.search,
            self._recall_pool,
            query,
            s.namespace,
            shared=shared,
            timeout_s=self.settings.auto_retrieval_timeout_ms / 1000,
            limit=self.settings.auto_retrieval_limit,
            max_chars=self.settings.auto_retrieval_max_chars,
            skip=skip,
            mode=None if self.settings.auto_retrieval_mode == "default" else self.settings.auto_retrieval_mode,
        )

    def before_prompt_build(
        self, namespace: str, session: Mapping[str, Any] | None, event: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Hook ``before_prompt_build`` (the plugin's autoRecall): memories recalled for the
        current user message as ``prependContext`` or ``appendSystemContext``
        (``recallPlacement``); nothing when none is relevant or the search misses the deadline.
        Writes nothing, so a replayed hook changes nothing. The session's own stored messages,
        and the memories formed from them, are left out: the model has them in its context."""
        s = self._session(namespace, session, {})
        text = event.get("currentUserMessage") or event.get("prompt") or ""
        if not isinstance(text, str):
            raise InvalidInput("event.prompt must be a string", field="event.prompt")
        self._open(s)
        query = query_text(parse_message({"role": "user", "content": text}, 0, "event.prompt")) if text.strip() else ""
        rec = self._recall(s, query, lambda hit: _of_session(hit, s.session_key))
        out: dict[str, Any] = {"clawmemory": {"recall": rec.to_dict()}}
        if rec.block:
            out["prependContext" if self.settings.recall_placement == "prependContext" else "appendSystemContext"] = (
                rec.block
            )
        return out

    # -- stored compactions ---------------------------------------------------------------

    def _latest(self, s: Session) -> Any:
        return rows.latest_compaction(self.core.store.db, s.namespace, s.session_key)

    def _apply_stored(self, s: Session, msgs: list[Msg]) -> tuple[list[Msg], bool]:
        """The host's history with this session's latest compaction applied, if its first
        kept message is in it."""
        row = self._latest(s)
        if row is None or not msgs:
            return msgs, False
        k = row["boundary_index"]
        if not (0 < k < len(msgs) and msgs[k].anchor() == row["boundary"]):
            k = next((i for i, m in enumerate(msgs) if m.anchor() == row["boundary"]), -1)
        if k <= 0:
            return msgs, False
        head = compaction.summary_messages(row["summary"], msgs[0].raw.get("timestamp"))
        return parse_messages(head + [m.raw for m in msgs[k:]]), True

    def _save(self, s: Session, live: Sequence[Msg], result: compaction.Compaction) -> str:
        assert result.split is not None  # a compacted result carries its split
        first_kept = live[result.split]
        entry_id = self._entry_id(s, first_kept)
        boundary_index = first_kept.index
        cid = new_id("cmp")
        with self.core.store.transaction() as db:
            rows.insert_compaction(
                db,
                cid,
                s.namespace,
                s.session_key,
                boundary=first_kept.anchor(),
                boundary_index=boundary_index,
                first_kept_entry_id=entry_id,
                summary=redact(result.summary_text),
                sections=redact_tree(result.sections),
                summarizer=result.summarizer,
                fallback_reason=result.fallback_reason,
                tokens_before=result.tokens_before,
                tokens_after=result.tokens_after,
            )
        return cid

    def _entry_id(self, s: Session, msg: Msg) -> str | None:
        """OpenClaw's transcript entry id of a stored user message (from commitTurn's admission)."""
        if msg.role != "user" or not msg.timestamp:
            return None
        metadata = self.core.store.message_metadata_at(s.namespace, s.session_key, "user", msg.timestamp)
        if metadata is None:
            return None
        value = metadata.get("entry_id")
        return value if isinstance(value, str) else None

    def _summarizer(self) -> LLMSummarizer | None:
        client: LLMClient | None = None
        if isinstance(self._llm, LLMClient):
            client = self._llm
        elif self._llm == "settings":
            model = self.settings.compaction_model or None
            try:
                client = LLMClient.from_settings(self.core.settings, model=model)
            except LLMError as exc:
                log.warning("llm summariser not usable (%s); offline summaries only", exc)
        if client is None:
            return None
        return LLMSummarizer(client, chunk_tokens=self.settings.compaction_chunk_tokens, tokens=self.tokens)

    def _refine_later(self, s: Session, live: Sequence[Msg], result: compaction.Compaction) -> None:
        """Replace an offline summary made in ``assemble`` with the LLM's, in the background."""
        llm = self._summarizer()
        if llm is None or result.split is None:
            return
        carried, older = compaction.carried_over(live[: result.split])
        anchor = live[result.split].anchor()

        def run() -> None:
            deadline = time.monotonic() + self.settings.compaction_timeout_ms / 1000
            try:
                sections = summary.merge(carried, llm.summarize(older, deadline))
            except Exception as exc:  # the offline summary stays
                log.warning("background LLM summary failed (%s); keeping the offline one", exc)
                return
            with self.core.store.transaction() as db:
                rows.replace_summary(
                    db, s.namespace, s.session_key, anchor, summary.render(sections), sections, llm.name
                )

        self._refine_pool.submit(run)

    # -- compact --------------------------------------------------------------------------

    def compact(self, s: Session, params: Mapping[str, Any]) -> dict[str, Any]:
        """CompactResult. Messages come from ``params.messages`` when given, else from the
        session's stored messages. Compacts when forced or at the threshold of the budget."""
        given = params.get("messages")
        msgs = parse_messages(given) if given is not None else None
        budget = self._budget(params)
        current = _positive_int(params.get("currentTokenCount"), "params.currentTokenCount")
        force = params.get("force") is True
        self._open(s)
        from_store = msgs is None
        if msgs is None:
            msgs = self._stored_messages(s)
        live, _ = self._apply_stored(s, msgs)
        estimate = self.tokens.messages(m.raw for m in live)
        tokens_now = max(estimate, current or 0)
        if not force and tokens_now < self.settings.compaction_threshold * budget:
            return {
                "ok": True,
                "compacted": False,
                "reason": f"below threshold: {tokens_now} of {budget} tokens "
                f"(compacts at {self.settings.compaction_threshold:.0%})",
            }
        deadline = time.monotonic() + self.settings.compaction_timeout_ms / 1000
        result = compaction.compact(
            live,
            self._summarizer(),
            self.offline,
            self.tokens,
            min_messages=self.settings.compaction_min_messages,
            deadline=deadline,
        )
        if not result.compacted:
            skipped: dict[str, Any] = {"ok": True, "compacted": False, "reason": result.reason}
            if from_store:  # too little stored history (e.g. a session older than the plugin)
                skipped["delegate"] = True
            return skipped
        assert result.split is not None  # a compacted result carries its split
        self._save(s, live, result)
        entry_id = self._entry_id(s, live[result.split])
        details = result.summary_json()
        details.pop("text")
        details["messages"] = result.messages
        out: dict[str, Any] = {
            "ok": True,
            "compacted": True,
            "result": {
                "summary": result.summary_text,
                "tokensBefore": result.tokens_before,
                "tokensAfter": result.tokens_after,
                "details": details,
            },
        }
        if entry_id:
            out["result"]["firstKeptEntryId"] = entry_id
        elif from_store:
            # The host cannot anchor a summary without a transcript entry id: let it compact
            # its own transcript (the plugin delegates); assemble still applies ours.
            out["delegate"] = True
        return out

    def _stored_messages(self, s: Session) -> list[Msg]:
        raw = []
        for m in self.core.store.list_messages(s.namespace, s.session_key):
            item: dict[str, Any] = {
                "role": m.role,
                "content": [{"type": "text", "text": m.text}],
                "timestamp": m.created_at,
            }
            if m.role == "assistant":
                item["content"] += [
                    {"type": "toolCall", "id": c.get("id", ""), "name": c.get("name", "tool"), "arguments": {}}
                    for c in m.metadata.get("tool_calls", [])
                ]
            if m.role == "toolResult":
                item["toolCallId"] = m.metadata.get("tool_call_id", "")
                item["toolName"] = m.speaker
            raw.append(item)
        return parse_messages(raw, "stored messages")

    # -- files and retention ----------------------------------------------------------------

    def compact_messages(self, messages: Any, *, summarizer: str = "auto") -> compaction.Compaction:
        """Compact a message list (no store involved): what ``clawmemory context compact`` runs.
        ``summarizer``: ``auto`` (the configured LLM, else offline), ``llm`` or ``offline``."""
        if summarizer not in ("auto", "llm", "offline"):
            raise InvalidInput("summarizer must be auto, llm or offline", field="summarizer")
        msgs = parse_messages(messages, "messages")
        llm = None if summarizer == "offline" else self._summarizer()
        if summarizer == "llm" and llm is None:
            raise InvalidInput("no LLM is configured (llm_provider / llm_base_url / llm_model)", field="summarizer")
        deadline = time.monotonic() + self.settings.compaction_timeout_ms / 1000
        return compaction.compact(msgs, llm, self.offline, self.tokens, min_messages=2, deadline=deadline)

    def prune(
        self, workspace: str | None, namespace: str, *, days: int | None = None, delete_rows: bool = False
    ) -> dict[str, Any]:
        """Delete day files older than ``days`` (default ``transcriptRetentionDays``); with
        ``delete_rows`` also the namespace's stored messages older than that."""
        days = self.settings.transcript_retention_days if days is None else days
        validation.integer(days, "days", lo=0, hi=100_000)
        out: dict[str, Any] = {"days": days, "removed_files": [], "deleted_messages": 0}
        if workspace:
            if not self._workspace_ok(workspace):
                raise InvalidInput(f"{workspace!r} is not an existing absolute directory", field="workspace")
            out["removed_files"] = daily.prune(Path(workspace), days)
        if delete_rows and days > 0:
            if not self.core.store.has_namespace(namespace):
                raise NotFound(f"namespace {namespace!r} does not exist", field="namespace")
            cutoff = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            out["deleted_messages"] = self.core.store.delete_messages_before(namespace, cutoff)
        return out


def describe(result: compaction.Compaction) -> str:
    """One line about a compaction, for logs and the CLI."""
    return (
        f"{result.summarized_messages} messages summarised by {result.summarizer}, "
        f"{result.tokens_before} → {result.tokens_after} tokens"
        + (f" (fallback: {one_line(result.fallback_reason, 120)})" if result.fallback_reason else "")
    )

"""Energy dynamics as properties (hypothesis): the pure arithmetic and the real ledger."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawmemory.engine import Engine
from clawmemory.ledger import economics as eco
from clawmemory.ledger.config import DEFAULTS

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
energy = st.floats(min_value=-5, max_value=5, allow_nan=False)


@given(delta=finite, scale=st.floats(min_value=1e-3, max_value=1e3), baseline=st.one_of(st.none(), finite))
def test_credit_is_bounded_and_signed_by_the_advantage(delta, scale, baseline):
    c = eco.credit(delta, scale, baseline, DEFAULTS)
    assert abs(c) <= DEFAULTS.creditGain
    advantage = delta - DEFAULTS.baselineWeight * (baseline or 0.0) if delta else 0.0
    if advantage > 1e-9 * scale:
        assert c > 0 or math.isclose(c, 0, abs_tol=1e-12)
    if advantage < -1e-9 * scale:
        assert c < 0 or math.isclose(c, 0, abs_tol=1e-12)


@given(a=finite, b=finite, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_credit_is_monotone_in_the_delta(a, b, scale):
    lo, hi = sorted((a, b))
    if lo == 0 or hi == 0:
        return
    assert eco.credit(lo, scale, 0.4, DEFAULTS) <= eco.credit(hi, scale, 0.4, DEFAULTS)


@given(current=energy, amount=st.floats(min_value=-1, max_value=1), pinned=st.booleans())
def test_applied_credit_respects_cap_and_pin_floor(current, amount, pinned):
    after = eco.apply_credit(current, amount, DEFAULTS, pinned=pinned)
    assert after <= DEFAULTS.maxEnergy
    if pinned:
        assert after >= 0


@given(
    e=st.floats(min_value=0.001, max_value=5),
    anchor=st.floats(min_value=0, max_value=100),
    spent=st.floats(min_value=0, max_value=10),
)
def test_lazy_balance_and_death_index_agree(e, anchor, spent):
    due = eco.death_at(e, anchor)
    now = anchor + spent
    assert (eco.balance(e, anchor, now) <= 1e-9) == (now >= due - 1e-9)
    assert eco.death_at(e, anchor, pinned=True) is None and eco.death_at(e, anchor, exempt=True) is None
    assert eco.balance(e, anchor, now, exempt=True) == e


@given(
    r1=st.floats(min_value=0.01, max_value=1),
    r2=st.floats(min_value=0.01, max_value=1),
    e1=energy,
    e2=energy,
    u1=st.integers(0, 50),
    u2=st.integers(0, 50),
)
def test_usefulness_never_overturns_clearly_higher_relevance(r1, r2, e1, e2, u1, u2):
    w = DEFAULTS.rankWeight
    top = max(r1, r2)
    s1 = eco.rank_score(r1, top, e1, u1, DEFAULTS)
    s2 = eco.rank_score(r2, top, e2, u2, DEFAULTS)
    if r1 > r2 * (1 + w) / (1 - w):
        assert s1 > s2
    assert abs(s1 / (r1 / top) - 1) <= w + 1e-12


@given(answers=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4))
def test_merged_answer_is_bounded_and_keeps_the_first(answers):
    merged = eco.merge_answers(answers, 120)
    assert len(merged) <= 120
    assert eco.term_set(answers[0]) <= eco.term_set(merged) or len(merged) >= 119


ops = st.lists(
    st.one_of(
        st.tuples(st.just("recall"), st.integers(0, 3)),
        st.tuples(st.just("settle"), st.floats(min_value=-5, max_value=5, allow_nan=False)),
        st.tuples(st.just("session"), st.booleans()),
        st.tuples(st.just("tick"), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)

TOPICS = [
    "rotate nginx logs logrotate",
    "postgres wal archive cleanup",
    "deploy script infra repo",
    "billing api port proxy",
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops, upkeep=st.sampled_from([0.0, 0.2]))
def test_ledger_dynamics_hold_under_any_sequence(ops, upkeep):
    with tempfile.TemporaryDirectory() as tmp:
        e = Engine.open(Path(tmp) / "home", embedding_provider="none")
        e.ledger.clock = lambda: datetime(2026, 11, 1, tzinfo=UTC)
        try:
            e.ledger_config(values={"upkeepPerTick": upkeep})
            ids = [e.ledger_store(question=f"how about {t}?", answer=f"{t} answer")["entry"]["id"] for t in TOPICS]
            opened: list[str] = []
            settled: set[str] = set()
            for op, arg in ops:
                if op == "recall":
                    t = e.memory_recall(None, {"sessionKey": "s"}, query=TOPICS[arg])["details"]["ticketId"]
                    if t:
                        opened.append(t)
                elif op == "settle" and opened:
                    t = opened[-1]
                    out = e.ledger_settle(t, arg)
                    assert out["settled"] == (t not in settled)
                    settled.add(t)
                elif op == "session":
                    out = e.agent_end(None, {"sessionKey": "s"}, {"success": arg})["ledger"]
                    for r in out["tickets"]:
                        assert r["settled"] and r["ticket"] not in settled
                        settled.add(r["ticket"])
                else:
                    e.ledger_tick()
                for entry_id in ids:
                    shown = e.ledger_show(entry_id)
                    assert shown["energy"] <= DEFAULTS.maxEnergy + 1e-9
                    if shown["status"] == "dead" and shown["cause"] != "merged":
                        assert shown["energy"] <= 1e-9
            db = e.store.db
            n_settlements = db.execute("SELECT count(*) FROM ledger_settlements").fetchone()[0]
            assert n_settlements == len(settled)  # each settled ticket exactly once
            uses = db.execute("SELECT coalesce(sum(uses), 0) FROM ledger_entries").fetchone()[0]
            credits = db.execute("SELECT count(*) FROM ledger_events WHERE type = 'credit'").fetchone()[0]
            assert uses == credits
        finally:
            e.close()

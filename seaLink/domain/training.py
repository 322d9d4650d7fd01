"""Training sessions: quiz scoring and attendance, as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    text: str
    options: tuple[str, ...]
    answer: str  # the option letter, "A", "B", ...


@dataclass(frozen=True, slots=True)
class QuizResult:
    correct: int
    total: int
    score: int  # percent, rounded down
    passed: bool


def parse_quiz(raw: list[dict[str, Any]]) -> list[QuizQuestion]:
    quiz = []
    for i, q in enumerate(raw, start=1):
        options = tuple(str(o) for o in q.get("options", []))
        answer = str(q.get("answer", "")).strip().upper()
        letters = [chr(ord("A") + k) for k in range(len(options))]
        if not q.get("text") or len(options) < 2 or answer not in letters:
            raise ValueError(
                f"question {i}: needs text, at least two options and an answer among {letters}"
            )
        quiz.append(QuizQuestion(str(q["text"]), options, answer))
    return quiz


def score(answers: list[str] | None, quiz: list[QuizQuestion], pass_mark: int) -> QuizResult | None:
    """Score answers given in question order; unanswered questions count as wrong."""
    if not quiz:
        return None
    given = [a.strip().upper() for a in (answers or [])]
    correct = sum(1 for q, a in zip(quiz, given, strict=False) if a == q.answer)
    pct = correct * 100 // len(quiz)
    return QuizResult(correct, len(quiz), pct, pct >= pass_mark)

"""Builds a practice quiz: order of questions and answers is randomised for variety."""
import random


def build_quiz(questions: list[dict], count: int = 10, seed: int | None = None) -> list[dict]:
    rng = random.Random(seed)
    picked = rng.sample(questions, k=min(count, len(questions)))
    for q in picked:
        answers = list(q["answers"])
        rng.shuffle(answers)
        q["answers"] = answers
    return picked

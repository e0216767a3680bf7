import random
from dataclasses import dataclass, field

from fastapi import FastAPI

app = FastAPI()


@dataclass
class Question:
    text: str
    choices: list = field(default_factory=list)
    answer: int = 0


BANK = [
    Question("2 + 2?", ["3", "4", "5"], 1),
    Question("Capital of France?", ["Paris", "Rome", "Oslo"], 0),
    Question("H2O is?", ["salt", "water", "air"], 1),
    Question("Largest planet?", ["Mars", "Venus", "Jupiter"], 2),
    Question("Binary of 5?", ["101", "110", "111"], 0),
]


@app.get("/quiz")
def new_quiz(size: int = 3, seed: int | None = None):
    rng = random.Random(seed)
    picked = rng.sample(BANK, k=min(size, len(BANK)))
    out = []
    for q in picked:
        order = list(range(len(q.choices)))
        rng.shuffle(order)
        out.append({"text": q.text, "choices": [q.choices[i] for i in order]})
    return {"questions": out}

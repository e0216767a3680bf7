import argparse
import json
import random
from datetime import date, timedelta

FIRST = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton"]
CITIES = ["Lisbon", "Oslo", "Austin", "Kyoto", "Nairobi"]


def fake_customer(rng, idx):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "id": idx,
        "name": f"{first} {last}",
        "email": f"{first}.{last}{idx}@example.test".lower(),
        "city": rng.choice(CITIES),
        "signup": (date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))).isoformat(),
        "orders": rng.randint(0, 40),
    }


def main():
    parser = argparse.ArgumentParser(description="write demo customers for local dev")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", default="fixtures/customers.json")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = [fake_customer(rng, i) for i in range(1, args.count + 1)]
    with open(args.out, "w") as fh:
        json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()

"""Precision and recall of the classifier on the labelled evaluation set.

    .venv/bin/python -m analysis.evaluate_classifier [fixtures/classify/eval.jsonl] [--show-errors]

Each line of the set is a listing (marketplace, product_id, title, description, characteristics,
country_of_origin, manufacturer, brand, seller_legal_name) plus ``label`` (the expected verdict) and
``claims`` (the expected claim categories). Prints precision/recall per verdict and per claim category.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from marketplace_spiders.classify import classify_listing

DEFAULT_EVAL_SET = Path(__file__).resolve().parent.parent / "fixtures" / "classify" / "eval.jsonl"
VERDICTS = ("strong", "possible", "unrelated")


@dataclass
class Counts:
    """True positives, false positives and false negatives of one class."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, expected: bool, predicted: bool) -> None:
        self.tp += expected and predicted
        self.fp += predicted and not expected
        self.fn += expected and not predicted


def read_eval_set(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(rows: Iterable[dict]) -> tuple[dict[str, Counts], dict[str, Counts], list[str]]:
    """Counts per verdict and per claim category, and a description of every disagreement."""
    verdicts = {v: Counts() for v in VERDICTS}
    claims: dict[str, Counts] = {}
    errors = []
    for row in rows:
        result = classify_listing(row)
        for verdict, counts in verdicts.items():
            counts.add(row["label"] == verdict, result["verdict"] == verdict)
        expected_claims = set(row.get("claims", []))
        found_claims = {c["category"] for c in result["claims"]}
        for category in expected_claims | found_claims:
            claims.setdefault(category, Counts()).add(category in expected_claims, category in found_claims)
        if result["verdict"] != row["label"] or expected_claims != found_claims:
            errors.append(f"{row['product_id']} {row['title']!r}: expected {row['label']} {sorted(expected_claims)}, "
                          f"got {result['verdict']} {sorted(found_claims)}; {result['reasons']}")
    return verdicts, claims, errors


def format_table(title: str, counts: dict[str, Counts]) -> str:
    lines = [title, f"{'class':<22}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for name, c in sorted(counts.items()):
        lines.append(f"{name:<22}{c.precision:>10.3f}{c.recall:>8.3f}{c.tp:>5}{c.fp:>5}{c.fn:>5}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("eval_set", nargs="?", type=Path, default=DEFAULT_EVAL_SET)
    parser.add_argument("--show-errors", action="store_true", help="print every listing the classifier got wrong")
    args = parser.parse_args(argv)
    rows = read_eval_set(args.eval_set)
    verdicts, claims, errors = evaluate(rows)
    print(f"evaluation set: {args.eval_set} ({len(rows)} listings)")
    print(format_table("per verdict", verdicts))
    print()
    print(format_table("per claim category", claims))
    print(f"\nlistings with a wrong verdict or claim set: {len(errors)}")
    if args.show_errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

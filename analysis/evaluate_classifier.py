"""Precision and recall of the classifier on the labelled evaluation set.

    .venv/bin/python -m analysis.evaluate_classifier [fixtures/classify/eval.jsonl] [--show-errors]

Each line of the set is a listing (marketplace, product_id, title, description, characteristics,
country_of_origin, manufacturer, brand, seller_legal_name) plus ``label`` (the expected verdict) and
``claims`` (the expected claim categories). Prints precision/recall per verdict and per claim category, and how
many listings the classifier could not classify (verdict ``error``): such a listing is a miss for the verdict
it should have had (a false negative of that verdict), never a hit or a silently dropped row.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_spiders.classify import classify_listing

DEFAULT_EVAL_SET = Path(__file__).resolve().parent.parent / "fixtures" / "classify" / "eval.jsonl"
VERDICTS = ("strong", "possible", "unrelated")
ERROR = "error"  # the classifier's verdict for a listing it could not classify (engine.ERROR)


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


@dataclass
class Evaluation:
    """Counts per verdict and per claim category, every disagreement described, and the listings (product
    ids) whose classification ended in verdict ``error``."""

    verdicts: dict[str, Counts]
    claims: dict[str, Counts]
    errors: list[str]
    errored: list[str] = field(default_factory=list)


def evaluate_set(rows: Iterable[dict],
                 classify: Callable[[Mapping[str, object]], dict] = classify_listing) -> Evaluation:
    """The evaluation of ``rows`` by ``classify`` (the packaged classifier unless given). A verdict ``error``
    predicts no verdict: it is a false negative of the row's label and counted in ``errored``; a label or
    verdict outside strong | possible | unrelated (| error) is a ValueError, not a row silently not counted."""
    verdicts = {v: Counts() for v in VERDICTS}
    claims: dict[str, Counts] = {}
    errors: list[str] = []
    errored: list[str] = []
    for row in rows:
        if row.get("label") not in VERDICTS:
            raise ValueError(f"{row.get('product_id')}: label {row.get('label')!r} is not one of {VERDICTS}")
        result = classify(row)
        if result["verdict"] not in VERDICTS + (ERROR,):
            raise ValueError(f"{row.get('product_id')}: unknown verdict {result['verdict']!r}")
        if result["verdict"] == ERROR:
            errored.append(str(row.get("product_id")))
        for verdict, counts in verdicts.items():
            counts.add(row["label"] == verdict, result["verdict"] == verdict)
        expected_claims = set(row.get("claims", []))
        found_claims = {c["category"] for c in result["claims"]}
        for category in expected_claims | found_claims:
            claims.setdefault(category, Counts()).add(category in expected_claims, category in found_claims)
        if result["verdict"] != row["label"] or expected_claims != found_claims:
            errors.append(f"{row['product_id']} {row['title']!r}: expected {row['label']} {sorted(expected_claims)}, "
                          f"got {result['verdict']} {sorted(found_claims)}; {result['reasons']}")
    return Evaluation(verdicts, claims, errors, errored)


def evaluate(rows: Iterable[dict]) -> tuple[dict[str, Counts], dict[str, Counts], list[str]]:
    """Counts per verdict and per claim category, and a description of every disagreement (``evaluate_set``)."""
    result = evaluate_set(rows)
    return result.verdicts, result.claims, result.errors


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
    result = evaluate_set(rows)
    print(f"evaluation set: {args.eval_set} ({len(rows)} listings)")
    print(format_table("per verdict", result.verdicts))
    print()
    print(format_table("per claim category", result.claims))
    print(f"\nlistings with a wrong verdict or claim set: {len(result.errors)}")
    print(f"listings the classifier could not classify (verdict error, counted as misses): {len(result.errored)}"
          + (f" ({', '.join(result.errored[:10])}{', …' if len(result.errored) > 10 else ''})"
             if result.errored else ""))
    if args.show_errors:
        print("\n".join(result.errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""analysis/evaluate_classifier: a listing the classifier could not classify (verdict ``error``) is a miss
for the verdict it should have had and is reported, never a silently uncounted row."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sample_files import FIXTURES

from analysis.evaluate_classifier import evaluate_set, read_eval_set
from marketplace_spiders.classify.engine import Classifier

ROOT = FIXTURES.parent
EVAL_SET = FIXTURES / "classify" / "eval.jsonl"


def test_error_verdicts_are_misses_of_the_expected_verdict_and_counted():
    rows = read_eval_set(EVAL_SET)
    over_budget = Classifier(max_hits=1)  # the real classifier: every listing with a match ends in error
    result = evaluate_set(rows, over_budget.classify)
    assert result.errored, "a hit budget of 1 makes listings unclassifiable"
    errored = set(result.errored)
    positives = [row for row in rows if row["label"] in ("strong", "possible") and row["product_id"] in errored]
    assert positives
    for verdict in ("strong", "possible"):
        missed = sum(1 for row in positives if row["label"] == verdict)
        assert result.verdicts[verdict].fn >= missed
    assert sum(c.tp + c.fn for c in result.verdicts.values()) == len(rows)  # every row counted once


def test_an_unknown_verdict_is_an_error_not_an_uncounted_row():
    rows = read_eval_set(EVAL_SET)[:1]
    with pytest.raises(ValueError, match="unknown verdict"):
        evaluate_set(rows, lambda listing: {"verdict": "maybe", "claims": [], "reasons": []})


def test_a_label_outside_the_verdicts_is_refused():
    with pytest.raises(ValueError, match="label"):
        evaluate_set([{"product_id": "x", "title": "t", "label": "error"}])


def test_cli_reports_how_many_listings_errored():
    done = subprocess.run([sys.executable, "-m", "analysis.evaluate_classifier", str(EVAL_SET)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "listings the classifier could not classify (verdict error, counted as misses): 0" in done.stdout
